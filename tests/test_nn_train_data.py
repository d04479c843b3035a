"""Data generators, splitting, scaling, one-hot encoding and the real digits."""

import builtins

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import AutogradError
from nn import data
from nn.data import (
    MissingDependencyError,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    one_hot,
    standardize,
    train_test_split,
)
from nn.errors import ConfigError

GENERATORS = [
    (lambda seed: make_moons(60, noise=0.1, seed=seed), 2, 2),
    (lambda seed: make_circles(60, noise=0.05, factor=0.5, seed=seed), 2, 2),
    (lambda seed: make_spirals(60, classes=3, noise=0.2, seed=seed), 2, 3),
    (lambda seed: make_blobs(60, centers=4, std=1.0, n_features=3, seed=seed), 3, 4),
]


def test_xor_is_the_seeds_four_points():
    X, y = make_xor()
    assert X.tolist() == [[0, 1], [1, 0], [0, 0], [1, 1]]
    assert y.tolist() == [1, 1, 0, 0]
    assert y.tolist() == [int(a != b) for a, b in X.astype(int)]


@pytest.mark.parametrize(("gen", "n_features", "n_classes"), GENERATORS)
def test_generators_shapes_labels_and_reproducibility(gen, n_features, n_classes):
    X, y = gen(0)
    assert X.shape == (60, n_features) and X.dtype == np.float64
    assert y.shape == (60,) and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(n_classes))
    assert np.bincount(y).min() >= 60 // n_classes - 1  # balanced classes
    X2, y2 = gen(0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = gen(1)
    assert not np.array_equal(X, X3)


def test_moons_without_noise_lie_on_the_half_circles():
    X, y = make_moons(100, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    assert np.allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    assert (outer[:, 1] >= -1e-12).all() and (inner[:, 1] <= 0.5 + 1e-12).all()


def test_circles_radii():
    X, y = make_circles(50, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_blobs_with_given_centers_and_regression_coefficients():
    centers = [[0.0, 0.0], [10.0, 10.0]]
    X, y = make_blobs(200, centers=centers, std=0.5, seed=3)
    for k, c in enumerate(centers):
        assert np.allclose(X[y == k].mean(axis=0), c, atol=0.2)
    X, y, w, b = make_regression(200, n_features=4, noise=0.1, seed=0, coef=True)
    assert X.shape == (200, 4) and y.shape == (200,) and w.shape == (4,)
    assert np.std(y - (X @ w + b)) == pytest.approx(0.1, rel=0.2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: make_moons(0),
        lambda: make_moons(10, noise=-1),
        lambda: make_moons(10.5),
        lambda: make_circles(10, factor=1.5),
        lambda: make_spirals(10, classes=1),
        lambda: make_blobs(10, centers=[1, 2, 3]),
        lambda: make_regression(10, n_features=0),
    ],
)
def test_generators_reject_bad_arguments(call):
    with pytest.raises(ConfigError):
        call()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(4, 60), frac=st.floats(0.05, 0.95), seed=st.integers(0, 2**16), strat=st.booleans())
def test_train_test_split_partitions_the_data(n, frac, seed, strat):
    X = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n) % 2
    n_test = int(np.ceil(frac * n))
    if not 0 < n_test < n:
        with pytest.raises(ConfigError):
            train_test_split(X, y, test_size=frac, seed=seed, stratify=strat)
        return
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=frac, seed=seed, stratify=strat)
    assert len(X_te) == n_test and len(X_tr) == n - n_test
    rows = sorted(map(tuple, np.vstack([X_tr, X_te]).tolist()))
    assert rows == sorted(map(tuple, X.tolist()))  # a partition: nothing lost or repeated
    assert np.array_equal(X_tr[:, 0] // 2 % 2, y_tr) and np.array_equal(X_te[:, 0] // 2 % 2, y_te)  # rows stay paired
    if strat:  # each class's test share is within one sample of its exact proportion
        for c in (0, 1):
            assert abs((y_te == c).sum() - (y == c).sum() * n_test / n) < 1 + 1e-9


def test_train_test_split_reproducible_and_errors():
    X, y = make_moons(40, seed=0)
    a = train_test_split(X, y, seed=5)
    b = train_test_split(X, y, seed=5)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    _, X_te, _, _ = train_test_split(X, y, test_size=10, shuffle=False)
    assert np.array_equal(X_te, X[30:])
    with pytest.raises(ConfigError, match="samples"):
        train_test_split(X, y[:-1])
    with pytest.raises(ConfigError):
        train_test_split(X, y, test_size=1.5)


def test_standardize_and_zero_std_guard():
    X = np.array([[1.0, 7.0, 0.0], [3.0, 7.0, 2.0], [5.0, 7.0, 4.0]])
    Xs, mean, std = standardize(X)
    assert np.allclose(Xs.mean(axis=0), 0) and np.allclose(Xs[:, [0, 2]].std(axis=0), 1)
    assert np.all(np.isfinite(Xs)) and np.all(Xs[:, 1] == 0) and std[1] == 1.0
    Xt, _, _ = standardize([[3.0, 7.0, 2.0]], mean, std)
    assert np.allclose(Xt, 0)
    with pytest.raises(ConfigError):
        standardize(X, mean, [1.0, 0.0, 1.0])
    with pytest.raises(ConfigError):
        standardize(X, [0.0, 0.0], [1.0, 1.0])


def test_one_hot():
    assert one_hot([1, 0, 1], n_classes=3).tolist() == [[0, 1, 0], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([2.0, 0.0])).shape == (2, 3)
    for bad in ([0, 3], [-1, 0], [0.5], ["a"], []):
        with pytest.raises(ConfigError):
            one_hot(bad, n_classes=3 if bad == [0, 3] else None)


def test_load_digits_is_the_real_data():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    Xr, _ = load_digits(scale=False)
    assert np.array_equal(Xr / 16, X) and set(np.unique(Xr)) <= set(range(17))


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(MissingDependencyError, match=r"pip install 'autograd-core\[sklearn\]'") as info:
        data.load_digits()
    assert isinstance(info.value, ImportError) and isinstance(info.value, AutogradError)
