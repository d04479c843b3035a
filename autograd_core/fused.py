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

    def enlist(self, row: int, stamp: object, node: Value | None = None) -> None:
        """Note that member ``row`` (the node ``node``) takes part in the backward pass ``stamp``."""
        if self.stamp is not stamp:
            self.stamp, self.present, self.waiting = stamp, [], 0
        self.present.append(row)
        self.waiting += 1

    def arrive(self) -> bool:
        """One member's gradient is complete; True when it was the last one."""
        self.waiting -= 1
        return self.waiting == 0


class RowGroup(MemberGroup):
    """A group that meets its members in the backward walk instead of keeping a list of them.

    No reference cycle between a group and its nodes, so a graph that is dropped is freed at once
    (by reference counting), not at the garbage collector's next full pass.
    """

    __slots__ = ()

    def enlist(self, row: int, stamp: object, node: Value | None = None) -> None:
        """Note member ``row``, the node ``node``, for the backward pass ``stamp``."""
        if self.stamp is not stamp:
            self.stamp, self.present, self.waiting = stamp, {}, 0
        self.present[row] = node
        self.waiting += 1

    def _take(self) -> tuple[list[int], list[Value]]:
        """The rows of this pass in order and their nodes; the group lets go of the nodes."""
        present = self.present
        rows = sorted(present)
        self.present = {}
        return rows, [present[j] for j in rows]


class DotRows(RowGroup):
    """The shared state of one layer's dot nodes: weights, stacked inputs, and the members seen
    by the backward pass in progress."""

    __slots__ = ("W", "X", "Z", "grad_block", "hub", "leaf_params", "n", "present", "size", "stamp", "waiting")

    def __init__(
        self,
        W: ndarray,
        X: ndarray,
        n: int,
        leaf_params: bool,
        grad_block: ndarray | None = None,
        xs: Sequence[Any] = (),
    ) -> None:
        self.W = W  # (rows, n) weights as they were in the forward pass
        self.X = X  # (n, lanes) inputs, stacked
        self.Z: ndarray | None = None  # (rows, lanes) the members' values, row j being member j's data
        self.n = n
        self.leaf_params = leaf_params  # weights and biases are leaves: backward need not walk them
        self.grad_block = grad_block  # (rows, n + 1) [dW | db] in a gradient buffer, or None
        self.size = W.shape[0]  # the layer's rows
        self.present: dict[int, Value] = {}
        self.stamp: object = None
        self.waiting = 0
        # Every member has the same inputs: the walk meets them once, through one hidden node whose
        # parents they are (as conv's DotPatches does), instead of once per member (rows x n visits).
        inputs = tuple(x for x in xs if isinstance(x, Value))
        self.hub: tuple[Value, ...] = ()
        if inputs:
            hub = Value.__new__(Value)
            hub._data, hub._grad, hub._fn, hub._args, hub.label, hub._group = 0.0, None, ops.SUM, inputs, "", None
            self.hub = (hub,)

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """The arguments of member ``node`` that the backward walk must visit (the inputs through the hub)."""
        return self.hub if self.leaf_params else node._args

    def backward(self, node: Value, accumulate: Any) -> None:
        """Distribute the members' gradients G to weights, biases and inputs in three products."""
        rows, nodes = self._take()  # G's rows must line up with W's rows
        full = len(rows) == self.size
        n = self.n
        lanes = self.X.shape[1]
        G = np.stack([_grad_or_zeros(m, lanes) for m in nodes])
        W = self.W if full else self.W[rows]
        dW, db, dX = ops.DOT.rows_vjp(G, W, self.X)  # the dot rule of the table, a layer at once
        if not np.all(np.isfinite(dW)):  # weights skip the leaf check of backward: check here
            raise FloatingPointError("a weight gradient of a fused layer is not finite")
        block = self.grad_block
        first = nodes[0]._args[0]
        if block is not None and type(first) is Parameter and first._buf.value_grads:
            block = None  # some gradients are Values (create_graph): they grow one by one, as Values
        if block is not None:  # the parameters live in a buffer: add dW and db there, in one go each
            if full:
                block[:, :n] += dW
                block[:, n] += db
            else:
                block[rows, :n] += dW
                block[rows, n] += db
        else:
            for member, dw_row, dbj in zip(nodes, dW.tolist(), db.tolist()):
                args = member._args
                for w, share in zip(args[: n + 1], (*dw_row, dbj)):  # weights, then the bias
                    if type(w) is Parameter:  # not walked, so not folded: straight into its buffer
                        if w._grad is None:
                            w._buf._g[w._i] += share
                        else:  # a Value gradient of create_graph (the setter mirrors its number)
                            w.grad = w._grad + share
                        continue
                    prev = w._grad
                    w._grad = share if prev is None else prev + share
        xs = nodes[0]._args[n + 1 : 2 * n + 1]
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
        group = DotRows(W, X, n, True, block[1], items)
    else:
        leaf_params = not any(p._args for w in rows for p in w) and not any(p._args for p in biases)
        group = DotRows(W, X, n, leaf_params, None, items)
    group.Z = Z
    members = []
    for j, (w, b) in enumerate(zip(rows, biases)):
        node = Value.__new__(Value)
        node._data = Z[j]
        node._grad = None
        node._fn = ops.DOT
        node._args = (*w, b, *items, 1.0)
        node.label = ""
        node._group = (group, j)
        members.append(node)
    return members


class ActRows(RowGroup):
    """The activation nodes ``a_j = f(z_j)`` of a fused layer: one array op forward, one backward.

    Each member is an ordinary node of the table's op (it draws, labels and differentiates with
    ``create_graph`` like any other); the plain backward waits for every member's gradient G, then
    applies the op's own rule to the whole layer at once, ``dZ = rule(G, A, Z)``.
    """

    __slots__ = ("A", "Z", "op", "present", "size", "stamp", "waiting")

    def __init__(self, op: ops.Op, Z: ndarray, A: ndarray) -> None:
        self.op = op
        self.Z = Z  # (rows, lanes) the inputs z_j
        self.A = A  # (rows, lanes) the outputs f(z_j)
        self.size = Z.shape[0]
        self.present: dict[int, Value] = {}
        self.stamp: object = None
        self.waiting = 0

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk visits below member ``node``: its z."""
        return node._args

    def backward(self, node: Value, accumulate: Any) -> None:
        """Apply the op's rule to every member at once and pass each z_j its row."""
        rows, nodes = self._take()
        G = np.stack([_grad_or_zeros(m, self.Z.shape[1]) for m in nodes])
        if len(rows) == self.size:
            dZ = self.op.rules[0](G, self.A, self.Z)
        else:
            dZ = self.op.rules[0](G, self.A[rows], self.Z[rows])
        for member, share in zip(nodes, dZ):
            accumulate(member._args[0], share, True)


# activations computed a layer at once: elementwise ops of one input whose forward and rule take 2-D arrays
FUSABLE: dict[str, ops.Op] = {"relu": ops.RELU, "tanh": ops.TANH, "sigmoid": ops.SIGMOID, "softplus": ops.SOFTPLUS}


def act_rows(op: ops.Op, zs: Sequence[Value]) -> list[Value] | None:
    """``[op(z) for z in zs]`` in one array op when ``zs`` are all the rows of one fused layer, else None.

    Example:
        >>> import numpy as np
        >>> from autograd_core import Value
        >>> zs = dot_rows([[Value(1.0)], [Value(-1.0)]], [Value(0.0), Value(0.0)], [np.array([1.0, 2.0])])
        >>> [a.data.tolist() for a in act_rows(ops.RELU, zs)], act_rows(ops.RELU, zs)[0].op
        ([[1.0, 2.0], [0.0, 0.0]], 'relu')
    """
    group = zs[0]._group[0] if zs and zs[0]._group is not None else None
    if type(group) is not DotRows or group.Z is None or len(zs) != group.size or not _modes()[0]:
        return None
    if any(z._group is None or z._group[0] is not group or z._group[1] != j for j, z in enumerate(zs)):
        return None  # not the layer's own rows, in order
    Z = group.Z
    act = ActRows(op, Z, op.forward(Z))
    members = []
    for j, z in enumerate(zs):
        node = Value.__new__(Value)
        node._data = act.A[j]
        node._grad = None
        node._fn = op
        node._args = (z,)
        node.label = ""
        node._group = (act, j)
        members.append(node)
    return members
