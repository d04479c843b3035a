"""User-defined ops: ``define_op`` makes a row of the same kind as those of ``ops.py``.

A user's op is an ``ops.Op``: a name, a forward on raw data (floats or NumPy lanes), and one
derivative rule per input written like the table's, ``rule(g, out, *inputs)``. The engine
treats it exactly as a built-in op: it works on floats, lanes and Values, records one node
that draws under its name, and differentiates again with ``backward(create_graph=True)``
(the rules then receive Values, so write them with ``autograd_core``'s ``exp``, ``log``,
``tanh``, ``sigmoid``, ... rather than ``math``'s, which only take floats).

Example:
    >>> from autograd_core import Value, define_op, sigmoid
    >>> swish = define_op("swish", lambda x: x * sigmoid(x),
    ...                   lambda g, out, x: g * (out + sigmoid(x) * (1 - out)))
    >>> x = Value(1.0, label="x"); y = swish(x); y.backward()
    >>> y.op, round(y.data, 6), round(x.grad, 6)
    ('swish', 0.731059, 0.927671)
    >>> round(swish(1.0), 6)                     # plain numbers in, a plain number out
    0.731059
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from . import ops
from .errors import AutogradError, DomainError, OpDefinitionError, OperandTypeError, ShapeError, excerpt, excerpt_text
from .value import Value, apply, as_data

ndarray = np.ndarray
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_NAMES = "xyzuvw"


class UserOp:
    """The function ``define_op`` returns: call it on numbers, lanes or Values.

    ``op`` is its row (an ``ops.Op``); ``name`` and ``arity`` say what it is.

    Example:
        >>> from autograd_core import define_op
        >>> double = define_op("double", lambda x: 2.0 * x, lambda g, out, x: 2.0 * g)
        >>> double, double.arity, double(3.0)
        (define_op('double', 1 input), 1, 6.0)
    """

    def __init__(self, op: ops.Op, arity: int, doc: str) -> None:
        self.op = op
        self.name = op.name
        self.arity = arity
        self.__name__ = op.name
        self.__doc__ = doc
        self._what = f"{excerpt_text(op.name)}()"  # how errors name the op

    def __call__(self, *args: Any) -> Any:
        if len(args) != self.arity:
            s = "" if self.arity == 1 else "s"
            raise OperandTypeError(f"{self._what} takes {self.arity} input{s}, got {len(args)}")
        what = self._what
        items = [a if isinstance(a, Value) else as_data(a, what) for a in args]
        lanes = {d.shape[0] for d in (a._data if isinstance(a, Value) else a for a in items) if type(d) is ndarray}
        if len(lanes) > 1:
            shown = " and ".join(f"{n} lanes" for n in sorted(lanes))
            raise ShapeError(f"{what}: lanes do not match, got {shown}")
        if any(isinstance(a, Value) for a in items):
            return apply(self.op, *items)
        return self.op.forward(*items)

    def __repr__(self) -> str:
        s = "" if self.arity == 1 else "s"
        return f"define_op({self.name!r}, {self.arity} input{s})"


def define_op(name: str, forward: Callable[..., Any], *derivatives: Callable[..., Any]) -> UserOp:
    """A new op from its forward and one derivative rule per input, like a row of ``ops.py``.

    Parameters:
        name: the op's name, shown in reprs, errors and pictures (not a built-in op's name).
        forward: ``forward(*inputs)`` on raw data: floats, or 1-D NumPy arrays of lanes.
        derivatives: one ``rule(g, out, *inputs)`` per input, returning that input's share of
            the upstream gradient ``g`` (``out`` is the op's output). Rules run on floats, on
            lanes, and on Values under ``backward(create_graph=True)``.

    Returns:
        A function of ``len(derivatives)`` inputs (numbers, lanes or Values); on Values it
        records one graph node whose ``op`` is ``name``.

    Example:
        >>> from autograd_core import Value, define_op, log
        >>> xlogy = define_op("xlogy", lambda x, y: x * log(y),
        ...                   lambda g, out, x, y: g * log(y), lambda g, out, x, y: g * x / y)
        >>> x, y = Value(2.0), Value(3.0); xlogy(x, y).backward()
        >>> round(x.grad, 6), round(y.grad, 6)
        (1.098612, 0.666667)
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise OpDefinitionError(f"define_op: the name must be an identifier such as 'swish', got {excerpt(name)}")
    if name in ops.TABLE:
        raise OpDefinitionError(f"define_op: {excerpt(name)} is a built-in op; choose another name")
    if not callable(forward):
        raise OperandTypeError(f"define_op({excerpt(name)}): forward must be a function, got {type(forward).__name__}")
    if not derivatives:
        raise OpDefinitionError(
            f"define_op({excerpt(name)}): give one derivative rule per input, rule(g, out, *inputs)"
        )
    arity = len(derivatives)
    for i, rule in enumerate(derivatives):
        if not callable(rule):
            raise OperandTypeError(
                f"define_op({excerpt(name)}): derivative rule {i} must be a function, got {type(rule).__name__}"
            )
        _check_arity(name, rule, 2 + arity, f"derivative rule {i}", f"(g, out, {_inputs_text(arity)})")
    _check_arity(name, forward, arity, "forward", f"({_inputs_text(arity)}), one argument per derivative rule")
    row = ops.Op(
        name,
        _checked_forward(name, forward),
        rules=tuple(_checked_rule(name, i, rule) for i, rule in enumerate(derivatives)),
    )
    doc = (forward.__doc__ or "").strip() or f"The user-defined op {name!r} ({arity} input(s))."
    return UserOp(row, arity, doc)


def _inputs_text(arity: int) -> str:
    return ", ".join(_NAMES[i] if i < len(_NAMES) else f"x{i}" for i in range(arity))


def _check_arity(name: str, fn: Callable[..., Any], n: int, what: str, expected: str) -> None:
    """Refuse a function that cannot take ``n`` positional arguments (when its signature says so)."""
    try:
        inspect.signature(fn).bind(*range(n))
    except TypeError:
        raise OpDefinitionError(f"define_op({excerpt(name)}): {what} must take {n} argument(s) {expected}") from None
    except ValueError:  # a builtin without a signature: it will say so when called
        pass


def _describe_inputs(xs: tuple[Any, ...], bad: Any = None) -> str:
    return ", ".join(ops.describe(x, bad) if type(x) in (float, ndarray) else repr(x) for x in xs)


def _checked_forward(name: str, forward: Callable[..., Any]) -> Callable[..., Any]:
    """The user's forward, with the checks of a built-in one: a clear DomainError, the right shape."""
    shown = excerpt_text(name)  # a name is an identifier, but of any length

    def run(*xs: Any) -> Any:
        try:
            out = forward(*xs)
        except AutogradError as err:
            if isinstance(err, DomainError):
                raise DomainError(f"{shown}(): {err}") from None
            raise
        except (ArithmeticError, ValueError) as err:
            raise DomainError(f"{shown}() failed at input {_describe_inputs(xs)}: {excerpt_text(err)}") from None
        if isinstance(out, Value):
            raise OperandTypeError(
                f"{shown}(): forward returned a Value; it receives raw numbers or lanes and must return one"
            )
        try:
            out = as_data(out, f"{shown}() forward result")
        except AutogradError as err:
            raise type(err)(f"{err}") from None
        lanes = next((x.shape for x in xs if type(x) is ndarray), None)
        if lanes is not None and type(out) is not ndarray:
            out = np.full(lanes, out)  # a constant forward on lanes: one value per lane
        elif lanes is not None and out.shape != lanes:
            raise ShapeError(f"{shown}(): forward returned {out.shape[0]} lanes for inputs of {lanes[0]} lanes")
        elif lanes is None and type(out) is ndarray:
            raise ShapeError(f"{shown}(): forward returned {out.shape[0]} lanes for scalar inputs")
        finite = np.isfinite(out)
        if not np.all(finite) and all(np.all(np.isfinite(x)) for x in xs):
            bad = ~finite if type(out) is ndarray else None
            raise DomainError(
                f"{shown}() is not finite ({ops.describe(out, bad)}) at input {_describe_inputs(xs, bad)}"
            )
        return out

    run.__name__ = name
    return run


def _checked_rule(name: str, i: int, rule: Callable[..., Any]) -> Callable[..., Any]:
    """The user's derivative rule, with a clear error when it fails or returns something unusable."""
    shown = excerpt_text(name)

    def run(g: Any, out: Any, *xs: Any) -> Any:
        try:
            share = rule(g, out, *xs)
        except AutogradError:
            raise
        except (ArithmeticError, FloatingPointError) as err:
            raise DomainError(f"{shown}: derivative rule {i} failed ({excerpt_text(err)})") from None
        except TypeError as err:
            if isinstance(g, Value) or any(isinstance(x, Value) for x in (out, *xs)):
                raise OperandTypeError(
                    f"{shown}: derivative rule {i} does not accept Values, which backward(create_graph=True) "
                    f"passes ({excerpt_text(err)}); write it with autograd_core's exp, log, tanh, sigmoid, ... "
                    f"instead of math's"
                ) from None
            raise OperandTypeError(f"{shown}: derivative rule {i} failed: {excerpt_text(err)}") from None
        if type(share) is float or type(share) is ndarray or isinstance(share, Value):
            return share
        if isinstance(share, (int, float, np.number)) and not isinstance(share, bool):
            return float(share)
        raise OperandTypeError(
            f"{shown}: derivative rule {i} returned {type(share).__name__}; it must return a number, lanes or a Value"
        )

    run.__name__ = f"{name}_rule{i}"
    return run
