"""Second derivatives (backward(create_graph=True) then backward on the gradient), hessian,
jacobian, grad with int / tuple argnums, value_and_grad.

Expected values are analytic second derivatives written out by hand; the hand formulas of the
Hessian test are themselves checked against central differences of the plain-float function.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import ShapeError, Value, grad, hessian, jacobian, value_and_grad


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def signed(lo, hi):
    return st.builds(lambda m, neg: -m if neg else m, floats(lo, hi), st.booleans())


def close(actual, expected, rel=1e-10, abs_=1e-12):
    return bool(np.allclose(actual, expected, rtol=rel, atol=abs_))


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# op, first derivative, second derivative, domain (all hand-derived)
UNARY2 = {
    "neg": (lambda v: -v, lambda x: -1.0, lambda x: 0.0, floats(-10, 10)),
    "exp": (lambda v: v.exp(), math.exp, math.exp, floats(-20, 20)),
    "log": (lambda v: v.log(), lambda x: 1 / x, lambda x: -1 / x**2, floats(0.05, 100)),
    "sqrt": (lambda v: v.sqrt(), lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, floats(0.05, 100)),
    "tanh": (
        lambda v: v.tanh(),
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        floats(-5, 5),
    ),
    "sigmoid": (
        lambda v: v.sigmoid(),
        lambda x: _sig(x) * (1 - _sig(x)),
        lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
        floats(-20, 20),
    ),
    "softplus": (lambda v: v.softplus(), _sig, lambda x: _sig(x) * (1 - _sig(x)), floats(-20, 20)),
    "relu": (lambda v: v.relu(), lambda x: float(x > 0), lambda x: 0.0, signed(0.01, 10)),
    "leaky_relu": (lambda v: v.leaky_relu(0.3), lambda x: 1.0 if x > 0 else 0.3, lambda x: 0.0, signed(0.01, 10)),
    "abs": (lambda v: v.abs(), lambda x: math.copysign(1.0, x), lambda x: 0.0, signed(0.01, 10)),
    "sin": (lambda v: v.sin(), math.cos, lambda x: -math.sin(x), floats(-10, 10)),
    "cos": (lambda v: v.cos(), lambda x: -math.sin(x), lambda x: -math.cos(x), floats(-10, 10)),
    "square": (lambda v: v**2, lambda x: 2 * x, lambda x: 2.0, floats(-10, 10)),
    "cube": (lambda v: v**3, lambda x: 3 * x**2, lambda x: 6 * x, floats(-10, 10)),
    "pow 2.5": (lambda v: v**2.5, lambda x: 2.5 * x**1.5, lambda x: 3.75 * x**0.5, floats(0.05, 10)),
    "pow -1": (lambda v: v**-1, lambda x: -(x**-2), lambda x: 2 * x**-3, signed(0.2, 10)),
    "reciprocal": (lambda v: 1.0 / v, lambda x: -(x**-2), lambda x: 2 * x**-3, signed(0.2, 10)),
    "square by mul": (lambda v: v * v, lambda x: 2 * x, lambda x: 2.0, floats(-10, 10)),
    "rpow": (lambda v: 3.0**v, lambda x: 3.0**x * math.log(3), lambda x: 3.0**x * math.log(3) ** 2, floats(-4, 4)),
    "x ** x": (
        lambda v: v**v,
        lambda x: x**x * (math.log(x) + 1),
        lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x),
        floats(0.2, 3),
    ),
}


@pytest.mark.parametrize("name", list(UNARY2))
@given(data=st.data())
def test_second_derivative_on_floats(name, data):
    op, d1, d2, domain = UNARY2[name]
    x = data.draw(domain, label="x")
    v = Value(x, label="x")
    op(v).backward(create_graph=True)
    first = v.grad
    assert type(first) is Value  # the backward pass was recorded
    assert close(first.data, d1(x))
    v.grad = 0.0
    first.backward()
    assert close(v.grad, d2(x), rel=1e-9), (v.grad, d2(x))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "softplus", "sin", "cube", "pow -1", "x ** x"])
@given(data=st.data())
def test_second_derivative_on_lanes(name, data):
    """sum_j f(x_j) -> gradient f'(x_i) per lane -> gradient of sum_i f'(x_i) is f''(x_i)."""
    op, d1, d2, domain = UNARY2[name]
    xs = np.array(data.draw(st.lists(domain, min_size=1, max_size=5), label="xs"))
    v = Value(xs)
    op(v).sum().backward(create_graph=True)
    first = v.grad
    assert type(first) is Value and close(first.data, [d1(x) for x in xs])
    v.grad = 0.0
    first.sum().backward()
    assert close(v.grad, [d2(x) for x in xs], rel=1e-9)


@given(w=floats(-3, 3), xs=st.lists(floats(-3, 3), min_size=1, max_size=5))
def test_second_derivative_of_a_weight_through_lanes(w, xs):
    """L(w) = sum_i tanh(w x_i): dL/dw = sum x_i (1 - t_i**2); d2L/dw2 = sum -2 x_i**2 t_i (1 - t_i**2)."""
    wv = Value(w)
    (wv * np.array(xs)).tanh().sum().backward(create_graph=True)
    first = wv.grad
    t = np.tanh(w * np.array(xs))
    assert close(first.data, np.sum(np.array(xs) * (1 - t**2)))
    wv.grad = 0.0
    first.backward()
    assert close(wv.grad, np.sum(-2 * np.array(xs) ** 2 * t * (1 - t**2)), abs_=1e-10)


def test_second_derivative_of_pow_at_zero_base():
    """x**2 and x**1 at 0 must not evaluate 0**-1 on the way to the second derivative."""
    for k, d2 in ((2, 2.0), (1, 0.0), (3, 0.0)):
        assert hessian(lambda x, k=k: x**k)(0.0) == d2
    assert grad(lambda x: x**0)(0.0) == 0.0


# --- hessian ----------------------------------------------------------------------------------
# f = x y z + x**2 e**y + sin(x z) + y log z


def f_engine(x, y, z):
    return x * y * z + x**2 * ag.exp(y) + ag.sin(x * z) + y * ag.log(z)  # args may be plain floats


def f_float(x, y, z):
    return x * y * z + x**2 * math.exp(y) + math.sin(x * z) + y * math.log(z)


def grad_hand(x, y, z):
    return [
        y * z + 2 * x * math.exp(y) + z * math.cos(x * z),
        x * z + x**2 * math.exp(y) + math.log(z),
        x * y + x * math.cos(x * z) + y / z,
    ]


def hessian_hand(x, y, z):
    e, s, c = math.exp(y), math.sin(x * z), math.cos(x * z)
    hxx = 2 * e - z**2 * s
    hxy = z + 2 * x * e
    hxz = y + c - x * z * s
    hyy = x**2 * e
    hyz = x + 1 / z
    hzz = -(x**2) * s - y / z**2
    return [[hxx, hxy, hxz], [hxy, hyy, hyz], [hxz, hyz, hzz]]


def _fd(f, p, i, h=1e-6):
    up, down = list(p), list(p)
    up[i] += h
    down[i] -= h
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * h)


@given(x=floats(-2, 2), y=floats(-2, 2), z=floats(0.2, 3))
def test_hessian_of_multivariate_function(x, y, z):
    p = [x, y, z]
    # the hand formulas are themselves right: gradient vs f, Hessian vs gradient (independent FD)
    assert close(grad_hand(*p), [_fd(f_float, p, i) for i in range(3)], rel=1e-5, abs_=1e-5)
    H = np.array(hessian_hand(*p))
    assert close(H, np.array([_fd(grad_hand, p, i) for i in range(3)]).T, rel=1e-5, abs_=1e-5)
    # the engine
    H_engine = hessian(f_engine, argnums=(0, 1, 2))(*p)
    assert isinstance(H_engine, list) and all(isinstance(row, list) and len(row) == 3 for row in H_engine)
    assert close(H_engine, H, rel=1e-9, abs_=1e-10)
    assert close(grad(f_engine, argnums=(0, 1, 2))(*p), grad_hand(*p))
    # a sub-block and a single entry
    assert close(hessian(f_engine, argnums=(0, 2))(*p), [[H[0, 0], H[0, 2]], [H[2, 0], H[2, 2]]], abs_=1e-10)
    assert close(hessian(f_engine, argnums=1)(*p), H[1, 1], abs_=1e-10)
    assert close(hessian(f_engine, argnums=-1)(*p), H[2, 2], abs_=1e-10)


def test_hessian_docstring_shapes_and_linear_function():
    assert hessian(lambda x, y: x * y + x.exp(), argnums=(0, 1))(1.0, 2.0) == [[math.e, 1.0], [1.0, 0.0]]
    assert hessian(lambda x, y: x + 2 * y, argnums=(0, 1))(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda x: x)(3.0) == 0.0
    with pytest.raises(ShapeError, match="scalars"):
        hessian(lambda x: (x * x).sum())(np.array([1.0, 2.0]))


def test_double_backprop_gradient_penalty():
    """d/dw of (dL/dx)**2 for L = w x**2: dL/dx = 2 w x, penalty 4 w**2 x**2, d/dw = 8 w x**2."""
    w, x = Value(1.5), Value(-0.7)
    (w * x**2).backward(create_graph=True)
    penalty = x.grad**2
    w.grad, x.grad = 0.0, 0.0
    penalty.backward()
    assert close(penalty.data, 4 * 1.5**2 * 0.49)
    assert close(w.grad, 8 * 1.5 * 0.49)
    assert close(x.grad, 8 * 1.5**2 * -0.7)  # d/dx of 4 w**2 x**2


# --- grad, value_and_grad, jacobian ------------------------------------------------------------


@given(x=floats(-3, 3), y=floats(-3, 3))
def test_grad_argnums_int_tuple_negative(x, y):
    f = lambda a, b: a * b + ag.exp(a) + ag.sin(b)  # the other argument is a plain float
    dx, dy = b_val = (y + math.exp(x), x + math.cos(y))
    assert close(grad(f)(x, y), dx)
    assert close(grad(f, argnums=1)(x, y), dy)
    assert close(grad(f, argnums=-2)(x, y), dx)
    both = grad(f, argnums=(0, 1))(x, y)
    assert isinstance(both, tuple) and close(both, b_val)
    assert close(grad(f, argnums=(1,))(x, y), (dy,))
    value, g = value_and_grad(f, argnums=(1, 0))(x, y)
    assert close(value, x * y + math.exp(x) + math.sin(y))
    assert close(g, (dy, dx))
    value, g = value_and_grad(f)(x, y)
    assert type(value) is float and close(g, dx)


def test_grad_wraps_fresh_leaves_and_handles_lanes_and_constants():
    x = Value(2.0)
    assert grad(lambda a: a * a)(x) == 4.0
    assert x.grad == 0.0  # the caller's Value is not touched
    xs = np.array([1.0, -2.0, 3.0])
    assert np.array_equal(grad(lambda a: (a * a).sum())(xs), 2 * xs)
    assert grad(lambda a, b: a * 2.0, argnums=1)(1.0, 5.0) == 0.0  # unused argument
    assert value_and_grad(lambda a: 7.0)(1.0) == (7.0, 0.0)  # constant function
    assert grad(lambda a, b: a * b)(3, 4) == 4.0  # ints are fine
    with pytest.raises(ShapeError, match=r"\.sum\(\) or \.mean\(\)"):
        grad(lambda a: a * 2.0)(xs)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda a: a, argnums=3)(1.0)


@given(x=floats(-2, 2), y=signed(0.5, 3))
def test_jacobian(x, y):
    f = lambda a, b: [a * b, ag.sin(a) + b, a / b]
    expected = [[y, x], [math.cos(x), 1.0], [1 / y, -x / y**2]]
    J = jacobian(f, argnums=(0, 1))(x, y)
    assert isinstance(J, list) and all(isinstance(row, list) for row in J)
    assert close(J, expected)
    assert close(jacobian(f)(x, y), [row[0] for row in expected])
    assert close(jacobian(f, argnums=1)(x, y), [row[1] for row in expected])
    # independent: each column by central differences of the plain-float function
    f_float = lambda a, b: [a * b, math.sin(a) + b, a / b]
    fd = np.array([_fd(f_float, [x, y], i) for i in range(2)]).T
    assert close(J, fd, rel=1e-5, abs_=1e-6)
    # a single Value output is one row
    assert close(jacobian(lambda a: a * a)(x), [2 * x])


def test_functional_helpers_match_engine_numerical_grad():
    f = lambda a, b, c: ag.logsumexp([a * b, b.tanh(), c * c])
    args = (0.3, -1.2, 0.8)
    analytic = grad(f, argnums=(0, 1, 2))(*args)
    numeric = ag.numerical_grad(f, *args)
    assert close(analytic, numeric, rel=1e-6, abs_=1e-8)
    assert ag.gradcheck(f, args)
