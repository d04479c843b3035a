"""Many-input helpers: one graph node each where that keeps big graphs small, and the
composites built from them (softmax, log_softmax).

Example:
    >>> from autograd_core import Value, dot, softmax
    >>> w = [Value(0.5), Value(-1.0)]
    >>> dot(w, [2.0, 3.0]).data
    -2.0
    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0)])]
    [0.2689, 0.7311]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import ops
from .errors import ShapeError
from .params import Parameter, ParamList, sum_squares_of
from .value import Value, apply, as_data

ndarray = np.ndarray
_NODES = frozenset({Value, Parameter})


def _inputs(values: Iterable[Any], what: str) -> list[Any]:
    """Values stay Values, numbers and arrays become constants; lanes must agree."""
    values = values if type(values) is list else list(values)
    if set(map(type, values)) <= _NODES:  # the common case, checked at C speed
        datas = [v._data for v in values]
        kinds = set(map(type, datas))
        if kinds == {float} or (kinds == {ndarray} and len(set([d.shape for d in datas])) == 1):
            return values
    items = []
    lanes = None
    for v in values:  # one pass: this runs for every neuron of every forward
        if isinstance(v, Value):
            d = v._data
        elif type(v) is float:
            d = v
        else:
            v = d = as_data(v, what)
        if type(d) is ndarray and d.shape[0] != lanes:
            if lanes is not None:
                raise ShapeError(f"{what}: lanes do not match, got {lanes} lanes and {d.shape[0]} lanes")
            lanes = d.shape[0]
        items.append(v)
    return items


def _node(op: ops.Op, items: list[Any]) -> Value:
    if any(isinstance(v, Value) for v in items):
        return apply(op, *items)
    return Value(op.forward(*items))  # constants only: a plain leaf


def sum_values(values: Iterable[Any], start: Any = 0.0) -> Value:
    """Sum of many Values as one graph node (``start`` is added too, like ``sum``'s).

    Example:
        >>> sum_values([Value(1.0), Value(2.0)], start=Value(0.5)).data
        3.5
    """
    items = list(values)
    start_data = None if isinstance(start, Value) else as_data(start, "sum_values(start=...)")
    if start_data is None or type(start_data) is ndarray or start_data != 0.0:  # skip only a 0.0 start
        items.append(start)
    if not items:
        return Value(0.0)
    return _node(ops.SUM, _inputs(items, "sum_values()"))


def mean_values(values: Iterable[Any]) -> Value:
    """Mean of many Values as one graph node.

    Example:
        >>> mean_values([Value(1.0), Value(2.0)]).data
        1.5
    """
    items = _inputs(values, "mean_values()")
    if not items:
        raise ShapeError("mean_values() needs at least one value, got none")
    return _node(ops.MEAN, items)


def dot(ws: Sequence[Any], xs: Sequence[Any]) -> Value:
    """w1*x1 + w2*x2 + ... as one graph node (a neuron's weighted sum).

    Example:
        >>> dot([Value(1.0), Value(2.0)], [3.0, 4.0]).data
        11.0
    """
    ws, xs = list(ws), list(xs)
    if len(ws) != len(xs):
        raise ShapeError(f"dot(): {len(ws)} weights and {len(xs)} inputs; they must be equally many")
    if not ws:
        raise ShapeError("dot() needs at least one weight and input, got none")
    return _node(ops.DOT, _inputs(ws + xs, "dot()"))


def sum_squares(values: Iterable[Any]) -> Value:
    """v1² + v2² + ... as one graph node (an L2 penalty over all parameters).

    Example:
        >>> sum_squares([Value(1.0), Value(2.0)]).data
        5.0
    """
    if type(values) is ParamList:
        return sum_squares_of(values)  # one node read from the parameter buffers
    items = _inputs(values, "sum_squares()")
    if not items:
        return Value(0.0)
    return _node(ops.SUM_SQUARES, items)


def logsumexp(values: Iterable[Any]) -> Value:
    """log(sum(exp(v))) computed stably (shifted by the max) as one graph node.

    Example:
        >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 4)
        1000.6931
    """
    items = _inputs(values, "logsumexp()")
    if not items:
        raise ShapeError("logsumexp() needs at least one value, got none")
    return _node(ops.LOGSUMEXP, items)


def log_softmax(values: Iterable[Any]) -> list[Value]:
    """log of softmax, stable: v_i - logsumexp(v).

    Example:
        >>> [round(p.data, 4) for p in log_softmax([Value(0.0), Value(0.0)])]
        [-0.6931, -0.6931]
    """
    items = list(values)
    lse = logsumexp(items)
    return [v - lse for v in items]


def softmax(values: Iterable[Any]) -> list[Value]:
    """exp(v_i) / sum_j exp(v_j), computed as exp(log_softmax) so it never overflows.

    Example:
        >>> [round(p.data, 4) for p in softmax([Value(1000.0), Value(1000.0)])]
        [0.5, 0.5]
    """
    return [p.exp() for p in log_softmax(values)]


def maximum(a: Any, b: Any) -> Any:
    """Elementwise max of two Values or numbers; on ties the gradient is split in half.

    Example:
        >>> maximum(Value(2.0), 3.0).data, maximum(2.0, 3.0)
        (3.0, 3.0)
    """
    return _binary(ops.MAXIMUM, a, b)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise min of two Values or numbers; on ties the gradient is split in half.

    Example:
        >>> minimum(Value(2.0), 3.0).data
        2.0
    """
    return _binary(ops.MINIMUM, a, b)


def _binary(op: ops.Op, a: Any, b: Any) -> Any:
    items = _inputs((a, b), f"{op.name}()")
    if not isinstance(a, Value) and not isinstance(b, Value):
        return op.forward(*items)
    return apply(op, *items)


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """x for x > 0, slope * x otherwise, on a number, lanes or a Value.

    Example:
        >>> leaky_relu(-2.0), leaky_relu(Value(-2.0), 0.1).data
        (-0.02, -0.2)
    """
    if isinstance(x, Value):
        return x.leaky_relu(slope)
    return ops.LEAKY_RELU.forward(as_data(x, "leaky_relu()"), float(slope))
