"""CNNClassifier: MLPClassifier's conventions (scikit-learn's) with convolutions in front."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd_core import ShapeError
from nn import CNNClassifier, Conv2d, Flatten, Layer, MaxPool2d, Sequential, reference
from nn.errors import ConfigError
from nn.estimators import ConvergenceWarning, NotFittedError


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    """Tiny 4x4 'images': class = which quadrant is bright (a job for a convolution)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    X = rng.normal(0.0, 0.3, (60, 1, 4, 4))
    for i, c in enumerate(y):
        X[i, 0, (c // 2) * 2 : (c // 2) * 2 + 2, (c % 2) * 2 : (c % 2) * 2 + 2] += 2.0
    return X.reshape(60, 16), np.array(["top-left", "top-right", "bottom-left"])[y]


def fitted(X, y, **kw) -> CNNClassifier:
    params = dict(channels=(3,), learning_rate_init=0.05, batch_size=16, max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return CNNClassifier((1, 4, 4), **{**params, **kw}).fit(X, y)


def test_fit_predict_score_with_string_labels(images) -> None:
    X, y = images
    clf = fitted(X, y)
    assert clf.classes_.tolist() == ["bottom-left", "top-left", "top-right"]
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(X[:5]).tolist() == clf.classes_[proba.argmax(axis=1)].tolist()
    assert isinstance(clf.model_, Sequential) and clf.n_iter_ == 15
    assert [type(layer).__name__ for layer in clf.model_.layers] == [
        "Conv2d", "Activation", "MaxPool2d", "Flatten", "Layer",
    ]  # fmt: skip
    assert [c.shape for c in clf.coefs_] == [(3, 1, 3, 3), (12, 3)]  # conv: PyTorch's layout; dense: (in, out)


def test_images_may_come_as_arrays_of_images(images) -> None:
    X, y = images
    clf = fitted(X, y, max_iter=2)
    flat = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X.reshape(60, 1, 4, 4)), flat)
    np.testing.assert_array_equal(clf.predict_proba(X.reshape(60, 4, 4)), flat)


def test_binary_problems_get_one_logistic_output(images) -> None:
    X, y = images
    keep = y != "bottom-left"
    clf = fitted(X[keep], y[keep], max_iter=5)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert clf.predict_proba(X[:3]).shape == (3, 2)


def test_parameters_follow_scikit_learns_protocol(images) -> None:
    clf = CNNClassifier((1, 4, 4), channels=(2, 4), kernel_size=5, alpha=0.1, solver="sgd")
    params = clf.get_params()
    assert params["channels"] == (2, 4) and params["kernel_size"] == 5 and params["alpha"] == 0.1
    assert {"input_shape", "pool_size", "hidden_layer_sizes", "learning_rate_init", "n_iter_no_change"} <= set(params)
    assert repr(clf) == "CNNClassifier(input_shape=(1, 4, 4), channels=(2, 4), kernel_size=5, solver='sgd', alpha=0.1)"
    assert clf.set_params(pool_size=1, max_iter=3) is clf and clf.pool_size == 1
    with pytest.raises(ConfigError, match="invalid parameter 'filters'"):
        clf.set_params(filters=3)
    sklearn_base = pytest.importorskip("sklearn.base")
    copy = sklearn_base.clone(clf)
    assert copy.get_params() == clf.get_params() and copy is not clf
    with pytest.raises(TypeError):
        CNNClassifier((1, 4, 4), learning_rate_int=0.1)  # a misspelt training parameter


def test_warm_start_continues_the_same_model(images) -> None:
    X, y = images
    clf = fitted(X, y, max_iter=2, warm_start=True)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model and len(clf.loss_curve_) == 4
    clf.set_params(channels=(2,)).fit(X, y)  # another architecture: a new model
    assert clf.model_ is not model and clf.coefs_[0].shape == (2, 1, 3, 3)


def test_the_trained_network_is_an_ordinary_sequential(images) -> None:
    """Its gradients are the reference's: the estimator adds conventions, not another network."""
    X, y = images
    clf = fitted(X, y, max_iter=1, hidden_layer_sizes=(5,), activation="tanh")
    model = clf.model_
    assert isinstance(model.layers[-2], Layer) and model.layers[-2].activation == "tanh"
    from nn import losses

    model.zero_grad()
    codes = np.searchsorted(clf.classes_, y)
    losses.cross_entropy(model(X), codes).backward()
    _, dWs, _, _ = reference.cnn_gradients(model, X, codes, "cross_entropy")
    conv = model.layers[0]
    got = np.array([[p.grad for p in f._flat] for f in conv.filters]).reshape(dWs[0].shape)
    np.testing.assert_allclose(got, dWs[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("kw", "error", "fragment"),
    [
        (dict(input_shape=(1, 5, 5)), ConfigError, "X has 16 features but input_shape=(1, 5, 5) needs 25"),
        (dict(input_shape=(1, 4)), ConfigError, "input_shape must be (channels, height, width)"),
        (dict(kernel_size=2), ConfigError, "kernel_size must be odd"),
        (dict(channels=(0,)), ConfigError, "channels must be filter counts"),
        (dict(pool_size=0), ConfigError, "pool_size must be an integer >= 1"),
        (
            dict(channels=(2, 2, 2), pool_size=2),
            ShapeError,
            "layer 8 (MaxPool2d(2)): a 2x2 window does not fit an input of shape (2, 1, 1)",
        ),
    ],
)
def test_bad_architectures_are_refused_naming_what_does_not_fit(images, kw, error, fragment) -> None:
    X, y = images
    with pytest.raises(error) as info:
        CNNClassifier(**{"input_shape": (1, 4, 4), **kw}).fit(X, y)
    assert fragment in str(info.value)


def test_predicting_before_fit_or_with_other_images_is_refused(images) -> None:
    X, y = images
    with pytest.raises(NotFittedError):
        CNNClassifier((1, 4, 4)).predict(X)
    clf = fitted(X, y, max_iter=1)
    with pytest.raises(ConfigError, match="X has 9 features, but CNNClassifier is expecting 16"):
        clf.predict(np.zeros((2, 9)))


def test_the_layers_are_the_documented_ones() -> None:
    clf = CNNClassifier((1, 8, 8), channels=(4, 6), hidden_layer_sizes=(7,))
    model = clf._init_model(64, [7], 10, np.random.default_rng(0))
    assert model.config()["layers"] == Sequential(
        Conv2d(1, 4, 3, padding=1), "relu", MaxPool2d(2), Conv2d(4, 6, 3, padding=1), "relu", MaxPool2d(2),
        Flatten(), Layer(24, 7, "relu"), Layer(7, 10, "linear"), input_shape=(1, 8, 8),
    ).config()["layers"]  # fmt: skip
