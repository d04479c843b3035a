"""Every primitive and composite op: forward, and gradient against hand-derived formulas,
independent central differences on plain Python floats, and the engine's own gradcheck,
on floats and on lanes (1-D NumPy arrays).

The reference forwards below use only ``math`` / NumPy, never the engine, so a wrong forward,
a wrong derivative rule or a wrong lane reduction all show up as a mismatch.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, gradcheck

# --- independent helpers -------------------------------------------------------------------


def central_diff(f, xs, i, rel_step=1e-6):
    """d f / d xs[i] by central differences, with f evaluated on plain Python floats."""
    h = rel_step * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def close(actual, expected, rel=1e-12, abs_=1e-14):
    """Elementwise closeness that also works for floats; returns a bool for assert."""
    return bool(np.allclose(actual, expected, rtol=rel, atol=abs_))


def fd_close(actual, expected):
    """Tolerance for finite differences (truncation ~h**2, rounding ~1e-16/h)."""
    return close(actual, expected, rel=1e-5, abs_=1e-6)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def signed(lo, hi):
    """Magnitude in [lo, hi], either sign: keeps samples away from a kink at 0."""
    return st.builds(lambda m, neg: -m if neg else m, floats(lo, hi), st.booleans())


def lanes_of(elements, max_lanes=6):
    return st.lists(elements, min_size=1, max_size=max_lanes).map(lambda xs: np.array(xs, dtype=float))


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# --- unary ops: engine op, reference forward, first and second derivative, domain ------------
# The second derivatives are used by test_engine_higher_order.py's twin table as well.

UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, floats(-10, 10)),
    "pos": (lambda v: +v, lambda x: x, lambda x: 1.0, floats(-10, 10)),
    "exp": (lambda v: v.exp(), math.exp, math.exp, floats(-20, 20)),
    "log": (lambda v: v.log(), math.log, lambda x: 1 / x, floats(0.05, 100)),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), floats(0.05, 100)),
    "tanh": (lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2, floats(-5, 5)),
    "sigmoid": (lambda v: v.sigmoid(), _sig, lambda x: _sig(x) * (1 - _sig(x)), floats(-20, 20)),
    "softplus": (lambda v: v.softplus(), lambda x: math.log1p(math.exp(x)), _sig, floats(-20, 20)),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0), signed(0.01, 10)),
    "abs": (lambda v: v.abs(), abs, lambda x: math.copysign(1.0, x), signed(0.01, 10)),
    "abs()": (lambda v: abs(v), abs, lambda x: math.copysign(1.0, x), signed(0.01, 10)),
    "sin": (lambda v: v.sin(), math.sin, math.cos, floats(-10, 10)),
    "cos": (lambda v: v.cos(), math.cos, lambda x: -math.sin(x), floats(-10, 10)),
    "leaky_relu": (
        lambda v: v.leaky_relu(0.1),
        lambda x: x if x > 0 else 0.1 * x,
        lambda x: 1.0 if x > 0 else 0.1,
        signed(0.01, 10),
    ),
    "leaky_relu default": (
        lambda v: v.leaky_relu(),
        lambda x: x if x > 0 else 0.01 * x,
        lambda x: 1.0 if x > 0 else 0.01,
        signed(0.01, 10),
    ),
    "square": (lambda v: v**2, lambda x: x * x, lambda x: 2 * x, floats(-10, 10)),
    "cube": (lambda v: v**3, lambda x: x**3, lambda x: 3 * x * x, floats(-10, 10)),
    "pow -2": (lambda v: v**-2, lambda x: x**-2, lambda x: -2 * x**-3, signed(0.2, 5)),
    "pow 0.5": (lambda v: v**0.5, math.sqrt, lambda x: 0.5 * x**-0.5, floats(0.05, 100)),
    "pow 1.7": (lambda v: v**1.7, lambda x: x**1.7, lambda x: 1.7 * x**0.7, floats(0.05, 10)),
    "pow 0": (lambda v: v**0, lambda x: 1.0, lambda x: 0.0, floats(-10, 10)),
    "reciprocal": (lambda v: 1 / v, lambda x: 1 / x, lambda x: -1 / x**2, signed(0.2, 10)),
    "rsub": (lambda v: 3 - v, lambda x: 3 - x, lambda x: -1.0, floats(-10, 10)),
    "rpow": (lambda v: 2.5**v, lambda x: 2.5**x, lambda x: 2.5**x * math.log(2.5), floats(-5, 5)),
    "function exp": (ag.exp, math.exp, math.exp, floats(-20, 20)),
    "function tanh": (ag.tanh, math.tanh, lambda x: 1 - math.tanh(x) ** 2, floats(-5, 5)),
    "function leaky_relu": (
        lambda v: ag.leaky_relu(v, 0.2),
        lambda x: x if x > 0 else 0.2 * x,
        lambda x: 1.0 if x > 0 else 0.2,
        signed(0.01, 10),
    ),
    "lane sum": (lambda v: v.sum(), lambda x: x, lambda x: 1.0, floats(-10, 10)),
    "lane mean": (lambda v: v.mean(), lambda x: x, lambda x: 1.0, floats(-10, 10)),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary_gradient_on_floats(name, data):
    op, ref, dref, domain = UNARY[name]
    x = data.draw(domain, label="x")
    v = Value(x, label="x")
    y = op(v)
    assert type(y) is Value and type(y.data) is float
    assert close(y.data, ref(x)), (y.data, ref(x))
    y.backward()
    assert close(v.grad, dref(x), rel=1e-11), (v.grad, dref(x))  # hand-derived
    assert fd_close(v.grad, central_diff(ref, [x], 0))  # independent finite differences
    assert gradcheck(op, (x,), atol=1e-6, rtol=1e-5)  # the engine's own checker agrees


@pytest.mark.parametrize("name", [n for n in UNARY if not n.startswith("lane")])
@given(data=st.data())
def test_unary_gradient_on_lanes(name, data):
    op, ref, dref, domain = UNARY[name]
    xs = data.draw(lanes_of(domain), label="xs")
    v = Value(xs, label="x")
    y = op(v)
    assert type(y.data) is np.ndarray and y.data.shape == xs.shape and y.lanes == len(xs)
    assert close(y.data, [ref(x) for x in xs])
    y.sum().backward()  # each lane's output depends on that lane only
    assert v.grad.shape == xs.shape
    assert close(v.grad, [dref(x) for x in xs], rel=1e-11)
    assert fd_close(v.grad, [central_diff(ref, [x], 0) for x in xs])
    # the engine's numerical_grad differences the lane *sum*, so its rounding error scales with it
    atol = 1e-6 + 1e-8 * float(np.sum(np.abs(y.data)))
    assert gradcheck(lambda u: op(u).sum(), (xs,), atol=atol, rtol=1e-5)


@given(xs=lanes_of(floats(-10, 10), max_lanes=8))
def test_lane_sum_and_mean(xs):
    v = Value(xs)
    s = v.sum()
    assert type(s.data) is float and close(s.data, math.fsum(xs))
    s.backward()
    assert np.array_equal(v.grad, np.ones(len(xs)))
    v.grad = 0.0
    m = v.mean()
    assert close(m.data, math.fsum(xs) / len(xs))
    m.backward()
    assert close(v.grad, np.full(len(xs), 1.0 / len(xs)))


@given(x=floats(0.05, 5), k=floats(-3, 3))
def test_pow_with_any_number_exponent(x, k):
    v = Value(x)
    y = v**k
    assert close(y.data, x**k)
    y.backward()
    assert close(v.grad, k * x ** (k - 1), rel=1e-11)
    assert fd_close(v.grad, central_diff(lambda a: a**k, [x], 0))


@given(x=signed(0.2, 5), k=st.integers(-4, 4))
def test_pow_negative_base_integer_exponent(x, k):
    v = Value(x)
    y = v**k
    assert close(y.data, float(x) ** k)
    y.backward()
    assert close(v.grad, k * x ** (k - 1), rel=1e-11)
    assert fd_close(v.grad, central_diff(lambda a: a**k, [x], 0))


@given(x=signed(0.01, 10), slope=floats(0.0, 1.0))
def test_leaky_relu_any_slope(x, slope):
    v = Value(x)
    y = v.leaky_relu(slope)
    ref = lambda a: a if a > 0 else slope * a
    assert y.data == ref(x)
    y.backward()
    assert v.grad == (1.0 if x > 0 else slope)
    assert fd_close(v.grad, central_diff(ref, [x], 0, rel_step=1e-8))


# --- binary ops ------------------------------------------------------------------------------


def _separated():
    """Two floats at least 0.01 apart (maximum/minimum away from their kink)."""
    return st.tuples(floats(-10, 10), signed(0.01, 5)).map(lambda t: (t[0], t[0] + t[1]))


PAIR = st.tuples(floats(-10, 10), floats(-10, 10))

BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0), PAIR),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0), PAIR),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a), PAIR),
    "/": (
        lambda a, b: a / b,
        lambda a, b: a / b,
        lambda a, b: (1 / b, -a / b**2),
        st.tuples(floats(-10, 10), signed(0.5, 10)),
    ),
    "** Value exponent": (
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
        st.tuples(floats(0.2, 5), floats(-3, 3)),
    ),
    "maximum": (
        ag.maximum,
        max,
        lambda a, b: (float(a > b), float(b > a)),
        _separated(),
    ),
    "minimum": (
        ag.minimum,
        min,
        lambda a, b: (float(a < b), float(b < a)),
        _separated(),
    ),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_gradient_on_floats(name, data):
    op, ref, dref, domain = BINARY[name]
    x, y = data.draw(domain, label="x, y")
    a, b = Value(x, label="a"), Value(y, label="b")
    out = op(a, b)
    assert close(out.data, ref(x, y))
    out.backward()
    da, db = dref(x, y)
    assert close(a.grad, da, rel=1e-11) and close(b.grad, db, rel=1e-11), (a.grad, b.grad, da, db)
    assert fd_close(a.grad, central_diff(ref, [x, y], 0))
    assert fd_close(b.grad, central_diff(ref, [x, y], 1))
    assert gradcheck(op, (x, y), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_gradient_on_lanes(name, data):
    op, ref, dref, domain = BINARY[name]
    pairs = data.draw(st.lists(domain, min_size=1, max_size=6), label="pairs")
    xs, ys = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    a, b = Value(xs), Value(ys)
    out = op(a, b)
    assert close(out.data, [ref(x, y) for x, y in pairs])
    out.sum().backward()
    expected = [dref(x, y) for x, y in pairs]
    assert close(a.grad, [e[0] for e in expected], rel=1e-11)
    assert close(b.grad, [e[1] for e in expected], rel=1e-11)
    assert fd_close(b.grad, [central_diff(ref, [x, y], 1) for x, y in pairs])
    atol = 1e-6 + 1e-8 * float(np.sum(np.abs(out.data)))
    assert gradcheck(lambda u, w: op(u, w).sum(), (xs, ys), atol=atol, rtol=1e-5)


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_scalar_meets_lanes(name, data):
    """A float-valued Value (a weight) meeting lanes broadcasts; its gradient is the lane sum."""
    op, ref, dref, domain = BINARY[name]
    pairs = data.draw(st.lists(domain, min_size=1, max_size=6), label="pairs")
    w = pairs[0][0]  # the scalar takes the first lane's value so every pair stays in the domain
    ys = np.array([p[1] for p in pairs])
    if name in ("maximum", "minimum"):  # keep every lane at least 0.01 away from the weight
        ys = np.array([w + (y - x) for x, y in pairs])
    a, b = Value(w), Value(ys)
    out = op(a, b)
    assert out.lanes == len(ys)
    assert close(out.data, [ref(w, y) for y in ys])
    out.sum().backward()
    assert type(a.grad) is float
    assert close(a.grad, math.fsum(dref(w, y)[0] for y in ys), rel=1e-11)
    assert close(b.grad, [dref(w, y)[1] for y in ys], rel=1e-11)
    assert fd_close(a.grad, central_diff(lambda u: math.fsum(ref(u, y) for y in ys), [w], 0))


@given(x=floats(-10, 10))
def test_maximum_minimum_tie_splits_gradient_in_half(x):
    for fn in (ag.maximum, ag.minimum):
        a, b = Value(x), Value(x)
        out = fn(a, b)
        assert out.data == x
        out.backward()
        assert a.grad == 0.5 and b.grad == 0.5
        c = Value(x)
        fn(c, c).backward()  # both halves land on the same node
        assert c.grad == 1.0


def test_maximum_minimum_ties_per_lane_and_constants():
    a, b = Value([1.0, 2.0, 3.0]), Value([1.0, 5.0, 0.0])
    ag.maximum(a, b).sum().backward()
    assert np.array_equal(a.grad, [0.5, 0.0, 1.0]) and np.array_equal(b.grad, [0.5, 1.0, 0.0])
    a.grad, b.grad = 0.0, 0.0
    ag.minimum(a, b).sum().backward()
    assert np.array_equal(a.grad, [0.5, 1.0, 0.0]) and np.array_equal(b.grad, [0.5, 0.0, 1.0])
    w = Value(2.0)
    ag.maximum(w, np.array([1.0, 2.0, 3.0])).sum().backward()  # 1 + 1/2 + 0
    assert w.grad == 1.5
    assert ag.maximum(2.0, 3.0) == 3.0 and ag.minimum(2.0, 3.0) == 2.0  # plain numbers stay numbers


# --- reflected operators and NumPy operands ------------------------------------------------


@given(x=signed(0.5, 5), c=signed(0.5, 5))
def test_reflected_operators_with_numbers_on_the_left(x, c):
    cases = [
        (lambda v: c + v, c + x, 1.0),
        (lambda v: c - v, c - x, -1.0),
        (lambda v: c * v, c * x, c),
        (lambda v: c / v, c / x, -c / x**2),
        (lambda v: abs(c) ** v, abs(c) ** x, abs(c) ** x * math.log(abs(c))),
        (lambda v: round(c) + v, round(c) + x, 1.0),  # an int
        (lambda v: np.float64(c) * v, c * x, c),  # a NumPy scalar on the left too
    ]
    for fn, data, dx in cases:
        v = Value(x)
        y = fn(v)
        assert type(y) is Value
        assert close(y.data, data)
        y.backward()
        assert close(v.grad, dx, rel=1e-11)


@given(xs=lanes_of(signed(0.5, 5)), w=signed(0.5, 5))
def test_numpy_arrays_on_either_side(xs, w):
    """ndarray (op) Value and Value (op) ndarray are Values; the array is a constant."""
    ws = Value(w)
    cases = [
        (lambda v: xs + v, lambda v: v + xs, xs + w, np.ones_like(xs), np.ones_like(xs)),
        (lambda v: xs - v, lambda v: v - xs, xs - w, -np.ones_like(xs), np.ones_like(xs)),
        (lambda v: xs * v, lambda v: v * xs, xs * w, xs, xs),
        (lambda v: xs / v, lambda v: v / xs, xs / w, -xs / w**2, 1 / xs),
    ]
    for left, right, data, dleft, dright in cases:
        for fn, expected_data, dv in ((left, data, dleft), (right, None, dright)):
            ws.grad = 0.0
            y = fn(ws)
            assert type(y) is Value, type(y)
            assert y.lanes == len(xs)
            if expected_data is not None:
                assert close(y.data, expected_data)
            y.sum().backward()
            assert close(ws.grad, math.fsum(dv), rel=1e-11)
    k = Value(0.5)
    y = np.abs(xs) ** k  # array base, Value exponent: d/dk = out * log(base)
    assert type(y) is Value and close(y.data, np.abs(xs) ** 0.5)
    y.sum().backward()
    assert close(k.grad, math.fsum(np.abs(xs) ** 0.5 * np.log(np.abs(xs))), rel=1e-11)


@given(x=floats(0.2, 3), ks=lanes_of(floats(-3, 3)))
def test_value_to_the_power_of_an_array(x, ks):
    """Value ** ndarray: one lane per exponent; the scalar base gets the lane sum of k x**(k-1)."""
    v = Value(x)
    y = v**ks
    assert type(y) is Value and close(y.data, x**ks)
    y.sum().backward()
    assert close(v.grad, math.fsum(k * x ** (k - 1) for k in ks), rel=1e-11)


def test_numpy_scalar_times_value_is_a_value():
    v = Value(3.0)
    for left in (np.float64(2.0), np.float32(2.0), np.int64(2), np.array(2.0)):
        y = left * v
        assert type(y) is Value and y.data == 6.0
    y = np.array([1.0, 2.0]) * v
    assert type(y) is Value and np.array_equal(y.data, [3.0, 6.0])


def test_integer_and_bool_lanes_become_float64():
    v = Value(np.array([1, 2, 3]))
    assert v.data.dtype == np.float64
    y = v * np.array([True, False, True])
    assert np.array_equal(y.data, [1.0, 0.0, 3.0])


# --- many-input ops -------------------------------------------------------------------------


def _np_logsumexp(xs):
    m = max(xs)
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def _np_softmax(xs):
    e = np.exp(np.array(xs) - max(xs))
    return e / e.sum()


vectors = st.lists(floats(-5, 5), min_size=1, max_size=6)


@given(xs=vectors, start=floats(-3, 3))
def test_sum_values_and_mean_values(xs, start):
    vs = [Value(x) for x in xs]
    s = ag.sum_values(vs)
    assert s.op == "sum" and close(s.data, math.fsum(xs), abs_=1e-12)
    s.backward()
    assert [v.grad for v in vs] == [1.0] * len(xs)
    s0 = Value(start)
    s = ag.sum_values(vs, start=s0)
    assert close(s.data, math.fsum(xs) + start, abs_=1e-12)
    s.backward()
    assert s0.grad == 1.0 and [v.grad for v in vs] == [2.0] * len(xs)
    for v in vs:
        v.grad = 0.0
    m = ag.mean_values(vs)
    assert close(m.data, math.fsum(xs) / len(xs), abs_=1e-12)
    m.backward()
    assert close([v.grad for v in vs], [1 / len(xs)] * len(xs))
    assert gradcheck(lambda *a: ag.mean_values(a), xs, atol=1e-6, rtol=1e-5)


def test_sum_values_with_numbers_start_and_repeated_node():
    v = Value(2.0)
    s = ag.sum_values([v, 3, v, 1.5], start=10)
    assert s.data == 18.5
    s.backward()
    assert v.grad == 2.0
    assert ag.sum_values([]).data == 0.0


@given(ws=vectors, xs=vectors)
def test_dot(ws, xs):
    n = min(len(ws), len(xs))
    ws, xs = ws[:n], xs[:n]
    wv, xv = [Value(w) for w in ws], [Value(x) for x in xs]
    d = ag.dot(wv, xv)
    assert d.op == "dot" and close(d.data, float(np.dot(ws, xs)), abs_=1e-12)
    d.backward()
    assert [w.grad for w in wv] == xs and [x.grad for x in xv] == ws
    f = lambda *a: math.fsum(p * q for p, q in zip(a[:n], a[n:], strict=True))
    for i in range(2 * n):
        g = (wv + xv)[i].grad
        assert fd_close(g, central_diff(f, ws + xs, i))
    # weights against constant inputs (a neuron) and against lanes
    wv2 = [Value(w) for w in ws]
    lanes = [np.array([x, 2 * x, -x]) for x in xs]
    out = ag.dot(wv2, lanes)
    assert out.lanes == 3 and close(out.data, sum(w * lane for w, lane in zip(ws, lanes, strict=True)), abs_=1e-12)
    out.sum().backward()
    assert close([w.grad for w in wv2], [2 * x for x in xs], abs_=1e-12)


@given(xs=vectors)
def test_logsumexp(xs):
    vs = [Value(x) for x in xs]
    out = ag.logsumexp(vs)
    assert close(out.data, _np_logsumexp(xs))
    out.backward()
    assert close([v.grad for v in vs], _np_softmax(xs))  # d lse / d x_i = softmax_i
    for i, v in enumerate(vs):
        assert fd_close(v.grad, central_diff(lambda *a: _np_logsumexp(a), xs, i))
    assert gradcheck(lambda *a: ag.logsumexp(a), xs, atol=1e-6, rtol=1e-5)


def test_logsumexp_and_softmax_are_stable():
    out = ag.logsumexp([Value(1000.0), Value(1000.0)])
    assert close(out.data, 1000.0 + math.log(2.0))
    assert [p.data for p in ag.softmax([Value(1000.0), Value(-1000.0)])] == [1.0, 0.0]
    ls = ag.log_softmax([Value(1000.0), Value(0.0)])
    assert close(ls[1].data, -1000.0)


@given(xs=vectors, cs=st.lists(floats(-2, 2), min_size=6, max_size=6))
def test_softmax_and_log_softmax(xs, cs):
    """Gradient of the weighted sum c . softmax(x): s * (c - c.s); of c . log_softmax: c - s * sum(c)."""
    n = len(xs)
    cs = cs[:n]
    s = _np_softmax(xs)
    vs = [Value(x) for x in xs]
    probs = ag.softmax(vs)
    assert close([p.data for p in probs], s)
    assert close(math.fsum(p.data for p in probs), 1.0)
    ag.dot(cs, probs).backward()
    assert close([v.grad for v in vs], s * (np.array(cs) - np.dot(cs, s)), abs_=1e-13)
    f = lambda *a: float(np.dot(cs, _np_softmax(a)))
    assert fd_close([v.grad for v in vs], [central_diff(f, xs, i) for i in range(n)])

    vs = [Value(x) for x in xs]
    logs = ag.log_softmax(vs)
    assert close([p.data for p in logs], np.array(xs) - _np_logsumexp(xs))
    ag.dot(cs, logs).backward()
    assert close([v.grad for v in vs], np.array(cs) - s * sum(cs), abs_=1e-13)
    assert gradcheck(lambda *a: ag.dot(cs, ag.log_softmax(a)), xs, atol=1e-6, rtol=1e-5)


@given(rows=st.lists(st.lists(floats(-5, 5), min_size=3, max_size=3), min_size=1, max_size=5))
def test_many_input_ops_on_lanes_match_per_lane_reference(rows):
    """Each of 3 inputs is a laned Value (one lane per row); results and gradients per lane."""
    X = np.array(rows)  # lanes x 3
    cols = [Value(X[:, j].copy()) for j in range(3)]
    out = ag.logsumexp(cols)
    assert close(out.data, [_np_logsumexp(r) for r in rows])
    out.sum().backward()
    S = np.array([_np_softmax(r) for r in rows])
    for j in range(3):
        assert close(cols[j].grad, S[:, j])
    for j in range(3):
        cols[j].grad = 0.0
    probs = ag.softmax(cols)
    assert close(np.stack([p.data for p in probs], axis=1), S)
    ag.mean_values(cols).sum().backward()
    assert close(cols[0].grad, np.full(len(rows), 1 / 3))
    for j in range(3):
        cols[j].grad = 0.0
    # log_softmax per lane, weighted by (1, 2, 3): gradient c - s * sum(c) lane by lane
    ag.dot([1.0, 2.0, 3.0], ag.log_softmax(cols)).sum().backward()
    for j in range(3):
        assert close(cols[j].grad, (j + 1.0) - S[:, j] * 6.0, abs_=1e-13)
    # dot and sum_values with laned Values on both sides
    a, b = [Value(X[:, j].copy()) for j in range(3)], [Value(X[:, j] * 2 - 1) for j in range(3)]
    d = ag.dot(a, b)
    assert close(d.data, np.sum(X * (X * 2 - 1), axis=1))
    s = ag.sum_values([d, *a])
    s.sum().backward()
    for j in range(3):
        assert close(a[j].grad, X[:, j] * 2 - 1 + 1.0) and close(b[j].grad, X[:, j])


def test_composites_of_constants_only_are_plain_leaves():
    assert ag.sum_values([1.0, 2.0]).data == 3.0 and ag.sum_values([1.0, 2.0]).is_leaf
    assert ag.dot([1.0, 2.0], [3.0, 4.0]).data == 11.0
    assert ag.mean_values([1.0, 3.0]).data == 2.0
    assert close(ag.logsumexp([0.0, 0.0]).data, math.log(2.0))
