"""define_op: a user's op is a row of the table, so it behaves like a built-in one everywhere."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import (
    DomainError,
    OpDefinitionError,
    OperandTypeError,
    ShapeError,
    Value,
    define_op,
    hessian,
    sigmoid,
)
from viz import draw_dot, trace_backward

swish = define_op("swish", lambda x: x * sigmoid(x), lambda g, out, x: g * (out + sigmoid(x) * (1 - out)))
hypot = define_op(
    "hypot",
    lambda x, y: ag.sqrt(x * x + y * y),
    lambda g, out, x, y: g * x / out,
    lambda g, out, x, y: g * y / out,
)


def swish_math(x: float) -> float:
    return x / (1.0 + math.exp(-x))


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@settings(max_examples=30)
@given(st.floats(-6, 6))
def test_swish_on_floats_values_and_lanes(x):
    assert swish(x) == pytest.approx(swish_math(x), rel=1e-12, abs=1e-15)
    v = Value(x)
    y = swish(v)
    assert y.op == "swish" and y.parents == (v,)
    y.backward()
    assert v.grad == pytest.approx(central(swish_math, x), rel=1e-6, abs=1e-8)
    lanes = Value(np.array([x, -x, 0.5 * x]))
    out = swish(lanes)
    out.sum().backward()
    per_sample = []
    for xi in lanes.data:
        vi = Value(float(xi))
        swish(vi).backward()
        per_sample.append(vi.grad)
    np.testing.assert_allclose(lanes.grad, per_sample, rtol=1e-12, atol=1e-15)


@settings(max_examples=20)
@given(st.floats(-4, 4))
def test_swish_second_derivative_through_create_graph(x):
    d1 = lambda t: ag.grad(lambda v: swish(v))(t)
    assert hessian(lambda v: swish(v))(x) == pytest.approx(central(d1, x), rel=1e-5, abs=1e-7)


def test_two_input_op_with_a_constant_and_lanes():
    x = Value(3.0, label="x")
    out = hypot(x, 4.0)
    out.backward()
    assert out.data == 5.0 and x.grad == pytest.approx(0.6)
    a = Value(np.array([3.0, 5.0]))
    b = Value(np.array([4.0, 12.0]))
    hypot(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.6, 5 / 13])
    np.testing.assert_allclose(b.grad, [0.8, 12 / 13])
    h = hessian(lambda x, y: hypot(x, y), argnums=(0, 1))(3.0, 4.0)
    np.testing.assert_allclose(h, [[16 / 125, -12 / 125], [-12 / 125, 9 / 125]], rtol=1e-12)


def test_errors_like_the_built_in_ops():
    mylog = define_op("mylog", lambda x: ag.log(x), lambda g, out, x: g / x)
    with pytest.raises(DomainError, match=r"mylog\(\): log\(\) needs a positive input, got -1.0 \(node 'x'\)"):
        mylog(Value(-1.0, label="x"))
    with pytest.raises(DomainError, match=r"mylog\(\).*lane 1 of 2"):
        mylog(np.array([1.0, -1.0]))
    with pytest.raises(OperandTypeError, match=r"swish\(\): unsupported type str"):
        swish("2")
    with pytest.raises(OperandTypeError, match=r"hypot\(\) takes 2 inputs, got 1"):
        hypot(1.0)
    with pytest.raises(ShapeError, match="lanes do not match"):
        hypot(Value(np.ones(2)), np.ones(3))
    boom = define_op("boom", lambda x: math.exp(x), lambda g, out, x: g * out)
    with pytest.raises(DomainError, match=r"boom\(\) failed at input 1000.0"):
        boom(Value(1000.0))
    with pytest.raises(DomainError, match=r"big\(\) is not finite"):
        define_op("big", lambda x: x * 1e308, lambda g, out, x: g * 1e308)(Value(10.0))


def test_a_math_rule_is_refused_clearly_under_create_graph():
    cosine = define_op("cosine", math.cos, lambda g, out, x: -g * math.sin(x.data if isinstance(x, Value) else x))
    assert ag.grad(lambda v: cosine(v))(0.5) == pytest.approx(-math.sin(0.5))
    needs_float = define_op("needs_float", math.sin, lambda g, out, x: g * math.cos(x) if type(x) is float else {})
    with pytest.raises(OperandTypeError, match="derivative rule 0 returned dict"):
        hessian(lambda v: needs_float(v))(0.5)


@pytest.mark.parametrize(
    "args, match",
    [
        (("tanh", math.tanh, lambda g, out, x: g), "built-in op"),
        (("my op", math.tanh, lambda g, out, x: g), "identifier"),
        (("f", math.tanh), "one derivative rule per input"),
        (("f", lambda x: x, lambda g, x: g), r"rule 0 must take 3 argument\(s\) \(g, out, x\)"),
        (("f", lambda x: x, lambda g, o, x, y: g, lambda g, o, x, y: g), "forward must take 2"),
    ],
)
def test_bad_definitions_are_named(args, match):
    with pytest.raises(OpDefinitionError, match=match):
        define_op(*args)
    with pytest.raises(OperandTypeError, match="must be a function"):
        define_op("f", 3.0, lambda g, out, x: g)


def test_user_op_draws_under_its_name_and_replays_step_by_step():
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    z = x * w
    z.label = "z"
    a = swish(z)
    a.label = "a"
    assert "swish" in draw_dot(a).source
    steps = trace_backward(a)
    assert steps[0].caption.startswith("swish: its define_op rule")
    assert steps[0].grads[z] == pytest.approx(ag.grad(lambda t: swish(t))(-1.0))
    assert steps[-1].grads[x] == pytest.approx(-2.0 * steps[0].grads[z])


def test_user_op_under_no_grad_and_anomaly_mode():
    with ag.no_grad():
        assert swish(Value(1.0)).is_leaf
    with ag.detect_anomaly():
        assert swish(Value(1.0)).op == "swish"
