"""Walking a graph: topological order, the backward pass, statistics and switches.

Example:
    >>> from autograd_core import Value, topological_order
    >>> a = Value(1.0, label="a"); b = a + a; c = b * b
    >>> [v.op or v.label for v in topological_order(c)]
    ['a', '+', '*']
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import AnomalyError, DomainError, OperandTypeError, ShapeError, excerpt
from .ops import ADD, DOT, MUL, RELU, describe
from .params import Parameter, ParamList, fold
from .value import _MODES, Value, _modes, _op_chain, as_data

ndarray = np.ndarray


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, parents before children, ``root`` last.

    Iterative, so a chain a million nodes deep works.

    Example:
        >>> x = Value(2.0); y = (x * 3).exp()
        >>> [v.op for v in topological_order(y)]
        ['', '*', 'exp']
    """
    return _walk(root)


def _walk(root: Value, leaves: list[Value] | None = None, fused: bool = True) -> list[Value]:
    """Depth-first, iterative. With a ``leaves`` list the leaves below ``root`` go there and
    only interior nodes are returned (what backward needs); else everything comes in order.
    ``fused=False`` walks a fused layer's members like any node (create_graph runs them one by
    one, so their weights are leaves of the pass and get folded)."""
    order: list[Value] = []
    leaf_out = order if leaves is None else leaves
    seen = {root}
    stack = [(root, iter(root._args))]
    while stack:
        node, args = stack[-1]
        for a in args:
            if isinstance(a, Value) and a not in seen:
                seen.add(a)
                if not a._args:  # a leaf: done at once, no trip through the stack
                    leaf_out.append(a)
                    continue
                if leaves is not None and fused and a._group is not None:  # a fused layer's weights: its own business
                    stack.append((a, iter(a._group[0].inputs_of(a))))
                else:
                    stack.append((a, iter(a._args)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward(root: Value, grad: Any = None, create_graph: bool = False) -> None:
    """Back-propagate from ``root``: the engine behind ``Value.backward``.

    Example:
        >>> x = Value(3.0); backward(x * x); x.grad
        6.0
    """
    if grad is None:
        if type(root._data) is ndarray:
            raise ShapeError(
                f"backward() on a Value with {root._data.shape[0]} lanes needs grad=...; "
                "reduce it to a scalar first with .sum() or .mean()"
            )
        grad = 1.0
    else:
        if not isinstance(grad, Value):
            grad = as_data(grad, "backward(grad=...)")
            if type(grad) is ndarray:
                grad = grad.copy()  # the caller's array stays the caller's
        shape = np.shape(grad._data if isinstance(grad, Value) else grad)
        if shape != np.shape(root._data):
            raise ShapeError(f"backward(grad=...) has shape {shape}, the Value has shape {np.shape(root._data)}")
    if create_graph and not isinstance(grad, Value):
        grad = Value(grad)

    leaves: list[Value] = []
    order = _walk(root, leaves, not create_graph)  # interior nodes (and root), parents first
    stamp = object()
    for node in order:
        if node._args:  # intermediate nodes start afresh; leaves accumulate
            node._grad = None
            if node._group is not None:
                node._group[0].enlist(node._group[1], stamp, node)
    root._grad = grad if root._grad is None else root._grad + grad
    try:
        _run(order, create_graph)
    finally:
        fold(leaves)  # Parameters: what the scalar paths left in their slots goes into the buffers
        if type(root) is Parameter:
            fold([root])
    _check_leaf_grads(leaves)


def _run(order: list[Value], create_graph: bool) -> None:
    """The reverse sweep: every node passes its gradient on to its inputs, last node first."""
    check = _modes()[1]
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        for node in reversed(order):
            args = node._args
            g = node._grad
            if not args:
                continue
            try:
                if node._group is not None and not create_graph:
                    # a fused layer: its block node (row -1), or the last member to complete, does the whole layer
                    group, row = node._group[0], node._group[1]
                    if row < 0 or group.arrive():
                        group.backward(node, _accumulate)
                    continue
                if g is None:
                    continue
                fn = node._fn
                if type(g) is float and not create_graph:
                    # A float gradient: every input is a float too. The commonest ops of a scalar
                    # graph are spelled out here, with no call per node (their rules in ops.py
                    # are the reference: tests/test_engine_sweep.py checks these lines against
                    # them bit for bit); the rest go through the table.
                    if fn is ADD:  # rules: +g, +g
                        a, b = args
                        if isinstance(a, Value):
                            prev = a._grad
                            a._grad = g if prev is None else prev + g
                        if isinstance(b, Value):
                            prev = b._grad
                            b._grad = g if prev is None else prev + g
                    elif fn is MUL:  # rules: g * b, g * a
                        a, b = args
                        a_is_node, b_is_node = isinstance(a, Value), isinstance(b, Value)
                        x = a._data if a_is_node else a
                        y = b._data if b_is_node else b
                        if a_is_node:
                            share = g * y
                            prev = a._grad
                            a._grad = share if prev is None else prev + share
                        if b_is_node:
                            share = g * x
                            prev = b._grad
                            b._grad = share if prev is None else prev + share
                    elif fn is RELU:  # rule: g * step(x), step(x) = 1.0 if x > 0 else 0.0
                        (a,) = args
                        share = g * (1.0 if a._data > 0 else 0.0)
                        prev = a._grad
                        a._grad = share if prev is None else prev + share
                    elif fn is DOT:
                        _propagate_dot(args, g)
                    elif fn.rules is not None:
                        _propagate_scalar(fn.rules, args, g, node._data)
                    else:
                        _propagate(node, args, g, create_graph)
                # one input keeps its shape (no lane sums to do)
                elif fn.rules is not None and not create_graph and len(args) == 1:
                    _propagate_scalar(fn.rules, args, g, node._data)
                else:
                    _propagate(node, args, g, create_graph)
            except (ZeroDivisionError, OverflowError, FloatingPointError, DomainError) as err:
                bad = _bad_lanes(node, args, g)
                inputs = ", ".join(describe(a._data if isinstance(a, Value) else a, bad) for a in args)
                raise DomainError(
                    f"{node.op}: the derivative is not finite at input {inputs} ({err}); op chain: {_op_chain(node)}"
                ) from None
            if check:
                _check_grads(node, args)


def _check_leaf_grads(leaves: list[Value]) -> None:
    """Plain float arithmetic overflows to inf silently (lanes raise above): catch it at the leaves."""
    for node in leaves:
        g = node.grad if type(node) is Parameter else node._grad
        if type(g) is float and not math.isfinite(g):
            name = f"node {excerpt(node.label)}" if node.label else "a leaf"
            raise DomainError(
                f"backward: the gradient of {name} is {g} (a float overflowed or became NaN on the way back); "
                "run under detect_anomaly() to find the op"
            )


def _propagate_scalar(rules: tuple[Any, ...], args: tuple[Any, ...], g: float, out: float) -> None:
    """``_propagate`` without lane sums: one-input ops, and two-input ops on floats (the hot path)."""
    if len(args) == 1:
        (a,) = args
        share = rules[0](g, out, a._data)
        prev = a._grad
        a._grad = share if prev is None else prev + share
        return
    a, b = args
    a_is_node, b_is_node = isinstance(a, Value), isinstance(b, Value)
    x = a._data if a_is_node else a
    y = b._data if b_is_node else b
    if a_is_node:
        share = rules[0](g, out, x, y)
        prev = a._grad
        a._grad = share if prev is None else prev + share
    if b_is_node:
        share = rules[1](g, out, x, y)
        prev = b._grad
        b._grad = share if prev is None else prev + share


def _propagate_dot(args: tuple[Any, ...], g: float) -> None:
    """The dot rule of a one-sample node (a neuron of a per-sample graph): w_i gets g·x_i, then x_i
    gets g·w_i, added in place in the order ``_propagate`` adds them, each input read once."""
    n = len(args) // 2
    datas = [a._data if isinstance(a, Value) else a for a in args]
    for a, x in zip(args[:n], datas[n:]):
        if isinstance(a, Value):
            share = g * x
            prev = a._grad
            a._grad = share if prev is None else prev + share
    for a, w in zip(args[n:], datas[:n]):
        if isinstance(a, Value):
            share = g * w
            prev = a._grad
            a._grad = share if prev is None else prev + share


def _propagate(node: Value, args: tuple[Any, ...], g: Any, create_graph: bool) -> None:
    """Apply one node's local derivative rules and accumulate into its parents."""
    fn = node._fn
    if create_graph:
        inputs, out = args, node
    else:
        inputs, out = [a._data if isinstance(a, Value) else a for a in args], node._data
    laned = type(node._data) is ndarray
    for a, share in zip(args, _local_shares(fn, args, g, out, inputs)):
        if not isinstance(a, Value):
            continue
        if laned:
            _accumulate(a, share, laned)
        else:  # scalars: add in place (sums and dot products over many parameters come here)
            prev = a._grad
            a._grad = share if prev is None else prev + share


def _local_shares(fn: Any, args: tuple[Any, ...], g: Any, out: Any, inputs: Any) -> list[Any]:
    """Each input's share of ``g`` by the table's rules (None for constants, whose rules never run)."""
    if fn.rules is None:
        return fn.vjp(g, out, *inputs)
    return [rule(g, out, *inputs) if isinstance(a, Value) else None for rule, a in zip(fn.rules, args)]


def local_shares(node: Value, g: Any) -> list[tuple[Value, Any]]:
    """What one backward step sends from ``node`` (upstream gradient ``g``): (input, share) per Value input.

    The node's own rules, built-in or from ``define_op``; a float input of a laned node gets
    the lane sum, as in ``backward()``. Nothing is accumulated anywhere.

    Example:
        >>> x = Value(3.0, label="x"); y = x * 2.0
        >>> [(v.label, share) for v, share in local_shares(y, 1.0)]
        [('x', 2.0)]
    """
    args = node._args
    if not args:
        return []
    inputs = [a._data if isinstance(a, Value) else a for a in args]
    laned = type(node._data) is ndarray
    out = []
    for a, share in zip(args, _local_shares(node._fn, args, g, node._data, inputs)):
        if isinstance(a, Value):
            if laned and type(a._data) is not ndarray:
                share = float(np.sum(share))
            out.append((a, share))
    return out


def _bad_lanes(node: Value, args: tuple[Any, ...], g: Any) -> Any:
    """For an error message: the lanes where ``node``'s local derivatives are not finite (None for scalars)."""
    if type(node._data) is not ndarray:
        return None
    g = g._data if isinstance(g, Value) else g
    inputs = [a._data if isinstance(a, Value) else a for a in args]
    try:
        with np.errstate(all="ignore"):
            shares = _local_shares(node._fn, args, g, node._data, inputs)
            return ~np.isfinite(sum(np.abs(share) for share in shares if share is not None))
    except Exception:  # only a message detail: never hide the real error behind another
        return None


def _accumulate(a: Value, share: Any, laned: bool) -> None:
    if laned and type(a._data) is not ndarray:  # a float feeding lanes gets the lane sum
        if type(share) is ndarray:
            share = float(share.sum())
        elif isinstance(share, Value) and type(share._data) is ndarray:
            share = share.sum()
    prev = a._grad
    a._grad = share if prev is None else prev + share


def _check_grads(node: Value, args: tuple[Any, ...]) -> None:
    for a in args:
        if isinstance(a, Value) and a._grad is not None:
            g = a._grad._data if isinstance(a._grad, Value) else a._grad
            if not np.all(np.isfinite(g)):
                raise AnomalyError(
                    f"detect_anomaly: backward through {node.op} gave a gradient of "
                    f"{describe(g, ~np.isfinite(g))}; op chain: {_op_chain(node)}"
                )


def zero_grad(root: Value | Iterable[Value]) -> None:
    """Clear the gradient of ``root`` and every node it depends on, or of each Value given.

    Example:
        >>> x = Value(3.0); (x * x).backward(); zero_grad(x); x.grad
        0.0
        >>> w = Value(2.0); (w * x).backward(); zero_grad([w, x]); w.grad, x.grad
        (0.0, 0.0)
    """
    if type(root) is ParamList:
        root.zero_grad()  # one fill per buffer
        return
    nodes = topological_order(root) if isinstance(root, Value) else root
    for node in nodes:
        if not isinstance(node, Value):
            raise OperandTypeError(f"zero_grad(): expected Values, got {type(node).__name__}")
        node._grad = None
        if type(node) is Parameter:
            node._buf._g[node._i] = 0.0
        elif node._group is not None and len(node._group) == 3:  # a fused layer's member: its row of G too
            node._group[0].clear_row(node._group[1])


def grads_array(values: Iterable[Value]) -> ndarray:
    """The gradients of scalar Values as one float64 array (0 where a Value has none yet).

    What an optimizer needs every step, without a property call per parameter.

    Example:
        >>> a, b = Value(2.0), Value(5.0); (a * 3).backward(); grads_array([a, b])
        array([3., 0.])
    """
    if type(values) is ParamList:
        return values.grads()  # read from the buffers
    raw = [v.grad if type(v) is Parameter else 0.0 if v._grad is None else v._grad for v in values]
    try:
        out = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):  # create_graph left Values (or lanes and scalars are mixed)
        out = np.array([g._data if isinstance(g, Value) else g for g in raw], dtype=object)
        if any(type(g) is ndarray for g in out):
            out = np.zeros((0, 0))
        out = out.astype(np.float64)
    if out.ndim != 1:
        raise ShapeError("grads_array(): every Value must be a scalar; got one with lanes")
    return out


@contextlib.contextmanager
def _switch(index: int, value: bool) -> Iterator[None]:
    """Set one mode (0 grad, 1 anomaly) in this thread; on the way out put back the value it found."""
    found = _MODES.get()[index]
    _MODES.set(_with_mode(index, value))
    try:
        yield
    finally:
        _MODES.set(_with_mode(index, found))  # only this mode: switches closed out of order stay right


def _with_mode(index: int, value: bool) -> tuple[bool, bool]:
    grad_enabled, anomaly = _MODES.get()
    return (value, anomaly) if index == 0 else (grad_enabled, value)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context in which ops record no parents: fast inference, nothing to back-propagate.

    Example:
        >>> with no_grad():
        ...     y = Value(2.0) * 3
        >>> y.is_leaf
        True
    """
    return _switch(0, False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context that turns recording back on inside ``no_grad()``.

    Example:
        >>> with no_grad(), enable_grad():
        ...     y = Value(2.0) * 3
        >>> y.is_leaf
        False
    """
    return _switch(0, True)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``.

    Example:
        >>> is_grad_enabled()
        True
    """
    return _modes()[0]


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (in this thread).

    Example:
        >>> is_anomaly_enabled()
        False
    """
    return _modes()[1]


def detect_anomaly() -> contextlib.AbstractContextManager[None]:
    """Context that checks every forward value and gradient for NaN and infinity.

    The error names the op chain that produced the bad number. Off by default so the hot
    path stays lean.

    Example:
        >>> from autograd_core import AnomalyError
        >>> with detect_anomaly():
        ...     try:
        ...         Value(float("inf")) * 0.0
        ...     except AnomalyError as err:
        ...         print(str(err)[:40])
        detect_anomaly: * produced nan (inputs w
    """
    return _switch(1, True)


@dataclass
class GraphStats:
    """Size and shape of a graph, from ``graph_stats(root)``."""

    nodes: int
    edges: int
    depth: int
    leaves: int
    parameters: int
    lanes: int | None
    ops: Counter[str] = field(default_factory=Counter)


def graph_stats(root: Value) -> GraphStats:
    """Count nodes, edges, depth (longest path in ops), leaves and the ops used.

    ``parameters`` counts scalar leaves (a network's weights and biases); laned leaves are
    inputs. ``lanes`` is the largest lane count in the graph (None when all are scalars).

    Example:
        >>> x = Value(2.0); y = (x * x + 1).tanh()
        >>> s = graph_stats(y); s.nodes, s.edges, s.depth, dict(s.ops)
        (4, 4, 3, {'*': 1, '+': 1, 'tanh': 1})
    """
    order = topological_order(root)
    depth: dict[Value, int] = {}
    ops: Counter[str] = Counter()
    edges = leaves = parameters = 0
    lanes = None
    for node in order:
        parents = [a for a in node._args if isinstance(a, Value)]
        edges += len(parents)
        depth[node] = 1 + max((depth[p] for p in parents), default=-1)
        if node._args:
            ops[node.op] += 1
        else:
            leaves += 1
            parameters += type(node._data) is not ndarray
        if type(node._data) is ndarray:
            lanes = max(lanes or 0, node._data.shape[0])
    return GraphStats(len(order), edges, depth[root], leaves, parameters, lanes, ops)
