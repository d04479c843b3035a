"""fit's defaults a newcomer relies on: the loss picked from the targets, patience implying early stopping."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import MLP, fit, make_moons
from nn.errors import ConfigError
from nn.train import choose_loss

samples = st.integers(min_value=1, max_value=30)


@settings(max_examples=30, deadline=None)
@given(n=samples, seed=st.integers(0, 2**16), out=st.sampled_from(["linear", "sigmoid", "tanh"]))
def test_zero_one_labels_with_one_output_pick_binary_cross_entropy(n, seed, out):
    y = np.random.default_rng(seed).integers(0, 2, size=n)
    expected = "binary_cross_entropy" if out == "sigmoid" else "binary_cross_entropy_with_logits"
    assert choose_loss(y, MLP(2, [3, 1], output_activation=out)) == expected
    assert choose_loss(y.reshape(-1, 1).astype(float), MLP(2, [1], output_activation=out)) == expected
    assert choose_loss(y) == "binary_cross_entropy_with_logits"  # no model: the logits form


@settings(max_examples=30, deadline=None)
@given(n=samples, k=st.integers(2, 6), seed=st.integers(0, 2**16), softmax=st.booleans())
def test_integer_labels_or_one_hot_rows_for_k_outputs_pick_cross_entropy(n, k, seed, softmax):
    labels = np.random.default_rng(seed).integers(0, k, size=n)
    model = MLP(2, [k], output_activation="softmax" if softmax else "linear")
    expected = "categorical_cross_entropy" if softmax else "cross_entropy"
    assert choose_loss(labels, model) == expected
    assert choose_loss(np.eye(k)[labels], model) == expected


@settings(max_examples=30, deadline=None)
@given(
    y=st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=20).filter(
        lambda v: any(x != round(x) for x in v)
    )
)
def test_real_targets_pick_mse(y):
    assert choose_loss(y, MLP(2, [1])) == "mse"
    assert choose_loss(y, MLP(2, [3])) == "mse"


def test_what_is_not_a_class_label_is_mse():
    assert choose_loss([-1, 1, 1], MLP(2, [1])) == "mse"  # ±1: pass loss="hinge" for micrograd's loss
    assert choose_loss([0, 5, 9], MLP(2, [1])) == "mse"  # whole numbers but one output: a regression
    assert choose_loss([0, 1, 3], MLP(2, [3])) == "mse"  # label 3 has no output among 3
    assert choose_loss(np.zeros((4, 2)), MLP(2, [2])) == "mse"  # rows that are not one-hot


def test_fit_without_a_loss_trains_on_the_picked_one_and_records_it():
    X, y = make_moons(40, noise=0.1, seed=0)
    kw = {"lr": 0.05, "epochs": 4, "batch_size": 8, "seed": 0, "progress": False}
    h = fit(MLP(2, [4, 1], seed=0), X, y, **kw)
    same = fit(MLP(2, [4, 1], seed=0), X, y, loss="binary_cross_entropy_with_logits", **kw)
    assert h.loss_name == "binary_cross_entropy_with_logits" and h.loss == same.loss
    assert "accuracy" in h.metrics  # a classification loss: accuracy is tracked
    assert h.to_dict()["loss_name"] == h.loss_name
    targets = X[:, 0] * 0.5 + 0.25  # real numbers
    assert fit(MLP(2, [4, 1], seed=0), X, targets, **kw).loss_name == "mse"


def test_patience_alone_turns_early_stopping_on():
    X, y = make_moons(20, seed=0)
    model = MLP(2, [3, 1], seed=0)
    h = fit(model, X, y, loss="mse", lr=0.0, epochs=20, shuffle=False, patience=2, progress=False)
    assert h.stopped_early and h.epochs == 3  # lr 0: the loss never improves, stop after 2 more epochs
    h = fit(model, X, y, loss="mse", lr=0.0, epochs=20, shuffle=False, min_delta=0.5, progress=False)
    assert h.stopped_early and h.epochs == 11  # min_delta alone: the default patience of 10
    h = fit(model, X, y, loss="mse", lr=0.0, epochs=20, shuffle=False, progress=False)
    assert not h.stopped_early and h.epochs == 20  # neither given: off, as before


def test_patience_with_early_stopping_off_is_refused():
    X, y = make_moons(20, seed=0)
    with pytest.raises(ConfigError, match=r"patience=5 given with early_stopping=False"):
        fit(MLP(2, [3, 1]), X, y, loss="mse", epochs=2, patience=5, early_stopping=False, progress=False)
