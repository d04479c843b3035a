"""Convolution, pooling, flattening and elementwise activations for ``nn.Sequential``.

An image is a flat list of nodes in PyTorch's (channel, row, column) order, each a scalar
Value for one sample or a laned Value for a mini-batch. Every output pixel of a convolution
is ONE ``dot`` node over its receptive field (``autograd_core.conv.dot_patches``, one matrix
product per layer on lanes); a max-pooled pixel is one ``max_values`` node over its window,
an average-pooled pixel one ``mean`` node. So any filter's neuron can be opened, drawn and
differentiated on its own: its parents are the filter's weights and the pixels it sees.

Labels (``n`` is the layer's position in its Sequential, as PyTorch numbers its modules):
``C0.F3.w0.1.2`` (conv 0, filter 3, weight at in-channel 0, kernel row 1, column 2, i.e.
``layers[0].filters[3].w[0][1][2]``), ``C0.F3.b``, ``C0.F3.z[y,x]`` (its output pixel),
``C0.F3.a[y,x]`` (after the activation that follows), ``P2.C3[y,x]`` (pool 2, channel 3).

Example:
    >>> conv = Conv2d(1, 2, kernel_size=3, padding=1, seed=0)
    >>> conv
    Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> conv.output_shape((1, 8, 8)), conv.num_parameters()
    ((2, 8, 8), 20)
    >>> MaxPool2d(2).output_shape((2, 8, 8))
    (2, 4, 4)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd_core import DomainError, OperandTypeError, ShapeError, Value, ops
from autograd_core.conv import dot_patches, map_nodes, output_size, patch_index, pool_nodes
from autograd_core.errors import excerpt
from autograd_core.params import ParamBuffer, Parameter, pack

from . import activations as acts
from .errors import ConfigError
from .modelfile import check_layer
from .module import Module

__all__ = ["Activation", "AvgPool2d", "Conv2d", "Filter", "Flatten", "MaxPool2d", "pair"]

Shape = tuple[int, ...]


def pair(value: Any, what: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as a pair (PyTorch's ``kernel_size=3`` means (3, 3)).

    Example:
        >>> pair(3, "kernel_size"), pair((2, 1), "stride")
        ((3, 3), (2, 1))
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and v >= minimum for v in items
    )
    if not ok:
        raise ConfigError(f"{what} must be an integer >= {minimum} or a pair of them, got {excerpt(value)}")
    return int(items[0]), int(items[1])


def _image(shape: Shape, who: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(
            f"{who} needs an image (channels, height, width) but gets a vector of shape {shape}: convolutions "
            "and pooling go before Flatten and dense layers, and the Sequential needs input_shape=(C, H, W)"
        )
    return shape  # type: ignore[return-value]


def _image_batch(x: Any, who: str) -> tuple[list[Any], tuple[int, int, int]]:
    """An array (C, H, W) (one image: a scalar graph) or (n, C, H, W) (a batch: lanes) as flat inputs, and (C, H, W)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise OperandTypeError(f"{who}: the input must be an array of numbers, (C, H, W) or (n, C, H, W)") from None
    if arr.ndim not in (3, 4) or 0 in arr.shape:
        raise ShapeError(f"{who}: expected an image (C, H, W) or a batch (n, C, H, W), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DomainError(f"{who}: the input holds a value that is not finite")
    if arr.ndim == 3:
        return arr.reshape(-1).tolist(), arr.shape  # type: ignore[return-value]
    return list(np.ascontiguousarray(arr.reshape(len(arr), -1).T)), arr.shape[1:]  # type: ignore[return-value]


# --- convolution ----------------------------------------------------------------------------


class Filter(Module):
    """One filter of a Conv2d: weights ``w[c][i][j]`` (in-channel, kernel row, column) and a bias.

    Example:
        >>> f = Conv2d(1, 1, 2, weights=[[[[1.0, 2.0], [3.0, 4.0]]]]).filters[0]
        >>> f.w[0][1][0].data, f.w[0][1][0].label, f.b.label
        (3.0, 'C0.F0.w0.1.0', 'C0.F0.b')
    """

    def __init__(self, weights: np.ndarray, bias: float) -> None:
        C, kh, kw = weights.shape
        params = ParamBuffer([*np.asarray(weights, dtype=np.float64).reshape(-1).tolist(), float(bias)]).params
        self._flat = params[:-1]  # (c, i, j) order: PyTorch's
        self.w = [[self._flat[(c * kh + i) * kw : (c * kh + i + 1) * kw] for i in range(kh)] for c in range(C)]
        self.b = params[-1]

    def relabel(self, prefix: str) -> None:
        """Rename the weights ``{prefix}.w{c}.{i}.{j}`` and the bias ``{prefix}.b``.

        Example:
            >>> f = Conv2d(1, 1, 1).filters[0]; f.relabel("C2.F0"); f.b.label
            'C2.F0.b'
        """
        for c, plane in enumerate(self.w):
            for i, row in enumerate(plane):
                for j, v in enumerate(row):
                    v.label = f"{prefix}.w{c}.{i}.{j}"
        self.b.label = f"{prefix}.b"

    def weights(self) -> np.ndarray:
        """The weights as an array (in_channels, kh, kw).

        Example:
            >>> Conv2d(2, 1, 3).filters[0].weights().shape
            (2, 3, 3)
        """
        return np.array([[[v.data for v in row] for row in plane] for plane in self.w], dtype=np.float64)


class Conv2d(Module):
    """A 2-D convolution with PyTorch's arguments, layout and semantics (cross-correlation).

    Parameters:
        in_channels, out_channels: channels of the input image and number of filters.
        kernel_size, stride, padding: an int or a (height, width) pair; zero padding.
        init: "auto" is PyTorch's default (weights and biases uniform in ±1/sqrt(fan_in),
            fan_in = in_channels·kh·kw); or a name of ``nn.layers.INITS`` ("he", ...).
        seed: seeds the initialisation.
        weights: explicit weights, shape (out_channels, in_channels, kh, kw) as PyTorch's
            ``conv.weight``; ``bias``: shape (out_channels,) (zeros by default with weights).

    Output shape: (out_channels, ⌊(H + 2p − kh)/s⌋ + 1, ⌊(W + 2p − kw)/s⌋ + 1).

    Example:
        >>> conv = Conv2d(1, 1, 2, weights=[[[[1.0, 0.0], [0.0, 1.0]]]], bias=[0.5])
        >>> [z.data for z in conv(np.array([[[1.0, 2.0], [3.0, 4.0]]]))]
        [5.5]
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        *,
        init: str = "auto",
        seed: int | np.random.Generator | None = None,
        weights: Any = None,
        bias: Any = None,
    ) -> None:
        self.in_channels = _positive(in_channels, "Conv2d: in_channels")
        self.out_channels = _positive(out_channels, "Conv2d: out_channels")
        self.kernel_size = pair(kernel_size, "Conv2d: kernel_size")
        self.stride = pair(stride, "Conv2d: stride")
        self.padding = pair(padding, "Conv2d: padding", minimum=0)
        F, C, (kh, kw) = self.out_channels, self.in_channels, self.kernel_size
        fan_in = C * kh * kw
        if weights is None:
            rng = np.random.default_rng(seed)
            if init == "auto":
                bound = 1.0 / math.sqrt(fan_in)
                W = rng.uniform(-bound, bound, (F, C, kh, kw))
                b = rng.uniform(-bound, bound, F) if bias is None else bias
            else:
                from .layers import init_weights

                flat, drawn = init_weights(init, "relu", fan_in, F, rng)
                W, b = flat.reshape(F, C, kh, kw), (drawn if bias is None else bias)
        else:
            W, b = weights, (np.zeros(F) if bias is None else bias)
        W, b = self._check_weights(W, b, "Conv2d")
        self.filters = [Filter(W[f], b[f]) for f in range(F)]
        pack(self.parameters())  # one buffer for the layer, row f = [*w_f, b_f]
        self._block_key: Any = None
        self._block: tuple[np.ndarray, np.ndarray] | None = None
        self._position = -1
        self.relabel(0)

    def _check_weights(self, W: Any, b: Any, who: str) -> tuple[np.ndarray, np.ndarray]:
        F, C, (kh, kw) = self.out_channels, self.in_channels, self.kernel_size
        try:
            W = np.array(W, dtype=np.float64)
            b = np.array(b, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ConfigError(f"{who}: weights and bias must be numbers") from None
        if W.shape != (F, C, kh, kw):
            raise ShapeError(f"{who}: weights must have shape {(F, C, kh, kw)} (out x in x kh x kw), got {W.shape}")
        if b.shape != (F,):
            raise ShapeError(f"{who}: bias must have shape ({F},), got {b.shape}")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ShapeError(f"{who}: a weight or bias is not finite")
        return W, b

    def relabel(self, position: int) -> None:
        """Number the layer ``position``: its labels become ``C{position}.F{f}.w{c}.{i}.{j}``, ``.b``, ``.z[y,x]``.

        Example:
            >>> conv = Conv2d(1, 2, 1); conv.relabel(3); conv.filters[1].b.label
            'C3.F1.b'
        """
        if position == self._position:
            return
        self._position = position
        for f, filt in enumerate(self.filters):
            filt.relabel(f"C{position}.F{f}")
        self._labels: tuple[Shape, list[str]] | None = None  # made for an input shape on first use

    def output_shape(self, shape: Shape, where: str = "Conv2d") -> Shape:
        """The output shape for an input of ``shape`` (C, H, W); ShapeError naming both if it does not fit.

        Example:
            >>> Conv2d(3, 8, 5, stride=2).output_shape((3, 32, 32))
            (8, 14, 14)
        """
        C, H, W = _image(shape, where)
        if self.in_channels != C:
            raise ShapeError(f"{where} takes {self.in_channels} input channels, got an input of shape {shape}")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        oh, ow = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
        if oh < 1 or ow < 1:
            raise ShapeError(
                f"{where}: a {kh}x{kw} kernel with padding {self.padding} does not fit an input of shape {shape} "
                f"(padded {H + 2 * ph}x{W + 2 * pw})"
            )
        return (self.out_channels, oh, ow)

    def labels(self, shape: Shape) -> list[str]:
        """The labels of the output pixels for an input of ``shape``, in (filter, row, column) order.

        Example:
            >>> Conv2d(1, 2, 3)(np.zeros((1, 3, 3)))[1].label
            'C0.F1.z[0,0]'
        """
        if self._labels is None or self._labels[0] != shape:
            _, oh, ow = self.output_shape(shape)
            pre = f"C{self._position}"
            names = [f"{pre}.F{f}.z[{y},{x}]" for f in range(self.out_channels) for y in range(oh) for x in range(ow)]
            self._labels = (shape, names)
        return self._labels[1]

    def parameters(self) -> list[Value]:
        """Filter by filter: its weights in (in-channel, row, column) order, then its bias.

        Example:
            >>> len(Conv2d(1, 16, 3).parameters())
            160
        """
        return [p for f in self.filters for p in (*f._flat, f.b)]

    def __call__(self, x: Any) -> list[Value]:
        """The output pixels for an image (C, H, W) or a batch (n, C, H, W), flat in (filter, row, column) order.

        One image gives a scalar graph; a batch gives laned nodes (as PyTorch's ``conv(x)``, but flat).

        Example:
            >>> conv = Conv2d(1, 1, 2, weights=[[[[1.0, 0.0], [0.0, 1.0]]]], bias=[0.5])
            >>> [z.data for z in conv(np.arange(4.0).reshape(1, 2, 2))], conv(np.zeros((3, 1, 2, 2)))[0].lanes
            ([3.5], 3)
        """
        xs, shape = _image_batch(x, self.describe())
        self.output_shape(shape, self.describe())
        return self._forward(xs, shape)

    def param_block(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Views (values, grads) of shape (out_channels, in_channels·kh·kw + 1) of the buffer holding [W | b].

        None when the parameters are not one run of slots of one buffer (a parameter was
        replaced by another object); the layer then reads them one by one.

        Example:
            >>> data, grad = Conv2d(1, 2, 1, weights=[[[[1.0]]], [[[2.0]]]]).param_block()
            >>> data.tolist()
            [[1.0, 0.0], [2.0, 0.0]]
        """
        params = self.parameters()
        first = params[0]
        buf = first._buf if type(first) is Parameter else None
        key = None if buf is None else (buf, first._i, buf.generation)
        if key != self._block_key or key is None:
            self._block_key, self._block = key, None
            start = first._i if buf is not None else 0
            if buf is not None and all(
                type(p) is Parameter and p._buf is buf and p._i == start + k for k, p in enumerate(params)
            ):
                shape = (self.out_channels, len(params) // self.out_channels)
                self._block = (
                    buf.data[start : start + len(params)].reshape(shape),
                    buf.grad[start : start + len(params)].reshape(shape),
                )
        return self._block

    def _forward(self, xs: list[Any], shape: Shape) -> list[Value]:
        filters = self.filters
        block = self.param_block()
        zs = dot_patches([f._flat for f in filters], [f.b for f in filters], xs, shape, *self._geometry(), block)
        for z, label in zip(zs, self.labels(shape)):
            z.label = label
        return zs

    def _geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        return self.kernel_size, self.stride, self.padding

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b): W of shape (out_channels, in_channels, kh, kw), as PyTorch's ``conv.weight``.

        Example:
            >>> W, b = Conv2d(1, 4, 3).weights(); W.shape, b.shape
            ((4, 1, 3, 3), (4,))
        """
        return np.stack([f.weights() for f in self.filters]), np.array([f.b.data for f in self.filters])

    def set_weights(self, W: Any, b: Any) -> None:
        """Set every weight and bias (checked first: shapes and finiteness).

        Example:
            >>> conv = Conv2d(1, 1, 1); conv.set_weights([[[[2.0]]]], [1.0]); conv.weights()[0].tolist()
            [[[[2.0]]]]
        """
        W, b = self._check_weights(W, b, f"layer {max(self._position, 0)} (Conv2d)")
        for f, filt in enumerate(self.filters):
            for v, x in zip(filt._flat, W[f].reshape(-1).tolist()):
                v.data = x
            filt.b.data = float(b[f])

    def config(self) -> dict[str, Any]:
        """The layer as JSON data (PyTorch's argument names).

        Example:
            >>> Conv2d(1, 8, 3, padding=1).config()["padding"]
            [1, 1]
        """
        return {
            "type": "Conv2d",
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }

    def describe(self) -> str:
        """A short text for summaries and errors.

        Example:
            >>> Conv2d(1, 8, 3, padding=1).describe()
            'Conv2d(1, 8, 3, padding=1)'
        """
        parts = [str(self.in_channels), str(self.out_channels), _short(self.kernel_size)]
        if self.stride != (1, 1):
            parts.append(f"stride={_short(self.stride)}")
        if self.padding != (0, 0):
            parts.append(f"padding={_short(self.padding)}")
        return f"Conv2d({', '.join(parts)})"

    def __repr__(self) -> str:
        return (
            f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding})"
        )


# --- pooling --------------------------------------------------------------------------------


class _Pool2d(Module):
    kind = ""
    letter = "P"

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size = pair(kernel_size, f"{self.kind}: kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, f"{self.kind}: stride")
        self._position = 0
        self._cache: tuple[Shape, tuple[tuple[int, ...], ...], list[str]] | None = None

    def relabel(self, position: int) -> None:
        """Number the layer ``position``: its output pixels become ``P{position}.C{c}[y,x]``.

        Example:
            >>> pool = MaxPool2d(2); pool.relabel(2); pool(np.ones((1, 2, 2)))[0].label
            'P2.C0[0,0]'
        """
        self._position, self._cache = position, None

    def output_shape(self, shape: Shape, where: str = "") -> Shape:
        """The output shape for an input of ``shape`` (C, H, W); ShapeError naming both if it does not fit.

        Example:
            >>> MaxPool2d(3, stride=2).output_shape((4, 7, 7))
            (4, 3, 3)
        """
        where = where or self.kind
        C, H, W = _image(shape, where)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        oh, ow = output_size(H, kh, sh), output_size(W, kw, sw)
        if oh < 1 or ow < 1:
            raise ShapeError(f"{where}: a {kh}x{kw} window does not fit an input of shape {shape}")
        return (C, oh, ow)

    def _windows(self, shape: Shape) -> tuple[tuple[tuple[int, ...], ...], list[str]]:
        """Per output pixel (channel, row, column order): the inputs of its window, and its label."""
        if self._cache is None or self._cache[0] != shape:
            C, H, W = shape
            _, oh, ow = self.output_shape(shape)
            index = patch_index((1, H, W), self.kernel_size, self.stride)  # (kh*kw, oh*ow) within one channel
            windows = tuple(tuple(int(i) + c * H * W for i in index[:, p]) for c in range(C) for p in range(oh * ow))
            pre = f"{self.letter}{self._position}"
            labels = [f"{pre}.C{c}[{y},{x}]" for c in range(C) for y in range(oh) for x in range(ow)]
            self._cache = (shape, windows, labels)
        return self._cache[1], self._cache[2]

    def __call__(self, x: Any) -> list[Value]:
        """The pooled pixels for an image (C, H, W) or a batch (n, C, H, W), flat in (channel, row, column) order.

        Example:
            >>> [v.data for v in MaxPool2d(2)(np.array([[[1.0, 5.0], [3.0, 2.0]]]))]
            [5.0]
        """
        xs, shape = _image_batch(x, self.describe())
        self.output_shape(shape, self.describe())
        return self._forward(xs, shape)

    def _forward(self, xs: list[Any], shape: Shape) -> list[Value]:
        windows, labels = self._windows(shape)
        out = pool_nodes(self._op, xs, windows)  # one NumPy reduction for the layer on lanes
        for node, label in zip(out, labels):
            node.label = label
        return out

    def parameters(self) -> list[Value]:
        """None: pooling has no parameters.

        Example:
            >>> MaxPool2d(2).parameters()
            []
        """
        return []

    def config(self) -> dict[str, Any]:
        """The layer as JSON data (PyTorch's argument names).

        Example:
            >>> MaxPool2d(2).config()
            {'type': 'MaxPool2d', 'kernel_size': [2, 2], 'stride': [2, 2]}
        """
        return {"type": self.kind, "kernel_size": list(self.kernel_size), "stride": list(self.stride)}

    def describe(self) -> str:
        """A short text for summaries and errors.

        Example:
            >>> AvgPool2d(2).describe(), MaxPool2d(3, 2).describe()
            ('AvgPool2d(2)', 'MaxPool2d(3, stride=2)')
        """
        extra = f", stride={_short(self.stride)}" if self.stride != self.kernel_size else ""
        return f"{self.kind}({_short(self.kernel_size)}{extra})"

    def __repr__(self) -> str:
        return f"{self.kind}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    """Max pooling over kh × kw windows (stride defaults to the kernel size, as in PyTorch).

    Each output pixel is one ``max_values`` node over its window; its gradient goes to the
    first largest input (PyTorch's choice on ties).

    Example:
        >>> [v.data for v in MaxPool2d(2)(np.array([[[1.0, 5.0], [3.0, 2.0]]]))]
        [5.0]
    """

    kind = "MaxPool2d"
    _op = ops.MAX_VALUES


class AvgPool2d(_Pool2d):
    """Average pooling over kh × kw windows (stride defaults to the kernel size, as in PyTorch).

    Each output pixel is one ``mean`` node over its window.

    Example:
        >>> [v.data for v in AvgPool2d(2)(np.array([[[1.0, 5.0], [3.0, 3.0]]]))]
        [3.0]
    """

    kind = "AvgPool2d"
    _op = ops.MEAN


# --- shape and activations ------------------------------------------------------------------


class Flatten(Module):
    """(C, H, W) -> (C·H·W,) in (channel, row, column) order, as PyTorch's ``nn.Flatten()``.

    The nodes stay as they are: an image already is a flat list in that order.

    Example:
        >>> Flatten().output_shape((16, 4, 4))
        (256,)
    """

    def relabel(self, position: int) -> None:
        """Nothing to rename: Flatten makes no nodes.

        Example:
            >>> Flatten().relabel(3)
        """

    def output_shape(self, shape: Shape, where: str = "Flatten") -> Shape:
        """(product of ``shape``,).

        Example:
            >>> Flatten().output_shape((3,))
            (3,)
        """
        return (math.prod(shape),)

    def _forward(self, xs: list[Any], shape: Shape) -> list[Any]:
        return xs

    def config(self) -> dict[str, Any]:
        """``{'type': 'Flatten'}``.

        Example:
            >>> Flatten().config()
            {'type': 'Flatten'}
        """
        return {"type": "Flatten"}

    def describe(self) -> str:
        """'Flatten'.

        Example:
            >>> Flatten().describe()
            'Flatten'
        """
        return "Flatten"

    def __repr__(self) -> str:
        return "Flatten()"


class Activation(Module):
    """An activation by name, applied to every node (softmax: to the whole vector).

    Its nodes take the label of their input with ``z`` made ``a`` (``C0.F3.a[1,2]``,
    ``L4.N0.a``), or ``A{position}[i]`` for inputs of another kind.

    Example:
        >>> Activation("relu"), Activation("logistic").name
        (Activation('relu'), 'sigmoid')
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise ConfigError(f"Activation: give the activation by name (as in a saved model), got {excerpt(name)}")
        self.name = acts.canonical_name(name)
        self._fn = acts.get(self.name)
        self._layerwise = acts.is_layerwise(self._fn)
        self._method = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid}.get(self.name)
        self._op = {"relu": ops.RELU, "tanh": ops.TANH, "sigmoid": ops.SIGMOID}.get(self.name)
        self._position = 0
        self._labels: tuple[list[str], list[str]] | None = None  # (input labels, output labels) last seen

    def relabel(self, position: int) -> None:
        """Number the layer ``position``: outputs of unlabelled inputs become ``A{position}[i]``.

        Example:
            >>> act = Activation("relu"); act.relabel(5); act._forward([1.0], (1,))[0].label
            'A5[0]'
        """
        self._position, self._labels = position, None

    def output_shape(self, shape: Shape, where: str = "Activation") -> Shape:
        """The same shape (softmax needs a vector: after Flatten or a dense Layer).

        Example:
            >>> Activation("relu").output_shape((8, 4, 4))
            (8, 4, 4)
        """
        if self._layerwise and len(shape) != 1:
            raise ShapeError(f"{where}: {self.name} acts on a vector; got an input of shape {shape}, flatten it first")
        return shape

    def _forward(self, xs: list[Any], shape: Shape) -> list[Any]:
        if self.name == "linear":
            return xs
        if self._layerwise:
            outs = self._fn(xs)
        elif self._op is not None and all(type(x) is Value for x in xs):
            outs = map_nodes(self._op, xs)  # one NumPy call for the layer on lanes
        else:
            fn = self._method or self._fn
            outs = [fn(x) if type(x) is Value else fn(Value(x)) for x in xs]
        seen = [x.label if type(x) is Value else "" for x in xs]
        if self._labels is None or self._labels[0] != seen:
            made = [_activated(label) if label else f"A{self._position}[{i}]" for i, label in enumerate(seen)]
            self._labels = (seen, made)
        for a, label in zip(outs, self._labels[1]):
            a.label = label
        return outs

    def config(self) -> dict[str, Any]:
        """``{'type': 'Activation', 'activation': name}``.

        Example:
            >>> Activation("relu").config()
            {'type': 'Activation', 'activation': 'relu'}
        """
        return {"type": "Activation", "activation": self.name}

    def describe(self) -> str:
        """The activation's name.

        Example:
            >>> Activation("tanh").describe()
            'tanh'
        """
        return self.name

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _activated(label: str) -> str:
    """'C0.F3.z[1,2]' -> 'C0.F3.a[1,2]', 'L4.N0.z' -> 'L4.N0.a'; other labels get '.a'."""
    head, dot, tail = label.rpartition(".")
    if dot and tail.startswith("z"):
        return f"{head}.a{tail[1:]}"
    return f"{label}.a"


def _positive(n: Any, what: str) -> int:
    if isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and n >= 1:
        return int(n)
    raise ConfigError(f"{what} must be a positive integer, got {excerpt(n)}")


def _short(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


# --- configs --------------------------------------------------------------------------------


def layer_from_config(cfg: Any, where: str) -> Module:
    """Build one layer (Conv2d, MaxPool2d, AvgPool2d, Flatten, Activation, Layer) from its config.

    Strict, by the rules of ``nn.modelfile`` (``check_layer``): exactly the layer's keys, JSON
    integers in range, activation names as ``save`` writes them.

    Example:
        >>> layer_from_config({"type": "MaxPool2d", "kernel_size": [2, 2], "stride": [2, 2]}, "layers[2]")
        MaxPool2d(kernel_size=(2, 2), stride=(2, 2))
    """
    from .layers import Layer

    check_layer(cfg, where)
    kind = cfg["type"]
    if kind == "Conv2d":
        cin, cout, k = cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"]
        return Conv2d(cin, cout, k, cfg["stride"], cfg["padding"], weights=np.zeros((cout, cin, *k)))
    if kind in ("MaxPool2d", "AvgPool2d"):
        return (MaxPool2d if kind == "MaxPool2d" else AvgPool2d)(cfg["kernel_size"], cfg["stride"])
    if kind == "Flatten":
        return Flatten()
    if kind == "Activation":
        return Activation(cfg["activation"])
    nin, nout = cfg["nin"], cfg["nout"]
    return Layer(nin, nout, cfg["activation"], weights=np.zeros((nout, nin)))


def as_layer(item: Any, position: int) -> Module:
    """A Sequential item as a layer: modules stay, names become ``Activation``s.

    Example:
        >>> as_layer("relu", 1)
        Activation('relu')
    """
    from .layers import Layer

    if isinstance(item, str):
        return Activation(item)
    if isinstance(item, (Conv2d, _Pool2d, Flatten, Activation, Layer)):
        return item
    raise ConfigError(
        f"Sequential: item {position} is a {type(item).__name__}; expected Conv2d, MaxPool2d, AvgPool2d, "
        "Flatten, Layer or an activation name"
    )


def dense_weights(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of a dense ``Layer``: W (nout, nin) as PyTorch's ``linear.weight``.

    Example:
        >>> from nn import Layer
        >>> [a.shape for a in dense_weights(Layer(3, 2))]
        [(2, 3), (2,)]
    """
    W = np.array([[w.data for w in n.w] for n in layer.neurons], dtype=np.float64)
    return W, np.array([n.b.data for n in layer.neurons], dtype=np.float64)
