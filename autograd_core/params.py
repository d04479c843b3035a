"""Parameters in buffers: a model's numbers in one float64 array, their gradients in another.

A ``Parameter`` is a leaf ``Value`` whose ``data`` and ``grad`` are slot ``i`` of a
``ParamBuffer``: reading ``w.data`` reads the array, ``w.data = 0.3`` writes it, and micrograd's
``for p in model.parameters(): p.data -= lr * p.grad`` stays in step with it. It labels, draws
and differentiates like any leaf. What touches every parameter at once works on the arrays
instead, in one NumPy operation each: a fused layer reads its weights as a block of the buffer
and adds ``dW`` into the gradient buffer (``autograd_core.fused``), an optimizer updates the
whole buffer, ``zero_grad`` is one fill, and the L2 penalty ``sum_squares(params)`` is one node
computed from the buffer.

The engine's scalar paths (per-sample graphs, ``w * x`` in user code) accumulate a parameter's
gradient in the ordinary ``_grad`` slot while ``backward`` runs; at its end ``fold`` moves it
into the gradient buffer, so after every ``backward`` the buffer holds every float gradient.
Only a gradient that is itself a Value (``backward(create_graph=True)``) stays in the slot, with
its number mirrored in the buffer.

``ParamList`` (what ``Module.parameters()`` returns) is an ordinary list that also knows which
buffer slots its parameters occupy, so the whole-list operations above need no loop over them.

Example:
    >>> buf = ParamBuffer([0.5, -1.0], labels=["w", "b"])
    >>> w, b = buf.params
    >>> (w * 3.0 + b).backward(); buf.grad.tolist()
    [3.0, 1.0]
    >>> w.data = 0.25; buf.data.tolist(), w.grad
    ([0.25, -1.0], 3.0)
"""

from __future__ import annotations

import copy
import ctypes
import math
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from . import ops
from .errors import OperandTypeError, ShapeError
from .value import Value, _modes, as_data

ndarray = np.ndarray
_view = ctypes.c_double.from_buffer  # a float64 slot of an array as an object with a C-level ``value``

__all__ = ["ParamBuffer", "ParamList", "Parameter", "fold", "pack"]


class ParamBuffer:
    """A contiguous float64 array of parameter values, one of gradients, and their Parameters.

    The arrays are never replaced, only written in place, so views of them stay valid.

    Example:
        >>> buf = ParamBuffer([1.0, 2.0]); buf.params[1].data, len(buf)
        (2.0, 2)
    """

    __slots__ = ("_d", "_data", "_g", "_grad", "generation", "params", "value_grads")

    def __init__(self, values: Sequence[float] | ndarray, labels: Sequence[str] | None = None) -> None:
        self._data = np.array(values, dtype=np.float64).reshape(-1)
        self._grad = np.zeros(self._data.shape[0])
        self._d = memoryview(self._data)  # indexing a memoryview gives a Python float, fast
        self._g = memoryview(self._grad)
        self.generation = 0  # bumped when parameters leave this buffer (see pack)
        self.value_grads = False  # some Parameter holds a Value gradient (create_graph) in its slot
        names = labels if labels is not None else [""] * len(self._data)
        self.params = [Parameter._make(self, i, label) for i, label in enumerate(names)]

    @property
    def data(self) -> ndarray:
        """The parameter values (a 1-D float64 array; write into it, never replace it)."""
        return self._data

    @property
    def grad(self) -> ndarray:
        """The gradients, slot by slot, in the same order."""
        return self._grad

    def __len__(self) -> int:
        return self._data.shape[0]

    def zero_grad(self) -> None:
        """Set every gradient to 0: one fill (plus the Value gradients of create_graph, if any).

        Example:
            >>> buf = ParamBuffer([1.0]); (buf.params[0] * 2).backward(); buf.zero_grad(); buf.params[0].grad
            0.0
        """
        self._grad.fill(0.0)
        if self.value_grads:
            for p in self.params:
                if p._buf is self:
                    p._grad = None
            self.value_grads = False

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamBuffer:
        # memoryviews cannot be copied: a new buffer with new Parameters (a copied model's)
        new = ParamBuffer(self._data, [p.label for p in self.params])
        memo[id(self)] = new
        new.value_grads = self.value_grads
        for old, p in zip(self.params, new.params):
            if old._grad is not None:
                p._grad = copy.deepcopy(old._grad, memo)
        new._grad[:] = self._grad  # after: a copied Value gradient may be a new graph with the same number
        return new

    def __reduce__(self) -> Any:
        # memoryviews cannot be pickled: rebuild from the numbers (a pickled model, e.g. scikit-learn's clone checks)
        return (_rebuilt_buffer, (self._data.copy(), self._grad.copy(), [p.label for p in self.params]))

    def __repr__(self) -> str:
        return f"ParamBuffer({len(self)} parameters)"


def _set_data(p: Parameter, value: Any) -> None:
    if type(value) is not float:
        value = as_data(value, "Parameter.data")
        if type(value) is ndarray:
            raise ShapeError(
                f"parameter {p.label or 'data'}: holds one number, got {value.shape[0]} lanes; "
                "use a plain Value for laned data"
            )
    p._c.value = value


class Parameter(Value):
    """A leaf Value whose data and gradient live in a ``ParamBuffer`` (see the module docstring).

    ``w.data`` reads and writes slot ``i`` of the buffer through ``_c``, a ctypes view of that
    slot: the property's getter is a C function (``attrgetter("_c.value")``), so a read runs no
    Python code and costs about what reading a slot costs. The view is made on first use: until
    then ``_c`` is the Parameter itself, whose ``value`` makes it (a model trained on lanes never
    reads its parameters one by one, so never pays for the views).

    Example:
        >>> w = ParamBuffer([2.0], labels=["w"]).params[0]
        >>> w, (w * w).op
        (Parameter(data=2.0, grad=0.0, label='w'), '*')
    """

    __slots__ = ("_buf", "_c", "_i")

    @classmethod
    def _make(cls, buf: ParamBuffer, i: int, label: str) -> Parameter:
        p = Value.__new__(cls)
        p._buf = buf
        p._i = i
        p._c = p
        p._grad = None
        p._fn = None
        p._args = ()
        p.label = label
        p._group = None
        return p

    def __init__(self, data: Any, label: str = "") -> None:
        raise TypeError("a Parameter lives in a buffer: make one with ParamBuffer(values).params")

    data = property(attrgetter("_c.value"), _set_data, doc="The value: slot ``i`` of the buffer.")

    @property
    def value(self) -> float:
        """The value (as ``data``); reading it first makes the ctypes view ``_c``."""
        self._c = _view(self._buf._data, 8 * self._i)
        return self._c.value

    @value.setter
    def value(self, v: float) -> None:
        self._c = _view(self._buf._data, 8 * self._i)
        self._c.value = v

    def _bind(self, buf: ParamBuffer, i: int) -> None:
        """Move to slot ``i`` of ``buf`` (its view is made again on first use)."""
        self._buf = buf
        self._i = i
        self._c = self

    _data = data  # the engine reads ``_data``: for a Parameter it is the buffer slot, as ``data``

    @property
    def grad(self) -> Any:
        """The gradient: slot ``i`` of the gradient buffer (a Value after create_graph)."""
        g = self._grad
        if g is None:
            return self._buf._g[self._i]
        if type(g) is float:  # inside a backward pass: the part not folded yet
            return self._buf._g[self._i] + g
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if isinstance(value, Value):
            self._grad = value
            self._mirror(value)
            return
        if type(value) is not float:
            value = as_data(value, "grad")
            if type(value) is ndarray:
                raise ShapeError(f"grad must have the shape of data (), got {value.shape}")
        self._grad = None
        self._buf._g[self._i] = value

    def _mirror(self, g: Value) -> None:
        """A Value gradient stays in the slot; the buffer holds its number."""
        self._buf.value_grads = True
        d = g._data
        self._buf._g[self._i] = d if type(d) is float else math.nan

    def __reduce__(self) -> Any:
        return (_param_at, (self._buf, self._i))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        return copy.deepcopy(self._buf, memo).params[self._i]

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[5:]


def _rebuilt_buffer(data: ndarray, grad: ndarray, labels: list[str]) -> ParamBuffer:
    buf = ParamBuffer(data, labels)
    buf._grad[:] = grad
    return buf


def _param_at(buf: ParamBuffer, i: int) -> Parameter:
    return buf.params[i]


def fold(leaves: Iterable[Value]) -> None:
    """Move the gradients that ``backward`` accumulated in Parameters' slots into their buffers.

    Example:
        >>> w = ParamBuffer([1.0]).params[0]; w._grad = 2.5; fold([w]); w._grad, w.grad
        (None, 2.5)
    """
    for p in leaves:
        if type(p) is Parameter:
            g = p._grad
            if g is None:
                continue
            if type(g) is float:
                p._grad = None
                p._buf._g[p._i] += g
            elif isinstance(g, Value):
                p._mirror(g)
            else:  # a NumPy scalar from a reduction
                p._grad = None
                p._buf._g[p._i] += float(g)


def pack(params: Sequence[Parameter | Value]) -> ParamBuffer:
    """Move ``params`` into one new buffer, in order (a model does this once, when it is built).

    Values and gradients are kept; each Parameter keeps its identity and now reads slot k of
    the new buffer. Plain Values are not moved and make it refuse.

    Example:
        >>> a, b = ParamBuffer([1.0]).params[0], ParamBuffer([2.0]).params[0]
        >>> buf = pack([a, b]); buf.data.tolist(), a._buf is b._buf is buf
        ([1.0, 2.0], True)
    """
    for p in params:
        if type(p) is not Parameter:
            raise OperandTypeError(f"pack(): every parameter must be a Parameter, got {type(p).__name__}")
    buf = ParamBuffer.__new__(ParamBuffer)
    # read the old buffers' slots directly (a Value gradient's number is mirrored there)
    buf._data = np.array([p._buf._d[p._i] for p in params], dtype=np.float64).reshape(-1)
    buf._grad = np.array([p._buf._g[p._i] for p in params], dtype=np.float64).reshape(-1)
    buf._d = memoryview(buf._data)
    buf._g = memoryview(buf._grad)
    buf.generation = 0
    buf.value_grads = any(isinstance(p._grad, Value) for p in params)
    for old in {id(p._buf): p._buf for p in params}.values():
        old.generation += 1
    for i, p in enumerate(params):
        p._bind(buf, i)
    buf.params = list(params)
    return buf


# --- lists of parameters ------------------------------------------------------------------


class _Plan:
    """Where a list's parameters live: per buffer, the list positions and buffer slots."""

    __slots__ = ("args", "groups", "key", "loose", "n", "single")

    def __init__(self, items: Sequence[Any]) -> None:
        by_buf: dict[int, tuple[ParamBuffer, list[int], list[int]]] = {}
        loose: list[int] = []
        for pos, p in enumerate(items):
            if type(p) is Parameter:
                entry = by_buf.get(id(p._buf))
                if entry is None:
                    entry = by_buf[id(p._buf)] = (p._buf, [], [])
                entry[1].append(pos)
                entry[2].append(p._i)
            elif isinstance(p, Value):
                loose.append(pos)
            else:
                raise OperandTypeError(f"parameter {pos} is a {type(p).__name__}, expected a Value")
        self.n = len(items)
        self.groups = []
        for buf, positions, slots in by_buf.values():
            sel: Any = np.array(slots, dtype=np.intp)
            if slots == list(range(slots[0], slots[0] + len(slots))):
                sel = slice(slots[0], slots[0] + len(slots))  # a run of slots: a view, no copy
            self.groups.append((buf, np.array(positions, dtype=np.intp), sel))
        self.loose = loose
        whole = len(self.groups) == 1 and not loose and self.groups[0][0]._data.shape[0] == self.n
        self.single = self.groups[0] if whole and _whole(self.groups[0][2], self.n) else None
        self.key = tuple((buf, buf.generation) for buf, _, _ in self.groups)
        self.args = tuple(items)

    def valid(self) -> bool:
        return all(buf.generation == gen for buf, gen in self.key)


def _invalidating(name: str) -> Any:
    method = getattr(list, name)

    def wrapper(self: ParamList, *args: Any, **kwargs: Any) -> Any:
        self._plan = None
        return method(self, *args, **kwargs)

    wrapper.__name__ = name
    return wrapper


class ParamList(list):
    """A list of parameters (what ``parameters()`` returns) that knows their buffer slots.

    It is a plain list to its user. ``values()``, ``grads()``, ``assign()``, ``zero_grad()`` and
    ``sum_squares(params)`` act on the buffers in one operation per buffer; plain Values in the
    list are handled one by one.

    Example:
        >>> buf = ParamBuffer([1.0, 2.0, 3.0]); params = ParamList(buf.params)
        >>> params.values().tolist(); params.assign(params.values() * 2); buf.data.tolist()
        [1.0, 2.0, 3.0]
        [2.0, 4.0, 6.0]
    """

    __slots__ = ("_plan",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self._plan: _Plan | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamList:
        return ParamList(copy.deepcopy(list(self), memo))  # the plan is rebuilt when needed

    def __reduce__(self) -> Any:
        return (ParamList, (list(self),))

    def plan(self) -> _Plan:
        """Where the parameters live (computed once, recomputed after a change to the list)."""
        plan = self._plan
        if plan is None or not plan.valid():
            plan = self._plan = _Plan(self)
        return plan

    def _gather(self, which: str) -> ndarray:
        plan = self.plan()
        if plan.single is not None:
            return getattr(plan.single[0], which).copy()
        out = np.empty(plan.n)
        for buf, positions, sel in plan.groups:
            out[positions] = getattr(buf, which)[sel]
        for pos in plan.loose:
            v = self[pos]
            out[pos] = _scalar(v._data if which == "data" else _number_of(v.grad), v)
        return out

    def values(self) -> ndarray:
        """Every parameter's value as one float64 array (a copy), in list order.

        Example:
            >>> ParamList(ParamBuffer([1.0, 2.0]).params).values()
            array([1., 2.])
        """
        return self._gather("data")

    def grads(self) -> ndarray:
        """Every parameter's gradient as one float64 array (a copy), in list order.

        Example:
            >>> ParamList(ParamBuffer([1.0]).params).grads()
            array([0.])
        """
        plan = self.plan()
        if any(buf.value_grads for buf, _, _ in plan.groups):  # create_graph left Values: read their numbers
            return np.array([_scalar(_number_of(p.grad), p) for p in self], dtype=np.float64)
        return self._gather("grad")

    def assign(self, values: ndarray) -> None:
        """Write ``values`` (one per parameter, in list order) into the parameters.

        Example:
            >>> params = ParamList(ParamBuffer([1.0, 2.0]).params); params.assign(np.array([5.0, 6.0]))
            >>> [p.data for p in params]
            [5.0, 6.0]
        """
        plan = self.plan()
        if plan.single is not None:
            plan.single[0]._data[:] = values
            return
        for buf, positions, sel in plan.groups:
            buf._data[sel] = values[positions]
        if plan.loose:
            for pos, v in zip(plan.loose, values[plan.loose].tolist()):
                self[pos].data = v

    def zero_grad(self) -> None:
        """Set every gradient to 0 (one fill per buffer).

        Example:
            >>> params = ParamList(ParamBuffer([1.0]).params); params[0].grad = 3.0; params.zero_grad(); params[0].grad
            0.0
        """
        plan = self.plan()
        for buf, _, sel in plan.groups:
            if _whole(sel, len(buf)):
                buf.zero_grad()
            else:
                buf._grad[sel] = 0.0
                if buf.value_grads:
                    for p in self:
                        if type(p) is Parameter:
                            p._grad = None
        for pos in plan.loose:
            self[pos]._grad = None


# any change to the list's contents forgets the plan (the next use makes a new one)
_MUTATORS = ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop", "remove")
for _name in (*_MUTATORS, "clear", "sort", "reverse"):
    setattr(ParamList, _name, _invalidating(_name))
del _name


def _whole(sel: Any, n: int) -> bool:
    return type(sel) is slice and sel == slice(0, n)


def _number_of(g: Any) -> Any:
    return g._data if isinstance(g, Value) else g


def _scalar(x: Any, p: Value) -> float:
    if type(x) is ndarray:
        raise ShapeError("every parameter must be a scalar; got one with lanes")
    return float(x)


# --- the L2 penalty from the buffer --------------------------------------------------------


class SquaresOf:
    """The group of one ``sum_squares`` node over a ParamList: its backward is one array operation.

    The node's arguments are the parameters (so it draws, and ``create_graph`` differentiates it
    with the table's rule); the walk of a plain backward does not visit them, and the backward
    adds ``2 g p`` into the gradient buffers directly.
    """

    __slots__ = ("plan", "saved")

    def __init__(self, plan: _Plan, saved: list[ndarray]) -> None:
        self.plan = plan
        self.saved = saved  # the values as they were in the forward pass, per group

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        return tuple(node._args[pos] for pos in self.plan.loose)

    def enlist(self, row: int, stamp: object, node: Value | None = None) -> None:
        pass

    def arrive(self) -> bool:
        return True

    def backward(self, node: Value, accumulate: Any) -> None:
        g = node._grad
        if g is None:
            return
        twice = 2.0 * g
        for (buf, _, sel), values in zip(self.plan.groups, self.saved):
            buf._grad[sel] += twice * values
        for pos in self.plan.loose:
            p = node._args[pos]
            accumulate(p, twice * p._data, False)


def sum_squares_of(params: ParamList) -> Value:
    """``sum_squares(params)`` for a ParamList: one node whose value and gradient use the buffers.

    Example:
        >>> params = ParamList(ParamBuffer([1.0, 2.0]).params)
        >>> s = sum_squares_of(params); s.data, s.op
        (5.0, 'sum_squares')
        >>> s.backward(); params.grads().tolist()
        [2.0, 4.0]
    """
    plan = params.plan()
    saved = [buf._data[sel].copy() for buf, _, sel in plan.groups]
    total = sum(float(v @ v) for v in saved)
    for pos in plan.loose:
        d = _scalar(params[pos].data, params[pos])
        total += d * d
    node = Value.__new__(Value)
    node._data = total
    node._grad = None
    node.label = ""
    if _modes()[0] and plan.n:
        node._fn = ops.SUM_SQUARES
        node._args = plan.args
        # one array operation backward, unless a gradient is a Value (create_graph): then the table's rule
        fast = not _modes()[1] and not any(buf.value_grads for buf, _, _ in plan.groups)
        node._group = (SquaresOf(plan, saved), 0) if fast else None
    else:
        node._fn = None
        node._args = ()
        node._group = None
    return node
