"""A layer's dot products on lanes, computed and differentiated as matrix products.

``dot_rows(W, b, xs)`` returns one ordinary ``dot`` node per row j (``w_j · xs + b_j``): each
draws, labels and differentiates like any other node, and ``backward(create_graph=True)`` uses
the table's ``dot`` rule for each. The nodes also share a ``DotRows`` group: the forward is one
``W @ X`` for the whole layer, and the plain backward waits until every member of the group has
its gradient, then does the layer at once: ``dW = G Xᵀ``, ``db = Σ G``, ``dX = Wᵀ G``.

Example:
    >>> import numpy as np
    >>> from autograd_core import Value
    >>> W = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
    >>> b = [Value(0.0), Value(1.0)]
    >>> z0, z1 = dot_rows(W, b, [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    >>> z0.data, z1.data
    (array([ 7., 10.]), array([1.5, 1. ]))
    >>> (z0 + z1).sum().backward(); W[0][1].grad, W[1][1].grad, b[1].grad
    (7.0, 7.0, 2.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .compose import _inputs
from .errors import ShapeError
from .params import Parameter
from .value import Value, _modes, apply

ndarray = np.ndarray


class MemberGroup:
    """What every fused group does in a backward pass: count its members in, run once when the last arrives.

    A subclass keeps ``present`` (the member rows seen), ``stamp`` (the pass) and ``waiting``.
    """

    __slots__ = ()

    def enlist(self, row: int, stamp: object) -> None:
        """Note that member ``row`` takes part in the backward pass ``stamp``."""
        if self.stamp is not stamp:
            self.stamp, self.present, self.waiting = stamp, [], 0
        self.present.append(row)
        self.waiting += 1

    def arrive(self) -> bool:
        """One member's gradient is complete; True when it was the last one."""
        self.waiting -= 1
        return self.waiting == 0


class DotRows(MemberGroup):
    """The shared state of one layer's dot nodes: weights, stacked inputs, and the members seen
    by the backward pass in progress."""

    __slots__ = ("W", "X", "grad_block", "leaf_params", "members", "n", "present", "stamp", "waiting")

    def __init__(self, W: ndarray, X: ndarray, n: int, leaf_params: bool, grad_block: ndarray | None = None) -> None:
        self.W = W  # (rows, n) weights as they were in the forward pass
        self.X = X  # (n, lanes) inputs, stacked
        self.n = n
        self.leaf_params = leaf_params  # weights and biases are leaves: backward need not walk them
        self.grad_block = grad_block  # (rows, n + 1) [dW | db] in a gradient buffer, or None
        self.members: list[Value] = []
        self.present: list[int] = []
        self.stamp: object = None
        self.waiting = 0

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """The arguments of member ``node`` that the backward walk must visit."""
        return node._args[self.n + 1 :] if self.leaf_params else node._args

    def backward(self, node: Value, accumulate: Any) -> None:
        """Distribute the members' gradients G to weights, biases and inputs in three products."""
        rows = sorted(self.present)  # G's rows must line up with W's rows
        members = self.members
        n = self.n
        lanes = self.X.shape[1]
        G = np.stack([_grad_or_zeros(members[j], lanes) for j in rows])
        W = self.W[rows] if len(rows) != len(members) else self.W
        dW, db, dX = ops.DOT.rows_vjp(G, W, self.X)  # the dot rule of the table, a layer at once
        if not np.all(np.isfinite(dW)):  # weights skip the leaf check of backward: check here
            raise FloatingPointError("a weight gradient of a fused layer is not finite")
        block = self.grad_block
        if block is not None:  # the parameters live in a buffer: add dW and db there, in one go each
            if len(rows) == len(members):
                block[:, :n] += dW
                block[:, n] += db
            else:
                block[rows, :n] += dW
                block[rows, n] += db
        else:
            for j, dw_row, dbj in zip(rows, dW.tolist(), db.tolist()):
                args = members[j]._args
                for w, share in zip(args[: n + 1], (*dw_row, dbj)):  # weights, then the bias
                    if type(w) is Parameter:  # not walked, so not folded: straight into its buffer
                        w._buf._g[w._i] += share
                        continue
                    prev = w._grad
                    w._grad = share if prev is None else prev + share
        xs = members[rows[0]]._args[n + 1 : 2 * n + 1]
        for x, share in zip(xs, dX):
            if isinstance(x, Value):
                accumulate(x, share, True)


def _matrix_product(
    rows: Sequence[Sequence[Value]], biases: Sequence[Value], xs: list[Any], block: ndarray | None
) -> Any:
    """(W, X, Z = W X + b) when every weight and bias is a float and every input has lanes, else None."""
    try:
        X = np.stack([x._data if isinstance(x, Value) else x for x in xs])
        if block is not None:  # a copy: backward needs the weights of this forward pass
            n = block.shape[1] - 1
            W, b = block[:, :n].copy(), block[:, n].copy()
        else:
            W = np.array([[p._data for p in w] for w in rows], dtype=np.float64)
            b = np.array([p._data for p in biases], dtype=np.float64)
    except (ValueError, TypeError):  # a scalar input among lanes, or a laned weight: no matrix here
        return None
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        return None
    return W, X, W @ X + b[:, None]


def _grad_or_zeros(node: Value, lanes: int) -> ndarray:
    g = node._grad
    return np.zeros(lanes) if g is None else g


def dot_rows(
    weights: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    xs: Sequence[Any],
    block: tuple[ndarray, ndarray] | None = None,
) -> list[Value]:
    """``[dot(w_j, xs) + b_j for each row j]`` as dot nodes computed with one matrix product.

    ``weights`` and ``biases`` are scalar Values; ``xs`` are laned Values or arrays of one
    length. Anything else (scalar inputs, laned weights, recording off) gets plain ``dot``
    nodes, which give the same values and gradients. ``block`` is where these parameters live
    in a ParamBuffer, as ``(values, grads)`` views of shape (rows, n + 1), row j being
    ``[*w_j, b_j]``: then W is read from it and dW added into it, with no loop over parameters.

    Example:
        >>> from autograd_core import Value
        >>> [z.data for z in dot_rows([[Value(2.0)]], [Value(1.0)], [3.0])]
        [7.0]
    """
    items = _inputs(xs, "dot_rows()")
    rows = weights
    n = len(items)
    if len(rows) != len(biases) or any(len(w) != n for w in rows):
        raise ShapeError(f"dot_rows(): {len(rows)} weight rows of {n} for {n} inputs and {len(biases)} biases needed")
    fused = None
    if n and _modes()[0] and not _modes()[1]:
        fused = _matrix_product(rows, biases, items, None if block is None else block[0])
    if fused is None:
        return [apply(ops.DOT, *w, b, *items, 1.0) for w, b in zip(rows, biases)]
    W, X, Z = fused
    if block is not None:  # Parameters: leaves by construction
        group = DotRows(W, X, n, True, block[1])
    else:
        leaf_params = not any(p._args for w in rows for p in w) and not any(p._args for p in biases)
        group = DotRows(W, X, n, leaf_params)
    for j, (w, b) in enumerate(zip(rows, biases)):
        node = Value.__new__(Value)
        node._data = Z[j]
        node._grad = None
        node._fn = ops.DOT
        node._args = (*w, b, *items, 1.0)
        node.label = ""
        node._group = (group, j)
        group.members.append(node)
    return group.members[:]
