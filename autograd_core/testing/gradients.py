"""Gradients against central differences: ``assert_grads_close`` for any function, ``check_op`` for an op.

Example:
    >>> from autograd_core.testing import assert_grads_close
    >>> assert_grads_close(lambda x, y: (x * y).tanh() + x.exp(), 0.3, -0.7)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..define import UserOp, _inputs_text
from ..errors import DomainError, GradcheckError, excerpt, excerpt_text
from ..functional import grad, hessian, numerical_grad
from ..value import Value, as_data
from .network import SetupError

ndarray = np.ndarray
Domain = tuple[float, float] | st.SearchStrategy[float]


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def assert_grads_close(
    f: Callable[..., Any], *args: Any, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5
) -> None:
    """Check ``f``'s engine gradients against central differences at ``args``; AssertionError if not close.

    ``f`` takes Values (one per argument: a number, or a 1-D array of lanes) and returns a
    scalar Value. An entry passes where ``|analytic − numeric| ≤ atol + rtol·|numeric|``; on
    failure the ``GradcheckError`` (an ``AssertionError``) holds a table of every entry.

    Example:
        >>> assert_grads_close(lambda x: (x * x).sum(), [1.0, 2.0])
        >>> try:
        ...     assert_grads_close(lambda x: x.tanh().data * x, 0.5)   # .data cuts the graph
        ... except AssertionError as err:
        ...     print(str(err).splitlines()[0])
        assert_grads_close: 1 of 1 gradient entries differ from central differences (atol=1e-06, rtol=1e-05)
    """
    if not args:
        raise SetupError("assert_grads_close(f, *args) needs at least one argument to differentiate")
    datas = [as_data(a, f"argument {i}") for i, a in enumerate(args)]
    analytic = grad(f, argnums=tuple(range(len(datas))))(*datas)
    numeric = numerical_grad(f, *datas, eps=eps)
    rows, bad = [], 0
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a_arr, n_arr = np.atleast_1d(np.asarray(a, dtype=np.float64)), np.atleast_1d(np.asarray(n, dtype=np.float64))
        for k in range(a_arr.shape[0]):
            diff = abs(a_arr[k] - n_arr[k])
            ok = bool(diff <= atol + rtol * abs(n_arr[k]))
            bad += not ok
            where = f"arg {i}" + (f"[{k}]" if type(datas[i]) is ndarray else "")
            rows.append((where, _fmt(a_arr[k]), _fmt(n_arr[k]), f"{diff:.2e}", "ok" if ok else "WRONG"))
    if bad:
        head = ("entry", "engine", "central diff", "|diff|", "")
        widths = [max(len(r[c]) for r in [head, *rows]) for c in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [head, *rows]]
        raise GradcheckError(
            f"assert_grads_close: {bad} of {len(rows)} gradient entries differ from central differences "
            f"(atol={atol:g}, rtol={rtol:g})\n  " + "\n  ".join(lines)
        )


# --- check_op -------------------------------------------------------------------------------


def _domains(domain: Any, n: int) -> list[tuple[st.SearchStrategy[float], tuple[float, float] | None]]:
    """One (strategy, bounds) per input from a (lo, hi) pair, a strategy, or a list of either."""
    items = list(domain) if isinstance(domain, list) else [domain] * n
    if len(items) != n:
        raise SetupError(f"check_op: {len(items)} domains for an op of {n} inputs")
    out = []
    for d in items:
        if isinstance(d, st.SearchStrategy):
            out.append((d, None))
            continue
        try:
            lo, hi = (float(v) for v in d)
        except (TypeError, ValueError):
            raise SetupError(
                f"check_op: a domain is (low, high) or a hypothesis strategy, got {excerpt(d, 40)}"
            ) from None
        if not lo < hi:
            raise SetupError(f"check_op: a domain needs low < high, got ({lo}, {hi})")
        inset = (hi - lo) * 1e-3  # room for the finite-difference steps on both sides
        floats = st.floats(lo + inset, hi - inset, allow_nan=False, allow_subnormal=False)
        out.append((floats, (lo, hi)))
    return out


def _step(x: float, bounds: tuple[float, float] | None, rel: float) -> float:
    h = rel * max(1.0, abs(x))
    if bounds is not None:  # stay inside the domain on both sides
        h = min(h, (x - bounds[0]) / 2, (bounds[1] - x) / 2)
    return h


def _where(names: list[str], point: Sequence[float]) -> str:
    return ", ".join(f"{n} = {x!r}" for n, x in zip(names, point))


def _close(a: float, n: float, scale: float, atol: float, rtol: float) -> bool:
    return abs(a - n) <= atol * max(1.0, scale) + rtol * max(abs(a), abs(n))


def check_op(
    op: Callable[..., Any],
    domain: Domain | list[Domain] = (-3.0, 3.0),
    *,
    arity: int | None = None,
    second_order: bool = True,
    lanes: bool = True,
    max_examples: int = 100,
    step: float = 1e-5,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> None:
    """Property-test an op's derivatives against central differences, at points hypothesis draws.

    Checks, at every drawn point: each first derivative (the op's rules) against central
    differences of its forward; with ``second_order``, every second derivative (the rules
    differentiated again through ``backward(create_graph=True)``) against central differences
    of the first derivatives; with ``lanes``, that lanes give what the same points give one by
    one. A failure raises ``GradcheckError`` (an ``AssertionError``) at the simplest failing
    point hypothesis finds, naming the rule, the input, the point, and both numbers.

    Parameters:
        op: a ``define_op`` op, or any function of Values (give ``arity`` then).
        domain: ``(low, high)`` for every input, a hypothesis strategy of floats, or a list
            with one per input. Keep it off the op's kinks and singularities.
        max_examples: points to try; step: the relative finite-difference step; atol, rtol:
            the tolerance (atol scaled by the size of the function's value).

    Example:
        >>> from autograd_core import define_op, sigmoid
        >>> swish = define_op("swish", lambda x: x * sigmoid(x),
        ...                   lambda g, out, x: g * sigmoid(x))          # wrong: forgot a term
        >>> try:
        ...     check_op(swish, max_examples=20)
        ... except AssertionError as err:
        ...     print(str(err).splitlines()[0])
        check_op: swish's derivative rule for input x (d swish/dx, first order) is wrong at x = 1.0
    """
    n = op.arity if isinstance(op, UserOp) else (arity or 1)
    name = excerpt_text(op.name if isinstance(op, UserOp) else getattr(op, "__name__", "op"))
    names = _inputs_text(n).split(", ")
    doms = _domains(domain, n)
    point = st.tuples(*(s for s, _ in doms))
    extra = st.lists(point, min_size=1, max_size=3) if lanes else st.just([])
    config = dict(atol=atol, rtol=rtol, step=step)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(point, extra)
    def run(xs: tuple[float, ...], more: list[tuple[float, ...]]) -> None:
        _check_point(op, name, names, xs, [b for _, b in doms], second_order, **config)
        if more:
            _check_lanes(op, name, names, [xs, *more])

    run()


def _floats_of(op: Callable[..., Any]) -> Callable[..., float]:
    def f(*xs: float) -> float:
        out = op(*xs)
        return float(out.data if type(out) is Value else out)

    return f


def _first(op: Callable[..., Any], n: int) -> Callable[..., tuple[float, ...]]:
    g = grad(lambda *vs: op(*vs), argnums=tuple(range(n)))
    return lambda *xs: tuple(float(v) for v in g(*xs))


def _check_point(
    op: Callable[..., Any],
    name: str,
    names: list[str],
    xs: tuple[float, ...],
    bounds: list[tuple[float, float] | None],
    second_order: bool,
    atol: float,
    rtol: float,
    step: float,
) -> None:
    n = len(xs)
    f = _floats_of(op)
    where = _where(names, xs)
    try:
        value = f(*xs)
        first = _first(op, n)(*xs)
    except DomainError as err:
        raise GradcheckError(f"check_op: {name} fails inside the given domain at {where}: {err}") from None
    hs = [_step(x, b, step) for x, b in zip(xs, bounds)]

    def nudged(i: int, h: float) -> tuple[float, ...]:
        return tuple(x + h if k == i else x for k, x in enumerate(xs))

    for i in range(n):
        numeric = (f(*nudged(i, hs[i])) - f(*nudged(i, -hs[i]))) / (2 * hs[i])
        if not _close(first[i], numeric, abs(value), atol, rtol):
            raise GradcheckError(
                f"check_op: {name}'s derivative rule for input {names[i]} (d {name}/d{names[i]}, first order) "
                f"is wrong at {where}\n"
                f"  rule {i} gives          {_fmt(first[i])}\n"
                f"  central differences   {_fmt(numeric)}   (step {hs[i]:.2g})\n"
                f"  reproduce: {name}'s rule {i}(g=1.0, out={_fmt(value)}, {where})"
            )
    if not second_order:
        return
    H = hessian(lambda *vs: op(*vs), argnums=tuple(range(n)))(*xs)
    d1 = _first(op, n)
    scale = max(abs(v) for v in first)
    for j in range(n):
        up, down = d1(*nudged(j, hs[j])), d1(*nudged(j, -hs[j]))
        for i in range(n):
            numeric = (up[i] - down[i]) / (2 * hs[j])
            if not _close(H[i][j], numeric, scale, atol, rtol):
                wrt = f"d{names[i]}²" if i == j else f"d{names[i]} d{names[j]}"
                raise GradcheckError(
                    f"check_op: {name}'s second derivative d²{name}/{wrt} is wrong at {where}\n"
                    f"  rule {i} differentiated in {names[j]} (backward(create_graph=True)) gives {_fmt(H[i][j])}\n"
                    f"  central differences of the first derivative give          {_fmt(numeric)}\n"
                    f"  The rule's value is right (first order passed), so the graph it builds is not: "
                    f"it must compute on its Value inputs with autograd_core's ops (exp, tanh, sigmoid, ...), "
                    f"never through .data, float() or math.*"
                )


def _check_lanes(op: Callable[..., Any], name: str, names: list[str], points: list[tuple[float, ...]]) -> None:
    n = len(points[0])
    cols = [Value(np.array([p[i] for p in points])) for i in range(n)]
    out = op(*cols)
    out.sum().backward()
    f, d1 = _floats_of(op), _first(op, n)
    for lane, p in enumerate(points):
        one, grads = f(*p), d1(*p)
        if not np.isclose(out.data[lane], one, rtol=1e-9, atol=1e-12):
            raise GradcheckError(
                f"check_op: {name} on lanes gives {_fmt(out.data[lane])} in lane {lane}, "
                f"but {_fmt(one)} on floats at {_where(names, p)}"
            )
        for i in range(n):
            if not np.isclose(cols[i].grad[lane], grads[i], rtol=1e-9, atol=1e-12):
                raise GradcheckError(
                    f"check_op: {name}'s rule {i} on lanes gives {_fmt(cols[i].grad[lane])} in lane {lane}, "
                    f"but {_fmt(grads[i])} on floats at {_where(names, p)}"
                )
