"""Function transformations in JAX's shape: ``grad(f)`` returns a function.

``f`` receives Values for the differentiated arguments (numbers and 1-D arrays are wrapped in
fresh leaves) and returns a scalar Value.

Example:
    >>> from autograd_core import grad, hessian
    >>> grad(lambda x, y: x * y + x.exp())(1.0, 2.0)  # d/dx = y + e**x
    4.718281828459045
    >>> hessian(lambda x, y: x * y, argnums=(0, 1))(1.0, 2.0)
    [[0.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import DomainError, GradcheckError, OperandTypeError, ShapeError, excerpt
from .graph import enable_grad, no_grad
from .value import Value, as_data

ndarray = np.ndarray
Argnums = int | Sequence[int]


def _argnums(argnums: Argnums, nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not isinstance(i, int) or not -nargs <= i < nargs:
            raise OperandTypeError(f"argnums: {excerpt(i)} is not the index of one of the {nargs} arguments")
    return tuple(i % nargs for i in nums)


def _leaves(args: Sequence[Any], nums: tuple[int, ...]) -> tuple[list[Any], list[Value]]:
    """Wrap the differentiated arguments in fresh leaves. The other numbers and arrays become
    Values too (so ``f`` may call Value methods on any argument); anything else passes through."""
    call = list(args)
    for i, arg in enumerate(args):
        if i in nums or isinstance(arg, (Value, numbers.Real, np.ndarray)):
            data = arg._data if isinstance(arg, Value) else as_data(arg, f"argument {i}")
            call[i] = Value(data, label=f"arg{i}")
    return call, [call[i] for i in nums]


def _recording(run: Callable[..., Any]) -> Callable[..., Any]:
    """Differentiate even when called inside ``no_grad()``."""

    @functools.wraps(run)
    def recorded(*args: Any) -> Any:
        with enable_grad():
            return run(*args)

    return recorded


def _scalar(out: Any, what: str) -> Any:
    if isinstance(out, Value) and type(out._data) is ndarray:
        raise ShapeError(f"{what}: the function returned {out._data.shape[0]} lanes; reduce with .sum() or .mean()")
    return out


def _shape(leaf: Value, g: Any) -> Any:
    if g is None:
        return np.zeros(leaf._data.shape) if type(leaf._data) is ndarray else 0.0
    return g._data if isinstance(g, Value) else g


def _pack(values: list[Any], argnums: Argnums, kind: type = tuple) -> Any:
    return values[0] if isinstance(argnums, int) else kind(values)


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., tuple[float, Any]]:
    """Like ``grad``, but the returned function gives ``(f(*args), gradients)``.

    Example:
        >>> value_and_grad(lambda x: x * x)(3.0)
        (9.0, 6.0)
    """

    @_recording
    def run(*args: Any) -> tuple[float, Any]:
        call, leaves = _leaves(args, _argnums(argnums, len(args)))
        out = _scalar(f(*call), "value_and_grad")
        if not isinstance(out, Value):
            return float(out), _pack([_shape(leaf, None) for leaf in leaves], argnums)
        out.backward()
        return out._data, _pack([_shape(leaf, leaf._grad) for leaf in leaves], argnums)

    return run


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of scalar ``f`` with respect to the arguments ``argnums``, as a function.

    An int ``argnums`` gives one gradient, a tuple gives a tuple of them.

    Example:
        >>> dx, dy = grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
        >>> dx, dy
        (4.0, 3.0)
    """
    value_and_grad_f = value_and_grad(f, argnums)
    return lambda *args: value_and_grad_f(*args)[1]


def jacobian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., list[Any]]:
    """Jacobian of a function that returns a list of scalar Values: one row of numbers per output.

    With an int ``argnums`` each row is one number; with a tuple, one number per argument.

    Example:
        >>> jacobian(lambda x, y: [x * y, x + y], argnums=(0, 1))(2.0, 3.0)
        [[3.0, 2.0], [1.0, 1.0]]
    """

    @_recording
    def run(*args: Any) -> list[Any]:
        call, leaves = _leaves(args, _argnums(argnums, len(args)))
        outs = f(*call)
        outs = [outs] if isinstance(outs, Value) else list(outs)
        rows = []
        for out in outs:
            out = _scalar(out, "jacobian")
            for leaf in leaves:
                leaf._grad = None
            if isinstance(out, Value):
                out.backward()
            rows.append(_pack([_shape(leaf, leaf._grad) for leaf in leaves], argnums, list))
        return rows

    return run


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Matrix of second derivatives of scalar ``f`` (double backprop through create_graph).

    An int ``argnums`` gives one number; a tuple gives a nested list ``H[i][j]``.

    Example:
        >>> hessian(lambda x: x ** 3)(2.0)  # 6x
        12.0
    """

    @_recording
    def run(*args: Any) -> Any:
        call, leaves = _leaves(args, _argnums(argnums, len(args)))
        for leaf in leaves:
            if type(leaf._data) is ndarray:
                raise ShapeError("hessian: arguments must be scalars, not lanes")
        out = _scalar(f(*call), "hessian")
        if not isinstance(out, Value):
            firsts: list[Any] = [None] * len(leaves)
        else:
            out.backward(create_graph=True)
            firsts = [leaf._grad for leaf in leaves]
        rows = []
        for first in firsts:
            for leaf in leaves:
                leaf._grad = None
            if isinstance(first, Value):
                first.backward()
            rows.append(_pack([_shape(leaf, leaf._grad) for leaf in leaves], argnums, list))
        return _pack(rows, argnums, list)

    return run


def _evaluate(f: Callable[..., Any], args: Sequence[Any]) -> float:
    with no_grad():
        out = _scalar(f(*[Value(a) for a in args]), "numerical_grad")
    return float(out._data if isinstance(out, Value) else out)


def numerical_grad(f: Callable[..., Any], *args: Any, eps: float = 1e-6) -> list[Any]:
    """Central finite differences (f(x + eps) - f(x - eps)) / 2 eps for every argument.

    Arguments may be numbers or 1-D arrays (each lane is nudged in turn). ``eps`` must be a
    finite number > 0 (``DomainError`` otherwise, ``OperandTypeError`` for a non-number) and
    large enough for every argument: when float64 rounds x + eps and x - eps so that they are
    more than 1% away from 2 eps apart, the quotient would be noise, and ``DomainError`` says
    the smallest eps that works.

    Example:
        >>> [round(d, 6) for d in numerical_grad(lambda x, y: x * y, 3.0, 4.0)]
        [4.0, 3.0]
    """
    eps = _check_eps(eps)
    values = [as_data(a, f"argument {i}") for i, a in enumerate(args)]
    for i, v in enumerate(values):
        _check_step(v, eps, i)
    grads: list[Any] = []
    for i, v in enumerate(values):
        if type(v) is ndarray:
            g = np.empty_like(v)
            for lane in range(v.shape[0]):
                up, down = v.copy(), v.copy()
                up[lane] += eps
                down[lane] -= eps
                g[lane] = _difference(f, values, i, up, down, eps)
            grads.append(g)
        else:
            grads.append(_difference(f, values, i, v + eps, v - eps, eps))
    return grads


def _check_eps(eps: Any) -> float:
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real):
        raise OperandTypeError(f"numerical_grad: eps must be a number, got {type(eps).__name__}")
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise DomainError(f"numerical_grad: eps must be a finite number > 0, got {excerpt(eps)}")
    return eps


def _check_step(v: Any, eps: float, i: int) -> None:
    """Refuse an eps that float64 cannot add to ``v`` faithfully (the step would be rounding noise)."""
    with np.errstate(over="ignore", invalid="ignore"):
        step = (v + eps) - (v - eps)
        bad = ~(np.abs(step - 2 * eps) <= 0.01 * 2 * eps)
    if np.any(bad):
        x = float(v[np.flatnonzero(bad)[0]]) if type(v) is ndarray else float(v)
        where = f"argument {i}" + (f", lane {int(np.flatnonzero(bad)[0])}" if type(v) is ndarray else "")
        if not math.isfinite(x):
            raise DomainError(f"numerical_grad: {where} is {x}; finite differences need finite arguments")
        need = 100 * float(np.spacing(abs(x)))
        raise DomainError(
            f"numerical_grad: eps={eps:g} is too small for {where} = {x:g}: float64 rounds x +/- eps, "
            f"so the difference would be noise; use eps >= {need:.2g}"
        )


def _difference(f: Callable[..., Any], values: list[Any], i: int, up: Any, down: Any, eps: float) -> float:
    f_up = _evaluate(f, [*values[:i], up, *values[i + 1 :]])
    f_down = _evaluate(f, [*values[:i], down, *values[i + 1 :]])
    step = float(np.sum(up - down)) if type(up) is ndarray else up - down  # 2 eps as float64 rounded it
    return (f_up - f_down) / step


def gradcheck(
    f: Callable[..., Any],
    args: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-8,
    rtol: float = 1e-6,
) -> bool:
    """Check ``f``'s analytic gradients against central differences; True or GradcheckError.

    Passes where ``|analytic - numeric| <= atol + rtol * |numeric|`` for every argument.

    Example:
        >>> gradcheck(lambda x, y: (x * y).tanh(), (0.3, -0.7))
        True
    """
    args = list(args)
    analytic = grad(f, argnums=tuple(range(len(args))))(*args)
    numeric = numerical_grad(f, *args, eps=eps)
    rows, ok = [], True
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=False)):
        close = bool(np.all(np.abs(np.asarray(a) - n) <= atol + rtol * np.abs(n)))
        ok &= close
        verdict = "ok" if close else "MISMATCH"
        rows.append(f"  arg {i}: analytic {np.round(a, 10)!s:>24}  numeric {np.round(n, 10)!s:>24}  {verdict}")
    if not ok:
        raise GradcheckError(
            "gradcheck failed (atol={}, rtol={}, eps={}):\n{}".format(atol, rtol, eps, "\n".join(rows))
        )
    return True
