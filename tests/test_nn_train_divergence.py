"""Runaway numbers: inputs too large for float64 are refused, a non-finite loss, gradient or
update stops training with DivergenceError, and no NumPy RuntimeWarning escapes (issue 14.2)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import MLP
from nn.data import make_moons, standardize
from nn.errors import ConfigError
from nn.estimators import MLPClassifier, MLPRegressor
from nn.train import MAX_ABS_INPUT, DivergenceError, check_scale, fit


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@settings(max_examples=25)
@given(
    st.floats(1e-3, 1e308),
    st.sampled_from(["sgd", "adam", "rmsprop"]),
    st.sampled_from(["mse", "bce_with_logits", "hinge"]),
)
def test_fit_ends_finite_or_raises_divergence(lr, optimizer, loss):
    X, y = make_moons(16, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    try:
        h = fit(model, X, y, loss=loss, optimizer=optimizer, lr=lr, epochs=3, batch_size=8, progress=False)
    except DivergenceError as err:
        assert "smaller learning rate" in str(err)
        return
    assert np.all(np.isfinite(h.loss))
    assert all(np.isfinite(p.data) for p in model.parameters())


@pytest.mark.parametrize(
    ("optimizer", "what"), [("sgd", "the loss became nan"), ("adam", "the update made a weight -inf")]
)
def test_huge_learning_rate_names_what_diverged(optimizer, what):
    X, y = make_moons(20, noise=0.1, seed=0)
    with pytest.raises(DivergenceError, match=what):
        fit(MLP(2, [16, 16, 1], seed=0), X, y, loss="bce_with_logits", optimizer=optimizer, lr=1e308, progress=False)


@settings(max_examples=20)
@given(st.floats(100.01, 307.0), st.sampled_from([1, -1]))
def test_inputs_beyond_the_limit_are_refused_with_a_hint(exponent, sign):
    X = np.array([[0.5, 1.0], [sign * 10.0**exponent, 0.0], [1.0, 1.0]])
    with pytest.raises(ConfigError, match="standardise"):
        fit(MLP(2, [2, 1], seed=0), X, [0, 1, 0], loss="bce_with_logits", progress=False)
    with pytest.raises(ConfigError, match="standardise"):
        MLPClassifier((2,), max_iter=1).fit(X, [0, 1, 0])
    with pytest.raises(ConfigError, match="y reaches"):
        MLPRegressor((2,), max_iter=1).fit(X[:, 1:] * 0, X[:, 0])


def test_check_scale_limit_and_non_finite():
    check_scale(np.array([MAX_ABS_INPUT, -MAX_ABS_INPUT]), "X", "t")
    with pytest.raises(ConfigError, match=r"X reaches 1e\+300"):
        check_scale(np.array([1.0, 1e300]), "X", "t")
    with pytest.raises(ConfigError, match=r"holds nan at index \[1\]"):
        check_scale(np.array([1.0, np.nan]), "X", "t")


def test_estimators_raise_divergence_not_a_silent_nan():
    X, y = make_moons(20, noise=0.1, seed=0)
    with pytest.raises(DivergenceError, match="MLPRegressor"):
        MLPRegressor((8,), learning_rate_init=1e308, solver="sgd", max_iter=3).fit(X, y)
    with pytest.raises(DivergenceError, match="MLPClassifier"):
        MLPClassifier((8,), learning_rate_init=1e308, max_iter=3).fit(X, y)


@settings(max_examples=20)
@given(st.floats(0.0, 307.5))
def test_standardize_any_scale_is_finite_mean_0_std_1(exponent):
    X, _ = make_moons(30, noise=0.2, seed=1)
    Xs, mean, std = standardize(X * 10.0**exponent)
    assert np.all(np.isfinite(Xs)) and np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert np.allclose(Xs.mean(axis=0), 0.0, atol=1e-9) and np.allclose(Xs.std(axis=0), 1.0, rtol=1e-9)
