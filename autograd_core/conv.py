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
from .graph import is_grad_enabled
from .value import Value, _modes, apply

ndarray = np.ndarray
Pair = tuple[int, int]

__all__ = ["DotPatches", "dot_patches", "output_size", "patch_index"]


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


class DotPatches(MemberGroup):
    """The shared state of one convolution's dot nodes: filters, im2col inputs, and the members
    seen by the backward pass in progress (the same protocol as ``fused.DotRows``)."""

    __slots__ = (
        "W",
        "biases",
        "cols",
        "filters",
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
    ) -> None:
        self.filters = filters
        self.biases = biases
        self.W = W  # (filters, K) weights as they were in the forward pass
        self.cols = cols  # (K, pixels, lanes): each pixel's receptive field
        self.index = index
        self.xs = xs
        self.n_inputs = len(xs)
        self.members: list[Value] = []
        self.present: list[int] = []
        self.stamp: object = None
        self.waiting = 0
        # A pixel sees only its receptive field, so a walk from one member would not meet every
        # input before the others: one hidden node whose parents are all the inputs puts them
        # ahead of the whole layer in the topological order, so the layer's backward runs first.
        inputs = tuple(x for x in xs if type(x) is Value)
        self.hub: tuple[Value, ...] = ()
        if inputs:
            hub = Value.__new__(Value)
            hub._data, hub._grad, hub._fn, hub._args, hub.label, hub._group = 0.0, None, ops.SUM, inputs, "", None
            self.hub = (hub,)

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk must visit for member ``node``: the layer's inputs, once."""
        return self.hub

    def backward(self, node: Value, accumulate: Any) -> None:
        """Distribute every pixel's gradient to the filters, biases and inputs at once."""
        members = self.members
        filters, pixels, lanes = self.W.shape[0], self.cols.shape[1], self.cols.shape[2]
        G = np.zeros((filters * pixels, lanes))
        for j in self.present:
            g = members[j]._grad
            if g is not None:
                G[j] = g
        dW, db, dX = ops.DOT.patches_vjp(
            G.reshape(filters, pixels, lanes), self.W, self.cols, self.index, self.n_inputs
        )
        if not np.all(np.isfinite(dW)):  # weights skip the leaf check of backward: check here
            raise FloatingPointError("a weight gradient of a convolution is not finite")
        for ws, b, dw_row, dbf in zip(self.filters, self.biases, dW.tolist(), db.tolist()):
            for w, share in zip(ws, dw_row):
                prev = w._grad
                w._grad = share if prev is None else prev + share
            prev = b._grad
            b._grad = dbf if prev is None else prev + dbf
        for x, share in zip(self.xs, dX):
            if type(x) is Value:
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
) -> list[Value]:
    """A 2-D convolution as dot nodes: ``[w_f · field(p) + b_f for f in filters for p in pixels]``.

    ``filters`` are rows of C·kh·kw scalar Values, ``biases`` one Value per filter, ``xs`` the
    C·H·W input pixels (Values, numbers or lane arrays) in (channel, row, column) order. Returns
    filters × out_h × out_w nodes in (filter, row, column) order. On lanes with float weights
    the layer is one matrix product; otherwise (one sample, recording under detect_anomaly)
    every pixel is a plain ``dot`` node, with the same values and gradients.

    Example:
        >>> from autograd_core import Value
        >>> z = dot_patches([[Value(2.0)]], [Value(1.0)], [3.0, 4.0], (1, 1, 2), (1, 1))
        >>> [v.data for v in z]
        [7.0, 9.0]
    """
    shape = (int(shape[0]), int(shape[1]), int(shape[2]))
    index = patch_index(shape, tuple(kernel), tuple(stride), tuple(padding))
    K, P = index.shape
    _check(filters, biases, xs, shape, K)
    xs = list(xs)
    n = len(xs)
    # per pixel: which kernel entries fall inside the image, and the inputs they read
    inside = [np.flatnonzero(index[:, p] < n) for p in range(P)]
    take_w = [_getter(ks) for ks in inside]
    take_x = [_getter(index[ks, p]) for p, ks in enumerate(inside)]
    datas = [x._data if type(x) is Value else x for x in xs]
    laned = bool(xs) and all(type(d) is ndarray for d in datas) and len({d.shape for d in datas}) == 1
    params_are_leaves = all(not p._args and type(p._data) is float for row in filters for p in row) and all(
        not b._args and type(b._data) is float for b in biases
    )
    if not laned or not params_are_leaves or _modes()[1]:
        # a pixel that sees only padding is its bias alone: times ones on lanes, so that it has lanes too
        ones = [1.0 if len(ks) or not laned else np.ones(datas[0].shape) for ks in inside]
        return [
            apply(ops.DOT, *take_w[p](w), b, *take_x[p](xs), ones[p]) for w, b in zip(filters, biases) for p in range(P)
        ]
    X = np.vstack([np.stack(datas), np.zeros((1, datas[0].shape[0]))])  # the last row: the padding
    cols = X[index]  # (K, P, lanes)
    W = np.array([[p._data for p in row] for row in filters], dtype=np.float64)
    b = np.array([p._data for p in biases], dtype=np.float64)
    lanes = X.shape[1]
    Z = (W @ cols.reshape(K, P * lanes)).reshape(len(filters), P, lanes) + b[:, None, None]
    recording = is_grad_enabled()
    group = DotPatches(filters, biases, W, cols, index, xs) if recording else None
    out: list[Value] = []
    fields = [take_x[p](xs) for p in range(P)]
    j = 0
    for f, (w, bias) in enumerate(zip(filters, biases)):
        for p in range(P):
            node = Value.__new__(Value)
            node._data = Z[f, p]
            node._grad = None
            node.label = ""
            if group is None:  # no_grad: plain leaves
                node._fn, node._args, node._group = None, (), None
            else:
                node._fn = ops.DOT
                node._args = (*take_w[p](w), bias, *fields[p], 1.0)
                node._group = (group, j)
            out.append(node)
            j += 1
    if group is not None:
        group.members = out[:]
    return out


def _getter(positions: Any) -> Any:
    """A function returning the items at ``positions`` as a tuple (itemgetter, also for 0 or 1)."""
    positions = [int(i) for i in positions]
    if len(positions) == 1:
        i = positions[0]
        return lambda seq: (seq[i],)
    if not positions:
        return lambda seq: ()
    return operator.itemgetter(*positions)
