"""Pictures of a convolutional network: one filter's neuron on one image, and the learned filters.

``filter_neuron(model, image, label, layer, filter, pixel)`` runs the model on ONE image as a
scalar graph (every pixel of every feature map is its own node), takes the cross-entropy
loss of the true label, runs ``backward()``, and opens one convolution output node
``C{layer}.F{filter}.z[y,x]``: its receptive field in the input image (the input pixels it is
computed from, found by walking its graph), the filter weights, the pixels of its own input
it multiplies them with, its value, and the gradients after backward. ``.figure(path)``
draws that as one matplotlib figure; ``.graph()`` is the node's own graph (graphviz).

``filter_grid(model, layer, path)`` plots every filter's kernels of one Conv2d as a grid on one
symmetric colour scale.

Example:
    >>> import numpy as np
    >>> from nn import Conv2d, Flatten, Layer, Sequential
    >>> model = Sequential(Conv2d(1, 2, 3, padding=1), "relu", Flatten(), Layer(32, 3, "linear"),
    ...                    input_shape=(1, 4, 4), seed=0)
    >>> view = filter_neuron(model, np.arange(16.0) / 16, label=1, filter=1, pixel=(0, 0))
    >>> view.node.label, view.field.astype(int).tolist()
    ('C0.F1.z[0,0]', [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core import Value, topological_order
from autograd_core.errors import excerpt
from autograd_core.graph import local_shares

from .graph import VizError, subgraph_of
from .plots import _figure, _save

__all__ = ["FilterNeuron", "filter_grid", "filter_neuron"]

FIELD_COLOR = (0.85, 0.15, 0.1)  # the receptive field's outline and tint


@dataclass
class FilterNeuron:
    """One convolution output node on one image, after ``backward()`` of that image's loss.

    Attributes:
        node: the dot node ``C{layer}.F{filter}.z[y,x]`` (its ``data`` and ``grad``).
        activated: the node after the activation that follows it (or None).
        loss: the image's cross-entropy loss (the root of backward).
        image: the input image, shape (C, H, W).
        field: (H, W) booleans: the input pixels (of any channel) the node is computed from.
        weights: the filter's weights, shape (in_channels, kh, kw); ``bias`` its bias.
        patch: (in_channels, kh, kw): the values of the node's own input the weights meet
            (0 on the padding); for layer 0 they are pixels of the image.
        weight_grads: (in_channels, kh, kw): dL/dw summed over every pixel of the map (``w.grad``).
        weight_shares: the part of dL/dw through this one node: dL/dz · patch.
        input_shares: (C, H, W) for layer 0: dL/dx through this node (dL/dz · w on its field).
    """

    node: Value
    activated: Value | None
    loss: Value
    layer: int
    filter: int
    pixel: tuple[int, int]
    label: Any
    image: np.ndarray
    field: np.ndarray
    weights: np.ndarray
    bias: float
    patch: np.ndarray
    weight_grads: np.ndarray
    weight_shares: np.ndarray
    input_shares: np.ndarray | None
    used: np.ndarray  # (in_channels, kh, kw): False where the kernel entry lies on the padding

    @property
    def name(self) -> str:
        """The node's label, e.g. ``C0.F3.z[2,5]``."""
        return self.node.label

    def figure(self, path: str | Path | None = None) -> Any:
        """The picture: the image with the receptive field, weights, products, value and gradients.

        Panels: (1) the input image (padding as a frame) with the field outlined and tinted;
        (2) the filter's weights; (3) w · x per kernel entry with z = Σ + b; (4) dL/dw through
        this node (and the whole map's w.grad in the title); (5) for layer 0, dL/dx of every
        image pixel through this node. Saved to ``path`` when given (PNG, SVG, ... by its
        extension). Returns the matplotlib Figure.

        Example:
            >>> import numpy as np
            >>> from nn import Conv2d, Flatten, Layer, Sequential
            >>> m = Sequential(Conv2d(1, 1, 3), Flatten(), Layer(4, 2, "linear"), input_shape=(1, 4, 4), seed=0)
            >>> len(filter_neuron(m, np.ones(16), 0).figure().axes)
            5
        """
        C, H, W = self.image.shape
        channel = 0  # the input channel whose weights panels 2-4 show
        panels = 5 if self.input_shares is not None else 4
        fig = _figure(3.1 * panels, 3.9)
        axes = fig.subplots(1, panels)
        pad_y, pad_x = self._padding()
        ax = axes[0]
        extent = (-0.5, W - 0.5, H - 0.5, -0.5)
        ax.imshow(self.image[:C].mean(axis=0), cmap="gray_r", extent=extent, vmin=float(self.image.min()))
        tint = np.zeros((H, W, 4))
        tint[self.field] = (*FIELD_COLOR, 0.35)
        ax.imshow(tint, extent=extent, interpolation="nearest")  # ax.images[1]: the field
        rows, cols = np.nonzero(self.field)
        if len(rows):
            box = _rectangle(cols.min() - 0.5, rows.min() - 0.5, np.ptp(cols) + 1, np.ptp(rows) + 1)
            ax.add_patch(box)
        if self.layer == 0 and (pad_x or pad_y):  # the kernel's whole window, padding included
            kh, kw = self.weights.shape[1:]
            (sy, sx) = self.stride
            top, left = self.pixel[0] * sy - pad_y, self.pixel[1] * sx - pad_x
            ax.add_patch(_rectangle(left - 0.5, top - 0.5, kw, kh, style="--"))
        ax.set_xlim(-0.5 - pad_x, W - 0.5 + pad_x)
        ax.set_ylim(H - 0.5 + pad_y, -0.5 - pad_y)
        if pad_x or pad_y:
            ax.add_patch(_rectangle(-0.5, -0.5, W, H, color="0.6", style=":"))
        ax.set_title(f"image (label {self.label}): the field of\n{self.name}", fontsize=9)
        _ticks(ax)

        w = self.weights[channel]
        _matrix(axes[1], w, f"{self.name.split('.z')[0]} weights (in-channel {channel})\nbias b = {self.bias:.3g}")
        products = w * self.patch[channel]
        act = ""
        if self.activated is not None:
            act = f", {self.activated.op}(z) = {float(self.activated.data):.3g}"
        used = self.used[channel]
        _matrix(axes[2], products, f"w · x per entry\nz = Σ + b = {float(self.node.data):.4g}{act}", used)
        g = float(self.node.grad)
        _matrix(
            axes[3],
            self.weight_shares[channel],
            f"dL/dw through this pixel (dL/dz = {g:.3g} · x)\nΣ over the map (w.grad): "
            f"|·|max {np.abs(self.weight_grads).max():.2g}",
            used,
        )
        if self.input_shares is not None:
            ax = axes[4]
            share = self.input_shares.sum(axis=0)
            vmax = float(np.abs(share).max()) or 1.0
            ax.imshow(share, cmap="RdBu_r", vmin=-vmax, vmax=vmax, extent=extent)
            ax.set_title(f"dL/dx through this pixel\n(dL/dz · w), loss L = {float(self.loss.data):.3g}", fontsize=9)
            _ticks(ax)
        return _save(fig, path)

    def graph(self, **draw_kw: Any) -> Any:
        """The node's own graph (its weights, bias and input pixels) as a graphviz Digraph.

        Example:
            >>> import numpy as np
            >>> from nn import Conv2d, Flatten, Layer, Sequential
            >>> m = Sequential(Conv2d(1, 1, 3), Flatten(), Layer(4, 2, "linear"), input_shape=(1, 4, 4), seed=0)
            >>> "C0.F0.w0.1.1" in filter_neuron(m, np.ones(16), 0).graph().source
            True
        """
        from .graph import draw_dot

        return draw_dot(subgraph_of(self.node, depth=1), **draw_kw)

    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    def _padding(self) -> tuple[int, int]:
        return self.padding if self.layer == 0 else (0, 0)


def _rectangle(x: float, y: float, w: float, h: float, color: Any = FIELD_COLOR, style: str = "-") -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, edgecolor=color, linewidth=2, linestyle=style)


def _ticks(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _matrix(ax: Any, values: np.ndarray, title: str, used: np.ndarray | None = None) -> None:
    """A small matrix as coloured cells with its numbers; entries not ``used`` say 'pad'."""
    vmax = float(np.abs(values).max()) or 1.0
    ax.imshow(values, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    if values.size <= 49:
        for (i, j), v in np.ndenumerate(values):
            color = "white" if abs(v) > 0.6 * vmax else "black"
            text = "pad" if used is not None and not used[i, j] else f"{v + 0.0:.2g}"  # (+ 0.0: no '-0')
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
    ax.set_title(title, fontsize=9)
    _ticks(ax)


def _conv_layers(model: Any) -> list[int]:
    from nn import Conv2d

    layers = getattr(model, "layers", None)
    if layers is None:
        raise VizError(f"expected an nn.Sequential with Conv2d layers, got {type(model).__name__}")
    return [i for i, layer in enumerate(layers) if isinstance(layer, Conv2d)]


def _conv_layer(model: Any, layer: Any, who: str) -> int:
    """The index of the Conv2d layer to show: ``layer``, or the first Conv2d when it is None."""
    convs = _conv_layers(model)
    if not convs:
        raise VizError(f"{who}: the model has no Conv2d layer")
    if layer is None:
        return convs[0]
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or layer not in convs:
        raise VizError(f"{who}: layer {excerpt(layer)} is not a Conv2d; the Conv2d layers are {excerpt(convs)}")
    return int(layer)


def filter_neuron(
    model: Any,
    image: Any,
    label: Any,
    layer: int | None = None,
    filter: int = 0,
    pixel: tuple[int, int] | None = None,
) -> FilterNeuron:
    """Run ``model`` on one image, back-propagate its loss, and open one filter's output pixel.

    Parameters:
        model: an ``nn.Sequential`` with a Conv2d and a dense output (cross-entropy over classes).
        image: C·H·W numbers (or (C, H, W)) in the model's input layout.
        label: the image's class (an integer).
        layer: the Conv2d's position in ``model.layers`` (default the first Conv2d).
        filter: which filter of it.
        pixel: (row, column) in its output map; default the pixel with the largest |dL/dz|.

    Example:
        >>> import numpy as np
        >>> from nn import Conv2d, Flatten, Layer, Sequential
        >>> m = Sequential(Conv2d(1, 1, 2), Flatten(), Layer(9, 2, "linear"), input_shape=(1, 4, 4), seed=0)
        >>> v = filter_neuron(m, np.ones(16), 1, pixel=(2, 1)); v.name, int(v.field.sum())
        ('C0.F0.z[2,1]', 4)
    """
    from nn import losses

    layer = _conv_layer(model, layer, "filter_neuron()")
    conv = model.layers[layer]
    if not isinstance(filter, int) or not 0 <= filter < conv.out_channels:
        raise VizError(f"filter_neuron(): filter must be 0..{conv.out_channels - 1}, got {excerpt(filter)}")
    shape = tuple(model.input_shape)
    C, H, W = shape
    pixels = np.asarray(image, dtype=np.float64).reshape(-1)
    if pixels.shape[0] != C * H * W:
        raise VizError(f"filter_neuron(): the image has {pixels.shape[0]} numbers, the model takes {shape}")
    xs = [Value(float(v), label=f"x[{c},{y},{x}]") for (c, y, x), v in zip(np.ndindex(*shape), pixels.tolist())]
    out = model(xs)
    outs = out if isinstance(out, list) else [out]
    if len(outs) < 2:
        raise VizError("filter_neuron(): the model needs one output per class (cross-entropy)")
    loss = losses.cross_entropy(outs, int(label))
    model.zero_grad()
    loss.backward()
    order = topological_order(loss)
    prefix = f"C{layer}.F{filter}.z["
    maps = {v.label: v for v in order if v.label.startswith(prefix)}
    _, oh, ow = model._shapes[layer]
    if pixel is None:
        # a node a pooling window leaves out (an odd map under a 2x2 pool) is not in the loss's graph
        reached = [(y, x) for y in range(oh) for x in range(ow) if f"{prefix}{y},{x}]" in maps]
        pixel = max(reached, key=lambda p: abs(float(maps[f"{prefix}{p[0]},{p[1]}]"].grad)))
    y0, x0 = int(pixel[0]), int(pixel[1])
    if not (0 <= y0 < oh and 0 <= x0 < ow):
        raise VizError(f"filter_neuron(): pixel must lie in the {oh}x{ow} output map, got {excerpt(pixel)}")
    if f"{prefix}{y0},{x0}]" not in maps:
        raise VizError(f"filter_neuron(): pixel ({y0}, {x0}) does not reach the loss (the pooling after it drops it)")
    node = maps[f"{prefix}{y0},{x0}]"]
    index = {id(v): i for i, v in enumerate(xs)}
    seen = np.zeros(C * H * W, dtype=bool)
    for v in topological_order(node):
        i = index.get(id(v))
        if i is not None:
            seen[i] = True
    field = seen.reshape(shape).any(axis=0)
    activated = next((v for v in order if v._args == (node,)), None)
    filt = conv.filters[filter]
    weights = filt.weights()
    Cin, kh, kw = weights.shape
    shares = dict((id(p), s) for p, s in local_shares(node, node.grad))
    # the node's dot pairs each weight it uses with one input (padding entries are absent)
    flat = filt._flat
    n_used = (len(node._args) - 2) // 2
    used_w, used_x = node._args[:n_used], node._args[n_used + 1 : 2 * n_used + 1]
    slot = {id(w): k for k, w in enumerate(flat)}
    patch = np.zeros(Cin * kh * kw)
    used = np.zeros(Cin * kh * kw, dtype=bool)
    for w, x in zip(used_w, used_x):
        patch[slot[id(w)]] = float(x.data if isinstance(x, Value) else x)
        used[slot[id(w)]] = True
    weight_shares = np.array([float(shares.get(id(w), 0.0)) for w in flat]).reshape(weights.shape)
    weight_grads = np.array([float(w.grad) for w in flat]).reshape(weights.shape)
    input_shares = None
    if layer == 0:  # the first layer's inputs are the image pixels
        input_shares = np.array([float(shares.get(id(x), 0.0)) for x in xs]).reshape(shape)
    return FilterNeuron(
        node=node,
        activated=activated,
        loss=loss,
        layer=layer,
        filter=filter,
        pixel=(y0, x0),
        label=label,
        image=pixels.reshape(shape),
        field=field,
        weights=weights,
        bias=float(filt.b.data),
        patch=patch.reshape(weights.shape),
        weight_grads=weight_grads,
        weight_shares=weight_shares,
        input_shares=input_shares,
        used=used.reshape(weights.shape),
        stride=conv.stride,
        padding=conv.padding,
    )


def filter_grid(model: Any, layer: int | None = None, path: str | Path | None = None, max_filters: int = 64) -> Any:
    """Every filter of one Conv2d as small images on one symmetric colour scale (red +, blue -).

    One input channel: the filters in a grid, 8 to a row. More channels: one row per filter,
    one column per input channel (at most 16 of each). Returns the Figure (saved to ``path``).

    Example:
        >>> from nn import Conv2d, Sequential
        >>> fig = filter_grid(Sequential(Conv2d(1, 6, 3), input_shape=(1, 5, 5), seed=0))
        >>> len([ax for ax in fig.axes if ax.images])
        6
    """
    layer = _conv_layer(model, layer, "filter_grid()")
    W, b = model.layers[layer].weights()
    F, Cin = W.shape[:2]
    vmax = float(np.abs(W).max()) or 1.0
    if Cin == 1:
        shown = min(F, max_filters)
        ncols = min(8, shown)
        nrows = -(-shown // ncols)
        cells: Sequence[tuple[int, int, int, int]] = [(f, 0, f // ncols, f % ncols) for f in range(shown)]
    else:
        shown, chans = min(F, 16), min(Cin, 16)
        nrows, ncols = shown, chans
        cells = [(f, c, f, c) for f in range(shown) for c in range(chans)]
    fig = _figure(1.15 * ncols + 1.2, 1.25 * nrows + 0.8)
    grid = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    image = None
    for f, c, r, col in cells:
        ax = grid[r, col]
        image = ax.imshow(W[f, c], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"F{f}" + (f" b={b[f]:.2f}" if c == 0 else "") + (f" c{c}" if Cin > 1 else ""), fontsize=7)
    for ax in grid.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        if not ax.images:
            ax.set_axis_off()
    fig.suptitle(f"layer {layer}: {model.layers[layer].describe()} — learned filters", fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=grid.ravel().tolist(), shrink=0.8)
    return _save(fig, path)
