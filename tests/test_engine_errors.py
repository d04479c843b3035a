"""Every error path: the exception type (and its builtin base) and what the message says."""

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import (
    AnomalyError,
    AutogradError,
    DomainError,
    GradcheckError,
    OperandTypeError,
    ShapeError,
    Value,
    detect_anomaly,
    gradcheck,
    ops,
)
from autograd_core.value import apply


def message(exc_type, fn, *fragments):
    """Run fn, expect exc_type, check every fragment appears in the message; return it."""
    with pytest.raises(exc_type) as info:
        fn()
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert isinstance(info.value, AutogradError)
    return text


# --- DomainError ---------------------------------------------------------------------------------


def test_domain_error_is_a_value_error():
    assert issubclass(DomainError, ValueError) and issubclass(ShapeError, ValueError)
    assert issubclass(OperandTypeError, TypeError) and issubclass(AnomalyError, ValueError)
    assert issubclass(GradcheckError, AssertionError)


def test_log_and_sqrt_outside_domain():
    text = message(DomainError, lambda: Value(-2.0, label="x").log())
    assert text == "log() needs a positive input, got -2.0 (node 'x')"
    message(DomainError, lambda: Value(0.0).log(), "log()", "positive", "0.0")
    message(DomainError, lambda: ag.log(-1.0), "log()", "-1.0")
    text = message(DomainError, lambda: Value(-4.0, label="s").sqrt())
    assert text == "sqrt() needs a non-negative input, got -4.0 (node 's')"
    message(DomainError, lambda: Value([1.0, -3.0, 2.0], label="xs").log(), "log()", "-3.0 in lane 1 of 3", "'xs'")
    message(DomainError, lambda: Value([1.0, 2.0, -0.5]).sqrt(), "sqrt()", "-0.5 in lane 2 of 3")
    message(DomainError, lambda: Value(float("nan")).log(), "log()", "nan")


def test_division_by_zero():
    a, b = Value(1.0, label="a"), Value(0.0, label="b")
    message(DomainError, lambda: a / b, "/ divides by zero", "0.0", "node 'a'", "node 'b'")
    message(DomainError, lambda: a / 0, "/ divides by zero")
    message(DomainError, lambda: 1.0 / Value(0.0, label="d"), "divides by zero", "node 'd'")
    message(DomainError, lambda: a / Value([1.0, 0.0]), "divides by zero", "lane 1 of 2")
    message(DomainError, lambda: Value([1.0, 2.0]) / np.array([2.0, 0.0]), "divides by zero", "lane 1 of 2")


def test_pow_domain():
    x = Value(-2.0, label="x")
    message(DomainError, lambda: x**0.5, "**", "non-negative base", "-2.0", "0.5", "node 'x'")
    message(DomainError, lambda: Value([1.0, -8.0]) ** (1 / 3), "non-negative base", "-8.0 in lane 1 of 2")
    message(DomainError, lambda: Value(0.0, label="z") ** -1, "** divides by zero", "0.0", "node 'z'")
    message(DomainError, lambda: Value([0.0, 1.0]) ** -2.0, "divides by zero")
    message(DomainError, lambda: Value(10.0, label="big") ** 400, "overflows", "node 'big'")
    assert (x**2).data == 4.0 and (x**-1).data == -0.5  # integer exponents are fine


def test_pow_with_value_exponent_needs_positive_base():
    k = Value(2.0, label="k")
    message(DomainError, lambda: Value(-2.0, label="b") ** k, "positive base", "-2.0", "node 'b'", "log")
    message(DomainError, lambda: Value(0.0) ** k, "positive base", "0.0")
    message(DomainError, lambda: (-2) ** k, "positive base", "-2.0")
    message(DomainError, lambda: 0**k, "positive base")
    message(DomainError, lambda: np.array([2.0, -1.0]) ** k, "positive base", "-1.0 in lane 1 of 2")
    message(DomainError, lambda: Value([2.0, 0.0]) ** k, "positive base", "lane 1 of 2")


def test_exp_overflow():
    message(DomainError, lambda: Value(1000.0, label="x").exp(), "exp() overflows", "1000.0", "node 'x'", "logsumexp")
    message(DomainError, lambda: Value([0.0, 800.0]).exp(), "exp() overflows", "800.0 in lane 1 of 2")
    assert Value(709.0).exp().data == math.exp(709.0)  # just below the limit
    assert Value(-1000.0).exp().data == 0.0  # underflow is fine


def test_non_finite_derivative_in_backward():
    x = Value(0.0, label="x")
    y = x.sqrt()
    assert y.data == 0.0  # the forward is fine
    message(DomainError, y.backward, "sqrt", "not finite", "0.0", "leaf 'x'")
    xs = Value([4.0, 0.0, 1.0], label="xs")
    message(DomainError, xs.sqrt().sum().backward, "sqrt", "not finite", "0.0 in lane 1 of 3", "leaf 'xs'")
    ys = Value([4.0, 1.0, 0.0])
    message(DomainError, (ys**0.5).sum().backward, "**", "not finite", "0.0 in lane 2 of 3")
    message(DomainError, lambda: (Value(0.0, label="z") ** 0.5).backward(), "**", "not finite", "leaf 'z'")


# --- OperandTypeError ---------------------------------------------------------------------------

ACCEPTED = "a Value, a number (int or float) or a 1-D NumPy array"


@pytest.mark.parametrize("bad", ["2", [1.0, 2.0], None, 1j, {"a": 1}, (1.0,)], ids=repr)
def test_operand_type_errors_name_the_type_and_accepted_types(bad):
    v = Value(1.0)
    name = type(bad).__name__
    for fn in (
        lambda: v + bad,
        lambda: bad + v,
        lambda: v * bad,
        lambda: bad * v,
        lambda: v - bad,
        lambda: bad - v,
        lambda: v / bad,
        lambda: v**bad,
    ):
        message(OperandTypeError, fn, name, ACCEPTED)


@pytest.mark.parametrize("bad", ["1.5", None, 1j, object()], ids=repr)
def test_value_constructor_rejects_non_numbers(bad):
    message(OperandTypeError, lambda: Value(bad), type(bad).__name__, ACCEPTED)


@pytest.mark.parametrize(
    "bad",
    [
        ["a", "b"],
        np.array(["1", "2"]),
        np.array([1 + 2j]),
        [1j, 2.0],
        [None, 1.0],
        np.array([Value(1.0)], dtype=object),
    ],
    ids=["str list", "str array", "complex array", "complex list", "None in list", "object array"],
)
def test_lanes_must_be_real_numbers(bad):
    with pytest.raises(OperandTypeError, match="lanes must be numbers"):
        Value(bad)
    with pytest.raises(OperandTypeError):
        Value(1.0) * (bad if isinstance(bad, np.ndarray) else np.array(bad, dtype=object))


def test_other_type_errors():
    message(OperandTypeError, lambda: Value(1.0) < "a", "cannot compare", "str")
    message(OperandTypeError, lambda: Value(1.0).leaky_relu("0.1"), "slope", "str")
    message(OperandTypeError, lambda: ag.grad(lambda x: x, argnums=2)(1.0), "argnums", "2")


# --- ShapeError -----------------------------------------------------------------------------------


def test_shape_errors():
    a, b = Value([1.0, 2.0]), Value([1.0, 2.0, 3.0])
    message(ShapeError, lambda: a + b, "lanes do not match", "2 lanes and 3 lanes")
    message(ShapeError, lambda: a * np.array([1.0, 2.0, 3.0]), "lanes do not match")
    message(ShapeError, lambda: np.array([1.0, 2.0, 3.0]) - a, "lanes do not match")
    message(ShapeError, lambda: Value([[1.0, 2.0]]), "1-D", "(1, 2)")
    message(ShapeError, lambda: Value(np.zeros((2, 2))), "1-D", "(2, 2)")
    message(ShapeError, lambda: a + np.ones((2, 1)), "1-D")
    message(ShapeError, lambda: Value([]), "empty")
    message(ShapeError, lambda: a * np.array([]), "empty")
    message(ShapeError, lambda: a.backward(), "2 lanes", "grad=", ".sum()", ".mean()")
    message(ShapeError, lambda: a.backward(grad=np.ones(3)), "shape")
    message(ShapeError, lambda: float(a), "2 lanes", ".sum()")
    message(ShapeError, lambda: ag.dot([Value(1.0)], [1.0, 2.0]), "dot()", "1 weights and 2 inputs")
    message(ShapeError, lambda: ag.dot([], []), "dot()")
    message(ShapeError, lambda: ag.mean_values([]), "mean_values()")
    message(ShapeError, lambda: ag.logsumexp([]), "logsumexp()")
    message(ShapeError, lambda: ag.sum_values([a, b]), "lanes do not match", "2 lanes and 3 lanes")
    message(ShapeError, lambda: ag.maximum(a, b), "lanes do not match")


def test_sum_values_start_may_be_lanes():
    w = Value(2.0)
    s = ag.sum_values([w, w], start=np.array([1.0, -1.0]))
    assert np.array_equal(s.data, [5.0, 3.0])
    s.sum().backward()
    assert w.grad == 4.0


# --- detect_anomaly ----------------------------------------------------------------------------


def test_detect_anomaly_forward_inf_and_nan():
    x = Value(1e300, label="x")
    with detect_anomaly():
        text = message(AnomalyError, lambda: (x.tanh() + 1e308) * 10.0, "inf", "from finite inputs")
        assert "op chain: * <- + <- tanh <- leaf 'x'" in text
        message(AnomalyError, lambda: Value(float("inf"), label="i") * 0.0, "nan", "already non-finite", "leaf 'i'")
        with np.errstate(over="ignore"):  # NumPy would also warn about the overflow
            message(AnomalyError, lambda: Value([1.0, 1e300]) * 1e10, "inf in lane 1 of 2")
    # off again: the same overflow passes silently, like plain floats
    assert (x * 1e10).data == math.inf


def test_detect_anomaly_backward():
    x = Value(1e-320, label="x")  # sqrt(x) ~ 1e-160: forward finite, d/dx log(sqrt(x)) = 1/(2x) overflows
    y = x.sqrt().log()
    assert math.isfinite(y.data)
    with detect_anomaly():
        message(AnomalyError, y.backward, "backward through sqrt", "inf", "op chain: sqrt <- leaf 'x'")
    # NaN first: x**2 at 0 with upstream 1e308: g * k = inf, times 0**1 = nan
    x = Value(0.0, label="x")
    y = (x**2) * 1e308
    message(DomainError, y.backward, "gradient of node 'x' is nan", "detect_anomaly()")  # never silent
    x.grad = 0.0
    with detect_anomaly():
        message(AnomalyError, y.backward, "backward through **", "gradient of nan", "op chain: ** <- leaf 'x'")
    a, w = Value(1.0, label="a"), Value(0.0, label="w")
    z = (a * w) * 1e200 * 1e200  # forward 0; backward: inf reaches a*w, then inf * 0 = nan
    with detect_anomaly():
        message(AnomalyError, z.backward, "gradient of inf")


def test_detect_anomaly_is_off_by_default_and_restored():
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(float("inf")) - float("inf")
    assert math.isnan((Value(float("inf")) - float("inf")).data)


# --- gradcheck --------------------------------------------------------------------------------


def test_gradcheck_catches_a_wrong_rule():
    bad_square = ops.Op("bad_square", lambda x: x * x, rules=(lambda g, out, x: g * x,))  # should be 2 x
    good_square = ops.Op("square", lambda x: x * x, rules=(lambda g, out, x: 2.0 * g * x,))
    assert gradcheck(lambda x: apply(good_square, x), (1.5,))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: apply(bad_square, x) * y, (1.5, 2.0))
    text = str(info.value)
    assert "gradcheck failed" in text and "arg 0" in text and "MISMATCH" in text
    row0 = next(line for line in text.splitlines() if "arg 0" in line)
    row1 = next(line for line in text.splitlines() if "arg 1" in line)
    analytic, numeric = (float(row0.split(word)[1].split()[0]) for word in ("analytic", "numeric"))
    assert analytic == 3.0 and math.isclose(numeric, 6.0, rel_tol=1e-6)  # 1.5 * 2 vs the true 2 * 1.5 * 2
    assert row1.rstrip().endswith("ok")  # d/dy = 2.25 is right
    with pytest.raises(GradcheckError, match="MISMATCH"):  # also on lanes
        gradcheck(lambda x: apply(bad_square, x).sum(), (np.array([1.0, -2.0]),))


def test_gradcheck_catches_a_wrong_vjp():
    bad_sum = ops.Op("bad_sum", lambda *xs: sum(xs), vjp=lambda g, out, *xs: [g] + [2 * g] * (len(xs) - 1))
    with pytest.raises(GradcheckError, match="arg 1"):
        gradcheck(lambda a, b: apply(bad_sum, a, b), (0.5, 0.25))
