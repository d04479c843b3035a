"""A convolution's dot products on lanes, computed and differentiated as one matrix product.

``dot_patches(filters, biases, xs, shape, kernel, stride, padding)`` returns one ordinary
``dot`` node per output pixel of every filter: ``w_f · (the pixel's receptive field) + b_f``.
Each node's parents are exactly the filter's weights and the input pixels it sees (padding adds
nothing, so a border pixel has fewer), so any one of them draws, labels and differentiates
alone, and ``backward(create_graph=True)`` uses the table's ``dot`` rule for each.

On lanes the nodes also share a ``DotPatches`` group, as ``dot_rows``'s nodes share a layer:
the forward is one im2col and one ``W @ cols`` for the whole layer, and the plain backward
waits until every pixel has its gradient, then applies ``ops.DOT.patches_vjp`` (the dot rule
for all pixels at once: ``dW = G colsᵀ``, ``db = Σ G``, ``dX = col2im(Wᵀ G)``).

The activation and pooling layers after a convolution are fused the same way: ``map_nodes``
(one relu/tanh/sigmoid node per pixel, one NumPy call and one application of the op's rule
for the layer) and ``pool_nodes`` (one ``max_values`` or ``mean`` node per window, one
reduction forward and the op's ``patches_vjp`` backward). A walk of the backward pass meets
all of a group's inputs through one hidden hub node, so each layer runs once, after all its
members have their gradients.

Layout is PyTorch's: inputs in (channel, row, column) order, a filter's weights in
(in_channel, kernel_row, kernel_column) order, outputs in (filter, row, column) order.

Example:
    >>> import numpy as np
    >>> from autograd_core import Value
    >>> image = [np.array([float(i), 1.0]) for i in range(9)]  # one 3x3 channel, 2 lanes
    >>> w = [[Value(1.0), Value(0.0), Value(0.0), Value(1.0)]]  # one 2x2 filter: top-left + bottom-right
    >>> zs = dot_patches(w, [Value(0.5)], image, (1, 3, 3), (2, 2))
    >>> [z.data.tolist() for z in zs]
    [[4.5, 2.5], [6.5, 2.5], [10.5, 2.5], [12.5, 2.5]]
    >>> sum(zs).sum().backward(); w[0][0].grad, w[0][3].grad
    (12.0, 28.0)
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .errors import ShapeError
from .fused import MemberGroup
from .params import Parameter
from .value import Value, _modes, apply

ndarray = np.ndarray
Pair = tuple[int, int]

__all__ = ["DotPatches", "LaneMap", "LanePool", "dot_patches", "map_nodes", "output_size", "patch_index", "pool_nodes"]


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution or pooling along one axis (PyTorch's floor rule); 0 if none fits.

    Example:
        >>> output_size(8, 3, 1, 1), output_size(8, 2, 2), output_size(2, 3)
        (8, 4, 0)
    """
    span = size + 2 * padding - kernel
    return span // stride + 1 if span >= 0 else 0


@functools.lru_cache(maxsize=64)
def patch_index(shape: tuple[int, int, int], kernel: Pair, stride: Pair = (1, 1), padding: Pair = (0, 0)) -> ndarray:
    """For every kernel entry k (channel, row, column) and output pixel p, the input it reads.

    Inputs are numbered in (channel, row, column) order; an entry that falls on the padding
    reads input C·H·W (a zero). Shape (C·kh·kw, out_h·out_w), read-only (it is cached).

    Example:
        >>> patch_index((1, 3, 3), (2, 2)).tolist()  # 4 kernel entries x 4 output pixels
        [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    """
    C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    rows = (np.arange(oh) * sh)[None, :] + np.arange(kh)[:, None] - ph  # (kh, oh)
    cols = (np.arange(ow) * sw)[None, :] + np.arange(kw)[:, None] - pw  # (kw, ow)
    r = rows[None, :, None, :, None]  # (1, kh, 1, oh, 1)
    c = cols[None, None, :, None, :]  # (1, 1, kw, 1, ow)
    ch = np.arange(C)[:, None, None, None, None]
    inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
    flat = np.where(inside, ch * H * W + r * W + c, C * H * W)
    index = flat.reshape(C * kh * kw, oh * ow)
    index.flags.writeable = False
    return index


class _Geometry:
    """What ``dot_patches`` needs per pixel for one (shape, kernel, stride, padding), worked out once.

    ``take_x[p]`` picks pixel p's receptive field from the inputs; pixels whose kernel entries
    fall inside the image in the same way (interior, an edge, a corner) share a ``pattern``, and
    ``take_w[pattern]`` picks the weights those entries use from a filter.
    """

    __slots__ = ("counts", "index", "n", "pattern", "take_w", "take_x")

    def __init__(self, index: ndarray, n: int) -> None:
        self.index = index
        self.n = n
        patterns: dict[tuple[int, ...], int] = {}
        pattern, take_w, take_x, counts = [], [], [], []
        for p in range(index.shape[1]):
            ks = np.flatnonzero(index[:, p] < n)
            counts.append(len(ks))
            key = tuple(ks.tolist())
            if key not in patterns:
                patterns[key] = len(take_w)
                take_w.append(_getter(key))
            pattern.append(patterns[key])
            take_x.append(_getter(index[ks, p]))
        self.pattern = tuple(pattern)
        self.take_w = tuple(take_w)
        self.take_x = tuple(take_x)
        self.counts = tuple(counts)  # inputs each pixel sees (0: padding only)


@functools.lru_cache(maxsize=64)
def _geometry(shape: tuple[int, int, int], kernel: Pair, stride: Pair, padding: Pair) -> _Geometry:
    return _Geometry(patch_index(shape, kernel, stride, padding), shape[0] * shape[1] * shape[2])


def _hub(parents: tuple[Value, ...]) -> tuple[Value, ...]:
    """One hidden node whose parents are ``parents``: a group's members name it as their input.

    A member sees only part of the layer's inputs, so a walk from one member would not meet
    every input before the other members; with the hub all the inputs (and, for a convolution,
    the weights) come ahead of the whole layer in the topological order, so the layer's backward
    runs before any input passes its gradient on.
    """
    if not parents:
        return ()
    hub = Value.__new__(Value)
    hub._data, hub._grad, hub._fn, hub._args, hub.label, hub._group = 0.0, None, ops.SUM, parents, "", None
    return (hub,)


def _stacked_grads(members: list[Value], present: list[int], lanes: int) -> ndarray:
    """The members' gradients as rows (members × lanes); zeros for members not in this pass."""
    if len(present) == len(members):
        try:
            return np.array([m._grad for m in members], dtype=np.float64)
        except (ValueError, TypeError):  # a member got no gradient (None): fill row by row
            pass
        present = range(len(members))  # type: ignore[assignment]
    G = np.zeros((len(members), lanes))
    for j in present:
        g = members[j]._grad
        if g is not None:
            G[j] = g
    return G


def _stack(datas: list[Any]) -> ndarray | None:
    """The inputs' lanes stacked (inputs × lanes), or None unless every input has lanes of one length."""
    try:
        X = np.array(datas, dtype=np.float64)  # (np.stack costs twice as much in Python calls)
    except (ValueError, TypeError):
        return None
    return X if X.ndim == 2 and all(type(d) is ndarray for d in datas) else None


class DotPatches(MemberGroup):
    """The shared state of one convolution's dot nodes: filters, im2col inputs, and the members
    seen by the backward pass in progress (the same protocol as ``fused.DotRows``)."""

    __slots__ = (
        "W",
        "biases",
        "cols",
        "filters",
        "grad_block",
        "hub",
        "index",
        "members",
        "n_inputs",
        "present",
        "stamp",
        "waiting",
        "xs",
    )

    def __init__(
        self,
        filters: Sequence[Sequence[Value]],
        biases: Sequence[Value],
        W: ndarray,
        cols: ndarray,
        index: ndarray,
        xs: list[Any],
        grad_block: ndarray | None = None,
    ) -> None:
        self.filters = filters
        self.biases = biases
        self.W = W  # (filters, K) weights as they were in the forward pass
        self.cols = cols  # (K, pixels, lanes): each pixel's receptive field
        self.index = index
        self.xs = xs
        self.n_inputs = len(xs)
        self.grad_block = grad_block  # (filters, K + 1) [dW | db] in a gradient buffer, or None
        self.members: list[Value] = []
        self.present: list[int] = []
        self.stamp: object = None
        self.waiting = 0
        # Weights outside a buffer block are parents of the hub too, so the walk lists them as
        # leaves; a block's weights are the layer's own business (as for fused.DotRows).
        params = () if grad_block is not None else (*(p for row in filters for p in row), *biases)
        self.hub = _hub((*(x for x in xs if isinstance(x, Value)), *params))

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk must visit for member ``node``: the layer's inputs, once."""
        return self.hub

    def backward(self, node: Value, accumulate: Any) -> None:
        """Distribute every pixel's gradient to the filters, biases and inputs at once."""
        filters, K = self.W.shape
        pixels, lanes = self.cols.shape[1], self.cols.shape[2]
        G = _stacked_grads(self.members, self.present, lanes)
        dW, db, dX = ops.DOT.patches_vjp(
            G.reshape(filters, pixels, lanes), self.W, self.cols, self.index, self.n_inputs
        )
        if not np.all(np.isfinite(dW)):  # weights skip the leaf check of backward: check here
            raise FloatingPointError("a weight gradient of a convolution is not finite")
        block = self.grad_block
        if block is not None:  # the filters live in a buffer: add dW and db there, one operation each
            block[:, :K] += dW
            block[:, K] += db
        else:
            for ws, b, dw_row, dbf in zip(self.filters, self.biases, dW.tolist(), db.tolist()):
                for w, share in zip((*ws, b), (*dw_row, dbf)):
                    if type(w) is Parameter:  # not folded by backward: straight into its buffer
                        w._buf._g[w._i] += share
                        continue
                    prev = w._grad
                    w._grad = share if prev is None else prev + share
        for x, share in zip(self.xs, dX):
            if isinstance(x, Value):
                accumulate(x, share, True)


def _check(filters: Sequence[Sequence[Any]], biases: Sequence[Any], xs: Sequence[Any], shape: Any, k: int) -> None:
    C, H, W = shape
    if len(xs) != C * H * W:
        raise ShapeError(f"dot_patches(): {len(xs)} inputs for an image of shape {tuple(shape)} ({C * H * W} needed)")
    if len(filters) != len(biases) or any(len(w) != k for w in filters):
        raise ShapeError(f"dot_patches(): {len(filters)} filters of {k} weights and {len(filters)} biases needed")


def dot_patches(
    filters: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    xs: Sequence[Any],
    shape: tuple[int, int, int],
    kernel: Pair,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    block: tuple[ndarray, ndarray] | None = None,
) -> list[Value]:
    """A 2-D convolution as dot nodes: ``[w_f · field(p) + b_f for f in filters for p in pixels]``.

    ``filters`` are rows of C·kh·kw scalar Values, ``biases`` one Value per filter, ``xs`` the
    C·H·W input pixels (Values, numbers or lane arrays) in (channel, row, column) order. Returns
    filters × out_h × out_w nodes in (filter, row, column) order. On lanes with leaf weights
    the layer is one im2col and one matrix product; otherwise (one sample, recording under
    detect_anomaly) every pixel is a plain ``dot`` node, with the same values and gradients.
    ``block`` is where the filters live in a ParamBuffer, as ``(values, grads)`` views of shape
    (filters, C·kh·kw + 1), row f being ``[*w_f, b_f]``: W is read from it and dW added into it.

    Example:
        >>> from autograd_core import Value
        >>> z = dot_patches([[Value(2.0)]], [Value(1.0)], [3.0, 4.0], (1, 1, 2), (1, 1))
        >>> [v.data for v in z]
        [7.0, 9.0]
    """
    shape = (int(shape[0]), int(shape[1]), int(shape[2]))
    geo = _geometry(shape, tuple(kernel), tuple(stride), tuple(padding))
    index = geo.index
    K, P = index.shape
    _check(filters, biases, xs, shape, K)
    xs = list(xs)
    grad_enabled, anomaly = _modes()
    X = _stack([x._data if isinstance(x, Value) else x for x in xs])
    leaves = block is not None or (
        all(not p._args and type(p._data) is float for row in filters for p in row)
        and all(not b._args and type(b._data) is float for b in biases)
    )
    if X is None or not leaves or anomaly:
        pattern, take_w, take_x = geo.pattern, geo.take_w, geo.take_x
        # a pixel that sees only padding is its bias alone: times ones on lanes, so that it has lanes too
        one = 1.0 if X is None else np.ones(X.shape[1])
        return [
            apply(ops.DOT, *take_w[pattern[p]](w), b, *take_x[p](xs), one if not geo.counts[p] else 1.0)
            for w, b in zip(filters, biases)
            for p in range(P)
        ]
    lanes = X.shape[1]
    cols = np.concatenate([X, np.zeros((1, lanes))])[index]  # (K, P, lanes); the last row is the padding
    if block is not None:  # a copy: backward needs the weights of this forward pass
        W, b = block[0][:, :K].copy(), block[0][:, K].copy()
    else:
        W = np.array([[p._data for p in row] for row in filters], dtype=np.float64).reshape(len(filters), K)
        b = np.array([p._data for p in biases], dtype=np.float64)
    Z = (W @ cols.reshape(K, P * lanes)).reshape(len(filters), P, lanes) + b[:, None, None]
    if not grad_enabled:  # no_grad: plain leaves
        return [Value(z) for zf in Z for z in zf]
    group = DotPatches(filters, biases, W, cols, index, xs, None if block is None else block[1])
    out = group.members
    fields = [(*take(xs), 1.0) for take in geo.take_x]  # each pixel's inputs, then the bias's 1
    pattern = geo.pattern
    new = Value.__new__
    DOT = ops.DOT
    j = 0
    for f, (w, bias) in enumerate(zip(filters, biases)):
        heads = [(*take(w), bias) for take in geo.take_w]  # the weights each pattern of pixels uses
        Zf = Z[f]
        for p in range(P):
            node = new(Value)
            node._data = Zf[p]
            node._grad = None
            node.label = ""
            node._fn = DOT
            node._args = heads[pattern[p]] + fields[p]
            node._group = (group, j)
            out.append(node)
            j += 1
    return out[:]


# --- activations and pooling on lanes ---------------------------------------------------------


class LaneMap(MemberGroup):
    """The shared state of one elementwise op over a layer of laned nodes (an activation).

    The forward is one NumPy call on the stacked inputs; the plain backward waits until every
    member has its gradient, then applies the op's one rule of the table to the stacked
    gradients (relu's ``g * (x > 0)``, tanh's ``g * (1 - out²)``, ...).
    """

    __slots__ = ("X", "Y", "hub", "members", "op", "present", "stamp", "waiting", "xs")

    def __init__(self, op: ops.Op, X: ndarray, Y: ndarray, xs: list[Any]) -> None:
        self.op, self.X, self.Y, self.xs = op, X, Y, xs
        self.members: list[Value] = []
        self.present: list[int] = []
        self.stamp: object = None
        self.waiting = 0
        self.hub = _hub(tuple(x for x in xs if isinstance(x, Value)))

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk must visit for member ``node``: the layer's inputs, once."""
        return self.hub

    def backward(self, node: Value, accumulate: Any) -> None:
        """Every member's input gets its share from one application of the op's rule."""
        G = _stacked_grads(self.members, self.present, self.X.shape[1])
        D = self.op.rules[0](G, self.Y, self.X)
        for x, share in zip(self.xs, D):
            if isinstance(x, Value):
                accumulate(x, share, True)


def map_nodes(op: ops.Op, xs: Sequence[Any]) -> list[Value]:
    """``[op(x) for x in xs]``, one ordinary node each; on lanes one NumPy call for them all.

    ``op`` is a one-input op of the table (``ops.RELU``, ``ops.TANH``, ...). On lanes of one
    length (and outside detect_anomaly) the nodes share a ``LaneMap`` group: the backward
    applies the op's rule once to the whole layer. Otherwise each is a plain node; values and
    gradients are the same.

    Example:
        >>> import numpy as np
        >>> from autograd_core import Value, ops
        >>> xs = [Value(np.array([-1.0, 2.0])), Value(np.array([3.0, -4.0]))]
        >>> [a.data.tolist() for a in map_nodes(ops.RELU, xs)]
        [[0.0, 2.0], [3.0, 0.0]]
        >>> sum(map_nodes(ops.RELU, xs)).sum().backward(); xs[0].grad.tolist()
        [0.0, 1.0]
    """
    if op.rules is None or len(op.rules) != 1:
        raise ShapeError(f"map_nodes(): {op.name} is not a one-input op")
    xs = list(xs)
    grad_enabled, anomaly = _modes()
    X = None if anomaly or not xs else _stack([x._data if isinstance(x, Value) else x for x in xs])
    if X is None:
        return [apply(op, x) for x in xs]
    Y = op.forward(X)
    if not grad_enabled:
        return [Value(y) for y in Y]
    return _members(LaneMap(op, X, Y, xs), op, Y, [(x,) for x in xs])


def _members(group: Any, op: ops.Op, Y: ndarray, args: list[tuple[Any, ...]]) -> list[Value]:
    """The nodes of ``group``, one per row of ``Y``: ``op`` of ``args[j]`` with the value ``Y[j]``.

    They are built without ``Value.__init__`` (their data is already checked) and kept in
    ``group.members`` too; the caller gets its own list.
    """
    out = group.members
    new = Value.__new__
    for j, parents in enumerate(args):
        node = new(Value)
        node._data = Y[j]
        node._grad = None
        node.label = ""
        node._fn = op
        node._args = parents
        node._group = (group, j)
        out.append(node)
    return out[:]


class LanePool(MemberGroup):
    """The shared state of one pooling layer on lanes: every window's inputs, stacked.

    The plain backward applies the op's rule for the whole layer (``op.patches_vjp``: max
    pooling's gradient to the first largest input of each window, lane by lane; average
    pooling's ``g / k`` to every input).
    """

    __slots__ = ("V", "hub", "index", "members", "op", "present", "stamp", "waiting", "xs")

    def __init__(self, op: ops.Op, V: ndarray, index: ndarray, xs: list[Any]) -> None:
        self.op, self.V, self.index, self.xs = op, V, index, xs
        self.members: list[Value] = []
        self.present: list[int] = []
        self.stamp: object = None
        self.waiting = 0
        covered = np.zeros(len(xs), dtype=bool)
        covered[index.reshape(-1)] = True  # an input no window reads is no parent of the layer
        self.hub = _hub(tuple(x for x, c in zip(xs, covered.tolist()) if c and isinstance(x, Value)))

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk must visit for member ``node``: the layer's inputs, once."""
        return self.hub

    def backward(self, node: Value, accumulate: Any) -> None:
        """Every window's gradient goes back to its inputs at once (the op's ``patches_vjp``)."""
        G = _stacked_grads(self.members, self.present, self.V.shape[2])
        dX = self.op.patches_vjp(G, self.V, self.index, len(self.xs))
        for x, share in zip(self.xs, dX):
            if isinstance(x, Value):
                accumulate(x, share, True)


@functools.lru_cache(maxsize=64)
def _windows_array(windows: tuple[tuple[int, ...], ...]) -> tuple[ndarray, tuple[Any, ...]]:
    index = np.array(windows, dtype=np.intp).reshape(len(windows), -1)
    index.flags.writeable = False
    return index, tuple(_getter(w) for w in windows)


def pool_nodes(op: ops.Op, xs: Sequence[Any], windows: Sequence[Sequence[int]]) -> list[Value]:
    """One ``op`` node per window (``ops.MAX_VALUES`` or ``ops.MEAN``) over the inputs it lists.

    ``windows`` holds, per output pixel, the positions in ``xs`` of its inputs (all windows of
    one size). On lanes of one length (and outside detect_anomaly) the nodes share a
    ``LanePool`` group: one NumPy reduction forward, one rule for the layer backward.
    Otherwise each is a plain node; values and gradients are the same.

    Example:
        >>> import numpy as np
        >>> from autograd_core import Value, ops
        >>> xs = [Value(np.array([float(i), -float(i)])) for i in range(4)]
        >>> [m.data.tolist() for m in pool_nodes(ops.MAX_VALUES, xs, [(0, 1), (2, 3)])]
        [[1.0, -0.0], [3.0, -2.0]]
        >>> sum(pool_nodes(ops.MAX_VALUES, xs, [(0, 1), (2, 3)])).sum().backward(); xs[0].grad.tolist()
        [0.0, 1.0]
    """
    if op.patches_vjp is None or op.name not in ("max_values", "mean"):
        raise ShapeError(f"pool_nodes(): pooling takes max_values or mean, got {op.name}")
    key = tuple(tuple(int(i) for i in w) for w in windows)
    if not key:
        return []
    index, takes = _windows_array(key)
    xs = list(xs)
    if index.min() < 0 or index.max() >= len(xs):
        raise ShapeError(f"pool_nodes(): a window reads position {int(index.max())}, but there are {len(xs)} inputs")
    grad_enabled, anomaly = _modes()
    X = None if anomaly else _stack([x._data if isinstance(x, Value) else x for x in xs])
    if X is None:
        return [apply(op, *take(xs)) for take in takes]
    V = X[index]  # (windows, k, lanes)
    if op is ops.MAX_VALUES:
        Y = V.max(axis=1)
    else:  # the mean as the op computes it: left to right, then / k
        Y = V[:, 0].copy()
        for t in range(1, V.shape[1]):
            Y += V[:, t]
        Y /= V.shape[1]
    if not grad_enabled:
        return [Value(y) for y in Y]
    return _members(LanePool(op, V, index, xs), op, Y, [take(xs) for take in takes])


def _getter(positions: Any) -> Any:
    """A function returning the items at ``positions`` as a tuple (itemgetter, also for 0 or 1)."""
    positions = [int(i) for i in positions]
    if len(positions) == 1:
        i = positions[0]
        return lambda seq: (seq[i],)
    if not positions:
        return lambda seq: ()
    return operator.itemgetter(*positions)
