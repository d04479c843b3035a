"""autograd_core.testing: check_op catches a wrong derivative and one wrong only at second order."""

import numpy as np
import pytest
from hypothesis import given, settings

import autograd_core as ag
from autograd_core import GradcheckError, Value, define_op, ops, sigmoid
from autograd_core.testing import assert_grads_close, check_op, engine_gradients, expressions
from nn import reference

swish = define_op("swish", lambda x: x * sigmoid(x), lambda g, out, x: g * (out + sigmoid(x) * (1 - out)))


def test_check_op_passes_correct_ops():
    check_op(swish, domain=(-5, 5), max_examples=20)
    check_op(ag.tanh, max_examples=10)


def test_check_op_catches_a_wrong_first_derivative():
    bad = define_op("bad_swish", lambda x: x * sigmoid(x), lambda g, out, x: g * sigmoid(x))
    with pytest.raises(GradcheckError, match=r"rule for input x .*first order\) is wrong at x ="):
        check_op(bad, max_examples=20)


def test_check_op_catches_an_op_right_only_at_first_order():
    # the rule reads out's raw number: right as a value, but its graph is cut
    detached = define_op("mytanh", ag.tanh, lambda g, out, x: g * (1.0 - ops.data_of(out) ** 2))
    check_op(detached, max_examples=10, second_order=False)
    with pytest.raises(GradcheckError, match=r"second derivative d²mytanh/dx² is wrong"):
        check_op(detached, max_examples=20)


def test_assert_grads_close_table():
    assert_grads_close(lambda x, w: (x * w).tanh().sum(), np.array([0.5, -1.0]), 0.3)
    with pytest.raises(GradcheckError, match=r"arg 0\[1\]"):
        assert_grads_close(lambda x: (x * x.data).sum(), np.array([0.5, -1.0]))


@settings(max_examples=25)
@given(expressions(n_inputs=2, max_ops=6))
def test_expressions_agree_on_floats_values_and_lanes(e):
    out = e(*[Value(a) for a in e.lanes])
    for k, p in enumerate(e.points):
        assert float(np.atleast_1d(out.data)[k]) == pytest.approx(e(*p), rel=1e-12, abs=1e-12)


def test_engine_gradients_match_the_numpy_reference():
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(3, 2)), rng.normal(size=(2, 3))]
    bs = [rng.normal(size=(3, 1)), rng.normal(size=(2, 1))]
    X = rng.normal(size=(2, 5))
    Y = rng.normal(size=(2, 5))
    J, dWs, dbs = engine_gradients(Ws, bs, ["tanh", "sigmoid"], X, Y, "mse")
    ref, rW, rb = reference.gradients_from_weights(Ws, [b[:, 0] for b in bs], ["tanh", "sigmoid"], X.T, Y.T, "mse")
    np.testing.assert_allclose(J, ref, rtol=1e-12)
    for a, b in zip(dWs, rW):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    for a, b in zip(dbs, rb):
        np.testing.assert_allclose(a[:, 0], b, rtol=1e-10)
