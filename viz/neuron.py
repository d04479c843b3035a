"""One neuron of a trained network, on one sample, with its loss: x, w, b -> z -> a -> L, real numbers.

``neuron_view(model, x, target, loss)`` runs the whole network on ONE sample (each neuron's sum
written out as w0*x0 + w1*x1 + ... + b), computes the loss L of that sample and back-propagates
it. It keeps the nodes of one neuron: its inputs, weights and bias, the products and sums, z and
a = g(z), and L. Every gradient shown is the real dL/d(node) of the full network; the rest of
the network between a and L is drawn as one dashed edge. ``render_steps`` clicks through the
backward pass inside the neuron, seeded with the real dL/da.

The model itself is left untouched: the sample runs through a copy of it.

Example:
    >>> from nn import MLP
    >>> model = MLP.from_weights([[[1.0, -1.0]], [[2.0]]], [[0.5], [0.0]], ["relu", "linear"])
    >>> view = neuron_view(model, [2.0, 1.0], 1, loss="mse")
    >>> view.name, round(view.a.data, 4), round(view.loss.data, 4), round(view.a.grad, 4)  # L = (2a - 1)²
    ('L0.N0', 1.5, 4.0, 8.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from autograd_core import Value, topological_order
from autograd_core.errors import excerpt

from .graph import Subgraph, VizError, draw_dot, format_of, node_ids, write_picture

__all__ = ["NeuronView", "neuron_view"]

MAX_INPUTS = 8  # a neuron with more inputs than this makes an unreadable picture


@dataclass
class NeuronView:
    """One neuron's part of a per-sample graph (see ``neuron_view``).

    Attributes:
        name: the neuron, e.g. 'L0.N3'.
        a: its output node; z: its pre-activation; loss: the sample's loss L.
        subgraph: the neuron's nodes and L, to draw.
        inputs: the neuron's inputs; other_neurons: how many other neurons of the layer read
            them too (their shares are part of each input's gradient).

    Example:
        >>> from nn import MLP
        >>> view = neuron_view(MLP(2, [3, 1], seed=0), [0.5, -1.0], 1.0, loss="mse")
        >>> "rest of the network" in view.digraph().source
        True
    """

    name: str
    a: Value
    z: Value
    loss: Value
    subgraph: Subgraph
    inputs: list[Value] = field(default_factory=list)
    other_neurons: int = 0

    def digraph(self, **draw_kw: Any) -> graphviz.Digraph:
        """The picture: the neuron's nodes, then a dashed edge 'rest of the network' into L.

        Example:
            >>> from nn import MLP
            >>> view = neuron_view(MLP(1, [1], seed=0), [1.0], 0.0, loss="mse")
            >>> "L0.N0.w0" in view.digraph().source
            True
        """
        dg = draw_dot(self.subgraph, **draw_kw)
        ids = node_ids(self.subgraph.nodes)
        dg.edge(
            ids[self.a],
            ids[self.loss] + "op",
            label="rest of the network",
            style="dashed",
            color="#868e96",
            fontcolor="#495057",
            fontsize="10",
        )
        if self.other_neurons and self.inputs:
            # an input's gradient also holds the shares of the layer's other neurons: say so
            dg.node(
                "others",
                f"{self.other_neurons} other neuron{'s' if self.other_neurons != 1 else ''} of this layer",
                shape="note",
                style="dashed",
                color="#868e96",
                fontcolor="#495057",
                fontsize="10",
            )
            for x in self.inputs:
                dg.edge(ids[x], "others", style="dashed", color="#868e96", arrowhead="none")
            dg.node(
                "others_note",
                "an input's grad sums its shares from every neuron it feeds;\n"
                "this neuron's share is in its step-by-step page",
                shape="plaintext",
                fontcolor="#495057",
                fontsize="10",
            )
            dg.edge("others", "others_note", style="invis")
        return dg

    def render(self, path: str | Path, **draw_kw: Any) -> Path:
        """Write the picture to ``path`` (.svg, .png, .pdf, or .dot needing no Graphviz).

        Example:
            >>> import os, tempfile
            >>> from nn import MLP
            >>> view = neuron_view(MLP(1, [1], seed=0), [1.0], 0.0, loss="mse")
            >>> view.render(os.path.join(tempfile.mkdtemp(), "n.dot")).suffix
            '.dot'
        """
        path = Path(path)
        fmt = format_of(path)
        write_picture(self.digraph(**draw_kw), path, fmt)
        return path

    def render_steps(self, folder: str | Path, **kw: Any) -> Path:
        """The neuron's backward pass step by step (HTML page), seeded with the real dL/da.

        Example:
            >>> import shutil, tempfile
            >>> from nn import MLP
            >>> view = neuron_view(MLP(1, [1], "tanh", seed=0), [1.0], 0.0, loss="mse")
            >>> page = view.render_steps(tempfile.mkdtemp()) if shutil.which("dot") else None
            >>> page is None or page.name == "index.html"
            True
        """
        from .steps import render_backprop

        return render_backprop(self.a, folder, grad=float(self.a.grad), of="L", **kw)


def _neuron_nodes(a: Value, inputs: set[Value]) -> list[Value]:
    """The ancestors of ``a`` down to (and including) the neuron's inputs, in topological order."""
    keep = {a}
    stack = [a]
    while stack:
        v = stack.pop()
        if v in inputs:
            continue
        for p in v.parents:
            if p not in keep:
                keep.add(p)
                stack.append(p)
    return [v for v in topological_order(a) if v in keep]


def neuron_view(
    model: Any,
    x: Any,
    target: Any,
    loss: str = "hinge",
    layer: int = 0,
    neuron: int | None = None,
) -> NeuronView:
    """One neuron of ``model`` (an nn MLP) on one sample ``x`` with its loss, back-propagated.

    Parameters:
        model: an ``nn.MLP``.
        x: one sample (nin numbers); target: its label or target value (as ``fit`` takes them:
            0/1 labels are mapped to ±1 for hinge).
        loss: a loss name from ``nn.losses``.
        layer: the layer of the neuron (0: the first hidden layer, whose inputs are x itself).
        neuron: its index in the layer; None picks the neuron with the largest |dL/dz| on this
            sample (a neuron that is learning from it, not a dead relu).

    Example:
        >>> from nn import MLP
        >>> view = neuron_view(MLP(2, [4, 1], seed=0), [0.5, -1.0], 1, loss="hinge")
        >>> view.loss.label, view.a.label.endswith(".a"), view.name.startswith("L0.N")
        ('L', True, True)
    """
    from nn import losses as _losses
    from nn.train import _loss_name, _prepare_targets

    layers = getattr(model, "layers", None)
    if not layers:
        raise VizError("neuron_view() needs an nn MLP (a model with layers)")
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(layers):
        raise VizError(f"neuron_view(): layer must be in 0..{len(layers) - 1}, got {excerpt(layer)}")
    width = layers[layer].nin
    if width > MAX_INPUTS:
        raise VizError(f"neuron_view(): a neuron of layer {layer} has {width} inputs, too many to draw (at most 8)")
    sample = np.asarray(x, dtype=np.float64).reshape(-1)
    if sample.shape != (model.nin,):
        raise VizError(f"neuron_view(): x must hold {model.nin} numbers, got shape {np.shape(x)}")
    name = _loss_name(loss)
    t = _prepare_targets(np.asarray([target]), name, 1, "neuron_view()")[0]
    t = t.tolist() if isinstance(t, np.ndarray) else float(t)

    # A copy of the network: its parameters get this sample's gradients, the model's stay untouched.
    Ws, bs = model.weights()
    copy = type(model).from_weights(Ws, bs, model.activations)
    xs = [Value(float(v), label=f"x{i}") for i, v in enumerate(sample)]
    out = copy(xs, expanded=True)
    L = _losses.get(loss)(out, t, reduction="mean")
    L.label = "L"
    L.backward()
    order = topological_order(L)
    by_label = {v.label: v for v in order if v.label}
    count = layers[layer].nout
    if neuron is None:
        zs = [by_label.get(f"L{layer}.N{j}.z") for j in range(count)]
        neuron = int(np.argmax([abs(float(z.grad)) if z is not None else -1.0 for z in zs]))
    if isinstance(neuron, bool) or not isinstance(neuron, int) or not 0 <= neuron < count:
        raise VizError(f"neuron_view(): layer {layer} has neurons 0..{count - 1}, got {excerpt(neuron)}")
    prefix = f"L{layer}.N{neuron}"
    z = by_label[f"{prefix}.z"]
    a = by_label.get(f"{prefix}.a", z)
    inputs = set(xs) if layer == 0 else {by_label[f"L{layer - 1}.N{k}.a"] for k in range(width)}
    nodes = _neuron_nodes(a, inputs)
    cut = {v for v in nodes if v in inputs and v.parents}
    if L is not a:
        cut.add(L)
        nodes = [*nodes, L]
    inputs_in_order = [v for v in nodes if v in inputs]
    return NeuronView(prefix, a, z, L, Subgraph(L, nodes, cut), inputs_in_order, count - 1)
