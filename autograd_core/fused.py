"""A layer's dot products on lanes, computed and differentiated as matrix products.

``dot_rows(W, b, xs)`` returns one ordinary ``dot`` node per row j (``w_j · xs + b_j``): each
draws, labels and differentiates like any other node, and ``backward(create_graph=True)`` uses
the table's ``dot`` rule for each. The nodes also share a ``DotRows`` group: the forward is one
``W @ X`` for the whole layer, and the plain backward does the layer at once through a hidden
block node, once the layer's gradient G is complete: ``dW = G Xᵀ``, ``db = Σ G``, ``dX = Wᵀ G``.
When the inputs are all the rows of the fused layer below (its activations), dX goes to that
layer as one matrix: its members are neither walked nor swept, and read their rows of its G as
their ``.grad``.

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
from itertools import compress, repeat
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


class LayerGroup(MemberGroup):
    """A fused layer in the plain backward pass: a hidden *block node* stands for the whole layer.

    Every member's walk leads to the block node (``inputs_of``), and the block node runs the
    layer once its gradient G (rows, lanes) is complete: G is what a consumer layer handed over
    as a matrix (``hand_off``) plus the gradients of the members that the walk visited (used by
    anything else: the loss, user code). A consumer whose inputs are exactly all rows of this
    layer, in order, walks to the block node instead of the members, so a hidden layer's members
    are neither walked nor swept. After the pass the group keeps G and a member whose own
    gradient is unset reads its row (``Value.grad``).

    References go one way (member -> (group, row, block node), block node -> group), so a
    dropped graph is freed at once by reference counting.
    """

    __slots__ = ()

    def enlist(self, row: int, stamp: object, node: Value | None = None) -> None:
        """Note member ``row`` (or the block node, row -1) in the backward pass ``stamp``."""
        if self.stamp is not stamp:  # a new pass: this group's old G is no longer its gradient
            self.stamp, self.present, self.pending, self.G = stamp, {}, None, None
        if row >= 0:
            self.present[row] = node

    def arrive(self) -> bool:
        """Members never run the layer: the block node does (after every member it stands for)."""
        return False

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        """What the backward walk visits below ``node``: a member leads to the block node."""
        return node._args if node._group[1] < 0 else (node._group[2],)

    def hand_off(self, share: ndarray, members: Sequence[Any]) -> None:
        """A consumer's gradient for all rows at once, (rows, lanes); ``members`` are this
        group's member nodes (the consumer's inputs), whose stale own gradients are dropped."""
        present = self.present
        for j, m in enumerate(members):  # a member not visited in this pass: no old number may count
            if m._grad is not None and j not in present:
                m._grad = None
        self.pending = share if self.pending is None else self.pending + share

    def _gradient(self, lanes: int) -> tuple[list[int] | None, ndarray | None]:
        """(rows, G): the rows of this pass (None: all) and their gradients; members' own shares
        are folded in. With all rows the group keeps G for ``Value.grad``."""
        present, G = self.present, self.pending
        self.present, self.pending = {}, None
        if G is None:
            if not present:
                return None, None
            rows = sorted(present)
            G = np.stack([_grad_or_zeros(present[j], lanes) for j in rows])
            if len(rows) < self.size:  # part of the layer: the members keep their gradients
                return rows, G
        else:
            for j, m in present.items():
                if m._grad is not None:
                    G[j] += m._grad
        for m in present.values():
            m._grad = None  # its share is in G now; .grad reads G's row
        self.G = G
        return None, G

    def row_grad(self, row: int) -> ndarray | None:
        """Member ``row``'s gradient from the last plain pass (a copy; None when the group has none)."""
        G = self.G
        return None if G is None else G[row].copy()

    def clear_row(self, row: int) -> None:
        """``zero_grad`` of member ``row``: its row of G becomes 0."""
        if self.G is not None:
            self.G[row] = 0.0


def _block_node(group: LayerGroup, args: tuple[Value, ...]) -> Value:
    node = Value.__new__(Value)
    # never empty: the walk takes a node without arguments for a leaf (0.0 is a constant it skips)
    node._data, node._grad, node._fn, node._args, node.label = 0.0, None, ops.SUM, args or (0.0,), ""
    node._group = (group, -1)
    return node


def _source_of(items: Sequence[Any]) -> LayerGroup | None:
    """The fused layer whose members ``items`` are, all of them in row order; else None."""
    first = items[0] if items else None
    grp = first._group if isinstance(first, Value) else None
    if grp is None or not isinstance(grp[0], LayerGroup):
        return None
    source = grp[0]
    if len(items) != source.size:
        return None
    for j, x in enumerate(items):
        g = x._group if isinstance(x, Value) else None
        if g is None or g[0] is not source or g[1] != j:
            return None
    return source


class DotRows(LayerGroup):
    """The shared state of one layer's dot nodes: weights, stacked inputs, the pass in progress."""

    __slots__ = (
        "G",
        "W",
        "X",
        "Z",
        "biases",
        "grad_block",
        "n",
        "pending",
        "present",
        "size",
        "source",
        "stamp",
        "weights",
        "xs",
    )

    def __init__(
        self,
        W: ndarray,
        X: ndarray,
        n: int,
        grad_block: ndarray | None,
        xs: Sequence[Any],
        weights: Sequence[Sequence[Value]],
        biases: Sequence[Value],
    ) -> None:
        self.W = W  # (rows, n) weights as they were in the forward pass
        self.X = X  # (n, lanes) inputs, stacked
        self.Z: ndarray | None = None  # (rows, lanes) the members' values, row j being member j's data
        self.n = n
        self.grad_block = grad_block  # (rows, n + 1) [dW | db] in a gradient buffer, or None
        self.size = W.shape[0]  # the layer's rows
        self.xs = tuple(xs)
        if grad_block is None:  # the Values as they were (a caller may put others in its lists later)
            self.weights: Sequence[Sequence[Value]] = tuple(map(tuple, weights))
            self.biases: Sequence[Value] = tuple(biases)
        else:  # Parameters of one run of buffer slots: found again from the first, if ever needed
            self.weights, self.biases = ((weights[0][0],),), ()
        self.present: dict[int, Value] = {}
        self.pending: ndarray | None = None
        self.G: ndarray | None = None
        self.stamp: object = None
        self.source = _source_of(self.xs)  # the layer below, when these inputs are all its rows

    def block_args(self) -> tuple[Value, ...]:
        """What the walk visits below the layer: the layer below's block node, or the inputs,
        and the weights that are not leaves (computed from something)."""
        computed: tuple[Value, ...] = ()
        if self.grad_block is None:  # (with a buffer block the parameters are leaves by construction)
            computed = tuple(p for w in self.weights for p in w if p._args) + tuple(b for b in self.biases if b._args)
        if self.source is not None:
            below = (self.xs[0]._group[2],)
        else:  # every member has the same inputs: the walk meets them once
            below = tuple(compress(self.xs, map(isinstance, self.xs, repeat(Value))))
        return computed + below

    def _param_rows(self) -> list[tuple[Value, ...]]:
        """Row j: ``(*w_j, b_j)``, the layer's weights and bias, from the snapshot or the buffer."""
        if self.grad_block is None:
            return [(*w, b) for w, b in zip(self.weights, self.biases)]
        first = self.weights[0][0]
        params, m = first._buf.params, self.n + 1
        return [tuple(params[first._i + j * m : first._i + (j + 1) * m]) for j in range(self.size)]

    def backward(self, node: Value, accumulate: Any) -> None:
        """Distribute the layer's gradient G to weights, biases and inputs in three products."""
        n = self.n
        rows, G = self._gradient(self.X.shape[1])
        if G is None:
            return
        W = self.W if rows is None else self.W[rows]
        dW, db, dX = ops.DOT.rows_vjp(G, W, self.X)  # the dot rule of the table, a layer at once
        if not np.all(np.isfinite(dW)):  # weights skip the leaf check of backward: check here
            raise FloatingPointError("a weight gradient of a fused layer is not finite")
        block = self.grad_block
        first = self.weights[0][0]
        if block is not None and type(first) is Parameter and first._buf.value_grads:
            block = None  # some gradients are Values (create_graph): they grow one by one, as Values
        if block is not None:  # the parameters live in a buffer: add dW and db there, in one go each
            if rows is None:
                block[:, :n] += dW
                block[:, n] += db
            else:
                block[rows, :n] += dW
                block[rows, n] += db
        else:
            params = self._param_rows()
            for j, dw_row, dbj in zip(range(self.size) if rows is None else rows, dW.tolist(), db.tolist()):
                for w, share in zip(params[j], (*dw_row, dbj)):
                    if type(w) is Parameter and not w._args:  # not walked, so not folded: into its buffer
                        if w._grad is None:
                            w._buf._g[w._i] += share
                        else:  # a Value gradient of create_graph (the setter mirrors its number)
                            w.grad = w._grad + share
                        continue
                    prev = w._grad
                    w._grad = share if prev is None else prev + share
        if self.source is not None:  # the layer below takes dX as one matrix
            self.source.hand_off(dX, self.xs)
            return
        for x, share in zip(self.xs, dX):
            if isinstance(x, Value):
                accumulate(x, share, True)


def _matrix_product(
    rows: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    xs: list[Any],
    block: ndarray | None,
    X: ndarray | None = None,
) -> Any:
    """(W, X, Z = W X + b) when every weight and bias is a float and every input has lanes, else None."""
    try:
        if X is None:
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


def _stacked_arrays(xs: Sequence[Any]) -> ndarray | None:
    """``np.stack(xs)`` when ``xs`` is a list of float64 lane arrays of one length (a layer's
    first inputs: the columns of a batch), checked as a whole instead of one by one; else None."""
    if type(xs) is not list or not xs or set(map(type, xs)) != {ndarray}:
        return None
    try:
        X = np.stack(xs)
    except ValueError:  # lanes of different lengths: the one-by-one check names them
        return None
    if X.dtype != np.float64 or X.ndim != 2 or not X.shape[1]:
        return None
    return X


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
    X = _stacked_arrays(xs)
    items = xs if X is not None else _inputs(xs, "dot_rows()")
    rows = weights
    n = len(items)
    if len(rows) != len(biases) or any(len(w) != n for w in rows):
        raise ShapeError(f"dot_rows(): {len(rows)} weight rows of {n} for {n} inputs and {len(biases)} biases needed")
    fused = None
    if n and _modes()[0] and not _modes()[1]:
        fused = _matrix_product(rows, biases, items, None if block is None else block[0], X)
    if fused is None:
        return [apply(ops.DOT, *w, b, *items, 1.0) for w, b in zip(rows, biases)]
    W, X, Z = fused
    group = DotRows(W, X, n, None if block is None else block[1], items, rows, biases)
    group.Z = Z
    block = _block_node(group, group.block_args())
    members = []
    for j, (w, b) in enumerate(zip(rows, biases)):
        node = Value.__new__(Value)
        node._data = Z[j]
        node._grad = None
        node._fn = ops.DOT
        node._args = (*w, b, *items, 1.0)
        node.label = ""
        node._group = (group, j, block)
        members.append(node)
    return members


class ActRows(LayerGroup):
    """The activation nodes ``a_j = f(z_j)`` of a fused layer: one array op forward, one backward.

    Each member is an ordinary node of the table's op (it draws, labels and differentiates with
    ``create_graph`` like any other); the plain backward applies the op's own rule to the whole
    layer at once, ``dZ = rule(G, A, Z)``, and hands dZ to the dot layer below as one matrix.
    """

    __slots__ = ("A", "G", "Z", "op", "pending", "present", "size", "source", "stamp", "zs")

    def __init__(self, op: ops.Op, source: DotRows, zs: Sequence[Value], A: ndarray) -> None:
        self.op = op
        self.source = source  # the dot layer whose rows are the inputs z_j, all of them, in order
        self.zs = tuple(zs)
        self.Z = source.Z  # (rows, lanes) the inputs z_j
        self.A = A  # (rows, lanes) the outputs f(z_j)
        self.size = A.shape[0]
        self.present: dict[int, Value] = {}
        self.pending: ndarray | None = None
        self.G: ndarray | None = None
        self.stamp: object = None

    def backward(self, node: Value, accumulate: Any) -> None:
        """Apply the op's rule to the layer's gradient and hand dZ to the dot layer below."""
        rows, G = self._gradient(self.A.shape[1])
        if G is None:
            return
        if rows is None:
            dZ = self.op.rules[0](G, self.A, self.Z)
        else:  # part of the layer: the other rows get nothing
            dZ = np.zeros_like(self.A)
            dZ[rows] = self.op.rules[0](G, self.A[rows], self.Z[rows])
        self.source.hand_off(dZ, self.zs)


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
    act = ActRows(op, group, zs, op.forward(group.Z))
    block = _block_node(act, (zs[0]._group[2],))
    members = []
    for j, z in enumerate(zs):
        node = Value.__new__(Value)
        node._data = act.A[j]
        node._grad = None
        node._fn = op
        node._args = (z,)
        node.label = ""
        node._group = (act, j, block)
        members.append(node)
    return members
