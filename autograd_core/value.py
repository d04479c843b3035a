"""Value: one node of a computational graph.

A Value holds ``data`` (a float, or a 1-D float64 NumPy array with one lane per sample), its
``grad`` after ``backward()``, the ``op`` that made it and the ``parents`` it was made from.
Constants (plain numbers and arrays) are recorded as op arguments, not as graph nodes.

Example:
    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(6.88, label="b")
    >>> a = (x * w + b).tanh(); a.backward()
    >>> round(a.data, 4), round(x.grad, 4), round(w.grad, 4)
    (0.7064, -1.5029, 1.0019)
"""

from __future__ import annotations

import contextvars
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import ops
from .closure import ClosureOp, builtin_step, nothing
from .errors import AnomalyError, DomainError, OperandTypeError, ShapeError, excerpt

ndarray = np.ndarray

# Grad mode and anomaly mode, read on every op and flipped by graph.no_grad() / detect_anomaly():
# one (grad_enabled, anomaly) pair per thread (a ContextVar: each new thread starts from the
# default), read with a single call on the hot path.
_MODES: contextvars.ContextVar[tuple[bool, bool]] = contextvars.ContextVar("autograd_core_modes", default=(True, False))
_modes = _MODES.get
_ACCEPTED = "expected a Value, a number (int or float) or a 1-D NumPy array of lanes"


def as_data(x: Any, what: str = "Value") -> Any:
    """Convert a number or a 1-D array to the engine's data: a float or a float64 array.

    Example:
        >>> as_data(3), as_data([1, 2])
        (3.0, array([1., 2.]))
    """
    if type(x) is float:
        return x
    if type(x) is ndarray and x.dtype == np.float64 and x.ndim == 1 and x.shape[0]:
        return x
    if isinstance(x, (numbers.Real, np.bool_)):
        try:
            return float(x)
        except OverflowError:  # an int beyond float64
            raise DomainError(f"{what}: {excerpt(x)} is beyond the range of float64") from None
    if isinstance(x, Value):
        raise OperandTypeError(f"{what}: data is already a Value; use v.detach() for a new leaf with its data")
    if isinstance(x, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError):
            arr = None
        # only real numbers make lanes: NumPy would turn '1.5' and None into floats and drop imaginary parts
        if arr is None or arr.dtype.kind not in "biuf":
            raise OperandTypeError(f"{what}: lanes must be numbers, got {type(x).__name__} {excerpt(x)}") from None
        if arr.ndim == 0:
            return float(arr)
        arr = arr.astype(np.float64, copy=False)
        if arr.ndim != 1:
            raise ShapeError(
                f"{what}: data must be a number or a 1-D array of lanes, got an array of shape {arr.shape}"
            )
        if arr.shape[0] == 0:
            raise ShapeError(f"{what}: an array of lanes needs at least one lane, got an empty array")
        return arr
    raise OperandTypeError(f"{what}: unsupported type {type(x).__name__}; {_ACCEPTED}")


def _node_name(v: Any) -> str:
    return f"node {excerpt(v.label)}" if isinstance(v, Value) and v.label else ""


def _where(args: tuple[Any, ...]) -> str:
    """' (node 'x')' for one labelled input; ' (operands: node 'x', 0.0)' for several, in order."""
    if len(args) == 1:
        name = _node_name(args[0])
        if not name and isinstance(args[0], Value) and args[0]._args:  # say where an unnamed input came from
            return f" (input made by: {_op_chain(args[0])})"
        return f" ({name})" if name else ""
    if not any(_node_name(a) for a in args):
        return ""
    shown = [_node_name(a) or ("a Value" if isinstance(a, Value) else ops.describe(a)) for a in args]
    return f" (operands: {', '.join(shown)})"


def apply(op: ops.Op, *args: Any) -> Value:
    """Run ``op`` on Values and constants and record the result as a graph node.

    Example:
        >>> from autograd_core import ops
        >>> apply(ops.MUL, Value(2.0), 3.0).data
        6.0
    """
    try:
        if len(args) == 2:  # most ops: spelled out, no list to build (the op costs less)
            a, b = args
            out = op.forward(a._data if isinstance(a, Value) else a, b._data if isinstance(b, Value) else b)
        elif len(args) == 1:
            out = op.forward(args[0]._data if isinstance(args[0], Value) else args[0])
        else:
            out = op.forward(*[a._data if isinstance(a, Value) else a for a in args])
    except DomainError as err:
        raise DomainError(f"{err}{_where(args)}") from None
    node = Value.__new__(Value)
    node._data = out
    node._grad = None
    grad_enabled, anomaly = _modes()
    if grad_enabled:
        node._fn = op
        node._args = args
    else:  # no_grad: a plain leaf, no history
        node._fn = None
        node._args = ()
    node.label = ""
    node._group = None
    if anomaly:
        _check_anomaly(node, [a._data if isinstance(a, Value) else a for a in args])
    return node


def _binary(op: ops.Op, me: Value, other: Any) -> Value:
    """``apply(op, me, other)`` from the operator methods: ``other`` is checked here as
    ``_operand`` checks it, each operand's data is read once, and no argument list is built.

    The node is built as in ``apply`` and ``record``, written out in each on purpose: one shared
    helper would add a Python call to every node. tests/test_engine_sweep.py (operators) and
    tests/test_nn_layer_one_sample.py (``record``) check that all three build the same nodes."""
    x = me._data
    if type(other) is float:
        y = other
    elif isinstance(other, Value):
        y = other._data
        if type(y) is ndarray and type(x) is ndarray and y.shape != x.shape:
            _operand(other, op.name, me)  # raises the lanes error
    else:
        other = y = _operand(other, op.name, me)
    try:
        out = op.forward(x, y)
    except DomainError as err:
        raise DomainError(f"{err}{_where((me, other))}") from None
    node = Value.__new__(Value)
    node._data = out
    node._grad = None
    grad_enabled, anomaly = _modes()
    if grad_enabled:
        node._fn = op
        node._args = (me, other)
    else:
        node._fn = None
        node._args = ()
    node.label = ""
    node._group = None
    if anomaly:
        _check_anomaly(node, [x, y])
    return node


def record(op: ops.Op, args: tuple[Any, ...], datas: list[Any]) -> Value:
    """``apply(op, *args)`` for a caller that already holds the arguments' data, in order.

    A layer that reads its weights as one block of their buffer, and its inputs' data once
    for all its neurons, makes each neuron's node with it: the same forward on the same
    numbers, without reading every argument again.

    Example:
        >>> from autograd_core import ops
        >>> w = Value(2.0); record(ops.DOT, (w, 3.0), [2.0, 3.0]).data
        6.0
    """
    node = Value.__new__(Value)
    node._data = op.forward(*datas)
    node._grad = None
    grad_enabled, anomaly = _modes()
    if grad_enabled:
        node._fn = op
        node._args = args
    else:
        node._fn = None
        node._args = ()
    node.label = ""
    node._group = None
    if anomaly:
        _check_anomaly(node, datas)
    return node


def _op_chain(node: Value, limit: int = 8) -> str:
    """'log <- sub <- mul (node x)': the ops that led to ``node``, following first parents."""
    names = []
    while node is not None and len(names) < limit:
        names.append(node.op or (f"leaf {excerpt(node.label)}" if node.label else "leaf"))
        node = next((a for a in node._args if isinstance(a, Value)), None)
    return " <- ".join(names)


def _check_anomaly(node: Value, datas: list[Any]) -> None:
    if np.all(np.isfinite(node._data)):
        return
    culprit = (
        "inputs were already non-finite" if not all(np.all(np.isfinite(d)) for d in datas) else "from finite inputs"
    )
    bad = ops.describe(node._data, ~np.isfinite(node._data))
    raise AnomalyError(f"detect_anomaly: {node.op} produced {bad} ({culprit}); op chain: {_op_chain(node)}")


class Value:
    """A scalar (or laned) node of a computational graph.

    Parameters:
        data: a number, or a 1-D array (one lane per sample of a mini-batch).
        _children, _op: micrograd's hand-made node (its inputs and its op's name); give it a
            ``_backward`` closure (see ``autograd_core.closure``).
        label: a name shown in reprs, errors and graph pictures.

    Gradients accumulate into leaves across ``backward()`` calls, as in PyTorch: clear them
    with ``zero_grad(root)`` or a Module's ``zero_grad()``. Equality (``==``) and hashing are
    by identity so Values work in sets, dicts and ``in`` tests; ``<``, ``<=``, ``>``, ``>=``
    compare ``data``.

    Example:
        >>> v = Value(3, label="v")
        >>> v, (v * v).op, (v * v).parents == (v, v)
        (Value(data=3.0, grad=0.0, label='v'), '*', True)
    """

    # _group: (DotRows, row) for the dot nodes of a fused layer (autograd_core.fused), else None
    # _data: the slot behind the checked ``data`` property; the engine reads and writes it directly
    __slots__ = ("_args", "_data", "_fn", "_grad", "_group", "label")
    __array_ufunc__ = None  # `ndarray * Value` must reach Value.__rmul__, not NumPy broadcasting

    def __init__(self, data: Any, _children: Any = (), _op: str = "", label: str = "") -> None:
        if type(_children) is str:  # Value(data, "name"): the label, its place before micrograd's signature
            _children, label = (), _children
        self._data = as_data(data)
        self._grad = None
        self._fn = None
        self._args = ()
        self.label = label
        self._group = None
        if _children:
            self._adopt(_children, _op)

    def _adopt(self, children: Any, op: str) -> None:
        """micrograd's ``Value(data, _children, _op)``: a node whose backward is its ``_backward``."""
        kids = tuple(dict.fromkeys(children))  # each child once, as micrograd's set of _prev
        for k in kids:
            if not isinstance(k, Value):
                raise OperandTypeError(
                    f"Value(data, _children, _op): _children must be Values (the node's inputs), got {type(k).__name__}"
                )
        if _modes()[0]:  # under no_grad a leaf, as every op's result
            self._args = kids
            self._fn = ClosureOp(str(op) or "custom", self)

    # --- attributes ---------------------------------------------------------------------

    @property
    def data(self) -> Any:
        """The node's value: a float, or a 1-D float64 array with one lane per sample.

        Assigning checks the value as the constructor does, so ``x.data = "abc"`` raises
        ``OperandTypeError`` (a TypeError) at once; an int is stored as a float.

        Example:
            >>> v = Value(1.0); v.data = 2; v.data
            2.0
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value if type(value) is float else as_data(value, "Value.data")

    @property
    def grad(self) -> Any:
        """Gradient of the last ``backward()`` root with respect to this node (shape of data).

        Example:
            >>> x = Value(3.0); (x * x).backward(); x.grad
            6.0
        """
        g = self._grad
        if g is None:
            group = self._group
            if group is not None and len(group) == 3:  # a fused layer's member: its row of the layer's G
                g = group[0].row_grad(group[1])
                if g is not None:
                    return g
            return np.zeros(self._data.shape) if type(self._data) is ndarray else 0.0
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if (type(value) is float or type(value) is int) and value == 0:  # zero_grad's fast path
            self._grad = None
        elif isinstance(value, Value):
            self._grad = value
        else:
            value = as_data(value, "grad")
            if np.shape(value) != np.shape(self._data) and not (type(value) is float and value == 0.0):
                raise ShapeError(f"grad must have the shape of data {np.shape(self._data)}, got {np.shape(value)}")
            self._grad = None if type(value) is float and value == 0.0 else value

    @property
    def op(self) -> str:
        """Name of the op that made this node ('' for a leaf).

        Example:
            >>> (Value(1.0) * 2).op, Value(1.0).op
            ('*', '')
        """
        return self._fn.name if self._fn is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in argument order (constants left out).

        Example:
            >>> a = Value(1.0, label="a"); [p.label for p in (a * 2 + a).parents]
            ['', 'a']
        """
        return tuple(a for a in self._args if isinstance(a, Value))

    @property
    def op_args(self) -> tuple[Any, ...]:
        """Every argument of the op, Values and constants, in order (for drawing).

        Example:
            >>> (Value(1.0) * 2.0).op_args[1]
            2.0
        """
        return self._args

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the set of parents."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for the op."""
        return self.op

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node backward step: the closure assigned to a hand-made node, or
        the table's rule for this node's op (adding into its inputs' ``.grad``).

        Example:
            >>> x = Value(2.0); out = Value(x.data ** 2, (x,), "square")
            >>> def _backward():
            ...     x.grad += 2 * x.data * out.grad
            >>> out._backward = _backward
            >>> out.backward(); x.grad
            4.0
        """
        fn = self._fn
        if type(fn) is ClosureOp:
            return fn.closure or nothing
        return builtin_step(self) if self._args else nothing

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise OperandTypeError(f"_backward must be a function of no arguments, got {type(step).__name__}")
        if type(self._fn) is ClosureOp:
            self._fn.closure = step
        elif self._group is not None:
            raise OperandTypeError("_backward: this node is part of a fused layer; its backward cannot be replaced")
        else:  # a node of the table's ops (or a leaf) gets the user's step instead of the rule
            self._fn = ClosureOp(self.op, self, step)

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user rather than by an op (or made under no_grad).

        Example:
            >>> Value(1.0).is_leaf, (Value(1.0) + 1).is_leaf
            (True, False)
        """
        return not self._args

    @property
    def lanes(self) -> int | None:
        """Number of lanes, or None for a scalar Value.

        Example:
            >>> Value([1.0, 2.0, 3.0]).lanes, Value(1.0).lanes
            (3, None)
        """
        return self._data.shape[0] if type(self._data) is ndarray else None

    def __repr__(self) -> str:
        parts = [f"data={_short(self._data)}", f"grad={_short(self.grad)}"]
        if self._fn is not None:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        if type(self._data) is ndarray:
            raise ShapeError(
                f"float() of a Value with {self._data.shape[0]} lanes; reduce it with .sum() or .mean() first"
            )
        return self._data

    def item(self) -> float:
        """The number this Value holds, as a Python float (PyTorch's ``tensor.item()``).

        A laned Value has one number per lane: ``item()`` needs exactly one lane.

        Example:
            >>> (Value(2.0) * 3).item(), Value([4.0]).item()
            (6.0, 4.0)
        """
        if type(self.data) is ndarray:
            if self.data.shape[0] != 1:
                raise ShapeError(
                    f"item() of a Value with {self.data.shape[0]} lanes; reduce it with .sum() or .mean() first, "
                    f"or read .data"
                )
            return float(self.data[0])
        return float(self.data)

    # --- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Any) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Any) -> Value:
        return apply(ops.ADD, _operand(other, "+", self), self)

    def __sub__(self, other: Any) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Any) -> Value:
        return apply(ops.SUB, _operand(other, "-", self), self)

    def __mul__(self, other: Any) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Any) -> Value:
        return apply(ops.MUL, _operand(other, "*", self), self)

    def __truediv__(self, other: Any) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return apply(ops.DIV, _operand(other, "/", self), self)

    def __pow__(self, other: Any) -> Value:
        other = _operand(other, "**", self)
        if isinstance(other, Value):
            _check_positive_base(self._data, self)
        return apply(ops.POW, self, other)

    def __rpow__(self, other: Any) -> Value:
        other = _operand(other, "**", self)
        _check_positive_base(other, None)
        return apply(ops.POW, other, self)

    def __neg__(self) -> Value:
        return apply(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return apply(ops.ABS, self)

    # --- comparisons (on data; equality and hash stay identity-based) --------------------

    def __lt__(self, other: Any) -> Any:
        return _truth(self._data < _compare_data(other))

    def __le__(self, other: Any) -> Any:
        return _truth(self._data <= _compare_data(other))

    def __gt__(self, other: Any) -> Any:
        return _truth(self._data > _compare_data(other))

    def __ge__(self, other: Any) -> Any:
        return _truth(self._data >= _compare_data(other))

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # --- unary functions ----------------------------------------------------------------

    def exp(self) -> Value:
        """e**self.

        Example:
            >>> round(Value(1.0).exp().data, 6)
            2.718282
        """
        return apply(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; needs a positive input (else DomainError).

        Example:
            >>> Value(1.0).log().data
            0.0
        """
        return apply(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root; needs a non-negative input (else DomainError).

        Example:
            >>> Value(9.0).sqrt().data
            3.0
        """
        return apply(ops.SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent.

        Example:
            >>> Value(0.0).tanh().data
            0.0
        """
        return apply(ops.TANH, self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x), computed without overflow.

        Example:
            >>> Value(0.0).sigmoid().data, Value(-1000.0).sigmoid().data
            (0.5, 0.0)
        """
        return apply(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0); its derivative at 0 is taken as 0.

        Example:
            >>> Value(-2.0).relu().data, Value(3.0).relu().data
            (0.0, 3.0)
        """
        return apply(ops.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, slope * x otherwise.

        Example:
            >>> Value(-2.0).leaky_relu(0.1).data
            -0.2
        """
        if not isinstance(slope, numbers.Real):
            raise OperandTypeError(f"leaky_relu(): slope must be a number, got {type(slope).__name__}")
        return apply(ops.LEAKY_RELU, self, float(slope))

    def softplus(self) -> Value:
        """log(1 + e**x), computed without overflow.

        Example:
            >>> Value(1000.0).softplus().data
            1000.0
        """
        return apply(ops.SOFTPLUS, self)

    def abs(self) -> Value:
        """|x|; its derivative at 0 is taken as 0.

        Example:
            >>> Value(-2.0).abs().data, abs(Value(-2.0)).op
            (2.0, 'abs')
        """
        return apply(ops.ABS, self)

    def sin(self) -> Value:
        """Sine.

        Example:
            >>> Value(0.0).sin().data
            0.0
        """
        return apply(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine.

        Example:
            >>> Value(0.0).cos().data
            1.0
        """
        return apply(ops.COS, self)

    # --- lanes --------------------------------------------------------------------------

    def sum(self) -> Value:
        """Sum over lanes: a laned Value becomes a scalar (a scalar keeps its value).

        Example:
            >>> Value([1.0, 2.0]).sum().data
            3.0
        """
        return apply(ops.LANE_SUM, self)

    def mean(self) -> Value:
        """Mean over lanes: a laned Value becomes a scalar.

        Example:
            >>> Value([1.0, 2.0]).mean().data
            1.5
        """
        return apply(ops.LANE_MEAN, self)

    # --- graph --------------------------------------------------------------------------

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Fill in ``grad`` of every node this Value depends on (reverse-mode chain rule).

        Parameters:
            grad: the gradient to start from; defaults to 1.0 for a scalar Value. A laned
                Value needs it (or reduce it first with ``.sum()`` / ``.mean()``).
            create_graph: record the backward pass as Values so gradients can be
                differentiated again (Hessians, double backprop).

        Leaf gradients accumulate across calls (``+=``); intermediate nodes hold the
        gradient of the latest call.

        Example:
            >>> x = Value(3.0); y = x * x; y.backward(); x.grad
            6.0
        """
        from .graph import backward

        backward(self, grad, create_graph)

    def detach(self) -> Value:
        """A new leaf with the same data and no history (the data is shared, not copied).

        Example:
            >>> (Value(2.0) * 3).detach().is_leaf
            True
        """
        return Value(self._data, self.label)


def _short(x: Any) -> str:
    if isinstance(x, Value):
        return repr(x)
    if type(x) is ndarray:
        shown = ", ".join(f"{v:.4g}" for v in x[:3])
        more = ", ..." if x.shape[0] > 3 else ""
        return f"[{shown}{more}] ({x.shape[0]} lane{'s' if x.shape[0] != 1 else ''})"
    return repr(round(x, 4)) if abs(x) >= 1e-4 or x == 0 or x != x else f"{x:.4g}"


def _operand(other: Any, op: str, me: Value) -> Any:
    """Check and convert the other operand of a binary op; lanes must match in length."""
    if isinstance(other, Value):
        odata = other._data
    elif type(other) is float:
        return other
    else:
        if type(other) is str or not isinstance(other, (numbers.Real, np.ndarray)):
            raise OperandTypeError(f"{op}: unsupported operand type {type(other).__name__}; {_ACCEPTED}")
        other = odata = as_data(other, op)
    if type(odata) is ndarray and type(me._data) is ndarray and odata.shape != me._data.shape:
        raise ShapeError(f"{op}: lanes do not match, {me._data.shape[0]} lanes and {odata.shape[0]} lanes")
    return other


def _truth(result: Any) -> Any:
    """A plain bool for scalars (NumPy scalars compare to np.bool_), an array of bools for lanes."""
    return bool(result) if type(result) is np.bool_ else result


def _compare_data(other: Any) -> Any:
    if isinstance(other, Value):
        return other._data
    if isinstance(other, (numbers.Real, np.ndarray)):
        return other
    raise OperandTypeError(f"cannot compare a Value with {type(other).__name__}")


def _check_positive_base(base: Any, node: Value | None) -> None:
    """A Value exponent needs a positive base: d(a**b)/db = a**b * log(a)."""
    if np.all(np.asarray(base) > 0):
        return
    where = f" ({_node_name(node)})" if node is not None and node.label else ""
    raise DomainError(
        f"** with a Value exponent needs a positive base (its derivative in the exponent is "
        f"out * log(base)), got base {ops.describe(base, np.asarray(base) <= 0)}{where}; use a number exponent"
    )
