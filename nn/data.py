"""Toy data sets and small data utilities: XOR, moons, circles, spirals, blobs, regression,
the real 8x8 handwritten digits, splitting, standardising and one-hot encoding.

Every generator takes ``seed`` (an int, or None for fresh randomness) and draws from NumPy's
``default_rng``, so the same seed gives the same data on every platform. Features are float64
arrays of shape (n_samples, n_features); class labels are int64 arrays of shape (n_samples,).

Example:
    >>> from nn.data import make_moons, train_test_split, standardize
    >>> X, y = make_moons(100, noise=0.1, seed=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    >>> X_train.shape, X_test.shape, sorted(set(y.tolist()))
    ((75, 2), (25, 2), [0, 1])
    >>> Xs, mean, std = standardize(X_train)
    >>> bool(abs(Xs.mean()) < 1e-12)
    True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd_core import AutogradError
from autograd_core.errors import excerpt

from .errors import ConfigError, check_count, check_nonneg

__all__ = [
    "MissingDependencyError",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_regression",
    "make_spirals",
    "make_xor",
    "one_hot",
    "standardize",
    "train_test_split",
]


class MissingDependencyError(AutogradError, ImportError):
    """An optional dependency (scikit-learn, tqdm, ...) is needed but not installed.

    Example:
        >>> issubclass(MissingDependencyError, ImportError) and issubclass(MissingDependencyError, AutogradError)
        True
    """


# --- argument checks ----------------------------------------------------------------------


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


# --- generators ---------------------------------------------------------------------------


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points of the seeds: X = [[0,1],[1,0],[0,0],[1,1]], y = [1,1,0,0].

    Example:
        >>> X, y = make_xor()
        >>> X.tolist(), y.tolist()
        ([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [1, 1, 0, 0])
    """
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    y = np.array([1, 1, 0, 0], dtype=np.int64)
    return X, y


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), shuffled.

    Parameters:
        n_samples: total number of points; the outer moon (label 0) gets the smaller half.
        noise: standard deviation of Gaussian noise added to every coordinate.
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        X of shape (n_samples, 2) and y of shape (n_samples,) with labels 0 and 1.

    Example:
        >>> X, y = make_moons(10, noise=0.0, seed=1)
        >>> X.shape, int(y.sum())
        ((10, 2), 5)
    """
    n = check_count(n_samples, "make_moons(): n_samples", 2)
    noise = check_nonneg(noise, "make_moons(): noise")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(rng, X, y)


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A large circle (label 0) around a smaller one (label 1), scikit-learn's ``make_circles``.

    Parameters:
        n_samples: total number of points; the outer circle gets the smaller half.
        noise: standard deviation of Gaussian noise added to every coordinate.
        factor: radius of the inner circle relative to the outer one (0 < factor < 1).
        seed: seed of ``numpy.random.default_rng``.

    Example:
        >>> X, y = make_circles(8, factor=0.5, seed=0)
        >>> sorted(np.round(np.hypot(X[:, 0], X[:, 1]), 6).tolist())
        [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    n = check_count(n_samples, "make_circles(): n_samples", 2)
    noise = check_nonneg(noise, "make_circles(): noise")
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ConfigError(f"make_circles(): factor must be in (0, 1), got {excerpt(factor)}")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(rng, X, y)


def make_spirals(
    n_samples: int = 100, classes: int = 2, noise: float = 0.2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral data), shuffled.

    Parameters:
        n_samples: total number of points, shared as evenly as possible between the arms.
        classes: number of arms (classes), at least 2.
        noise: standard deviation of Gaussian noise on the angle of each point.
        seed: seed of ``numpy.random.default_rng``.

    Example:
        >>> X, y = make_spirals(90, classes=3, seed=0)
        >>> X.shape, np.bincount(y).tolist()
        ((90, 2), [30, 30, 30])
    """
    n = check_count(n_samples, "make_spirals(): n_samples", 1)
    k = check_count(classes, "make_spirals(): classes", 2)
    noise = check_nonneg(noise, "make_spirals(): noise")
    rng = np.random.default_rng(seed)
    sizes = [n // k + (j < n % k) for j in range(k)]
    parts, labels = [], []
    for j, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, m) + rng.normal(scale=noise, size=m) if m else np.zeros(0)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(m, j, dtype=np.int64))
    return _shuffled(rng, np.vstack(parts), np.concatenate(labels))


def make_blobs(
    n_samples: int = 100,
    centers: int | Any = 3,
    std: float = 1.0,
    n_features: int = 2,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, one class per center (scikit-learn's ``make_blobs``).

    Parameters:
        n_samples: total number of points, shared as evenly as possible between the centers.
        centers: the number of centers (drawn uniformly in [-10, 10]^n_features) or an array of
            shape (n_centers, n_features).
        std: standard deviation of every blob.
        n_features: number of features when ``centers`` is a number.
        seed: seed of ``numpy.random.default_rng``.

    Example:
        >>> X, y = make_blobs(6, centers=[[0, 0], [5, 5]], std=0.0, seed=0)
        >>> X[y == 1].tolist()
        [[5.0, 5.0], [5.0, 5.0], [5.0, 5.0]]
    """
    n = check_count(n_samples, "make_blobs(): n_samples", 1)
    std = check_nonneg(std, "make_blobs(): std")
    rng = np.random.default_rng(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = check_count(centers, "make_blobs(): centers", 1)
        d = check_count(n_features, "make_blobs(): n_features", 1)
        means = rng.uniform(-10.0, 10.0, size=(k, d))
    else:
        try:
            means = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(
                f"make_blobs(): centers must be an int or an array of numbers, got {excerpt(centers)}"
            ) from None
        if means.ndim != 2 or means.shape[0] == 0 or means.shape[1] == 0:
            raise ConfigError(f"make_blobs(): centers must have shape (n_centers, n_features), got {means.shape}")
        k = means.shape[0]
    sizes = [n // k + (j < n % k) for j in range(k)]
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    X = means[y] + rng.normal(scale=std, size=(n, means.shape[1])) if std else means[y].copy()
    return _shuffled(rng, X, y)


def make_regression(
    n_samples: int = 100,
    n_features: int = 1,
    noise: float = 0.0,
    seed: int | None = None,
    coef: bool = False,
) -> tuple[np.ndarray, ...]:
    """A random linear regression problem: y = X @ w + b + noise, with X ~ N(0, 1).

    Parameters:
        n_samples: number of points.
        n_features: number of features.
        noise: standard deviation of Gaussian noise added to y.
        seed: seed of ``numpy.random.default_rng``.
        coef: also return the true weights and bias.

    Returns:
        X of shape (n_samples, n_features), y of shape (n_samples,) (float), and with
        ``coef=True`` also w of shape (n_features,) and the bias b.

    Example:
        >>> X, y, w, b = make_regression(50, n_features=3, seed=0, coef=True)
        >>> X.shape, y.shape, bool(np.allclose(X @ w + b, y))
        ((50, 3), (50,), True)
    """
    n = check_count(n_samples, "make_regression(): n_samples", 1)
    d = check_count(n_features, "make_regression(): n_features", 1)
    noise = check_nonneg(noise, "make_regression(): noise")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.uniform(-3.0, 3.0, size=d)
    b = float(rng.uniform(-1.0, 1.0))
    y = X @ w + b
    if noise:
        y = y + rng.normal(scale=noise, size=n)
    return (X, y, w, b) if coef else (X, y)


def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The real 8x8 handwritten digits: 1,797 images, 64 pixel features, 10 classes.

    The data file ships with scikit-learn (``sklearn.datasets.load_digits``, UCI's optical
    recognition of handwritten digits); install it with ``pip install 'autograd-core[sklearn]'``.

    Parameters:
        scale: divide the pixel values (0..16) by 16 so features lie in [0, 1].

    Returns:
        X of shape (1797, 64) (float64) and y of shape (1797,) with labels 0..9.

    Raises:
        MissingDependencyError: scikit-learn is not installed.

    Example:
        >>> X, y = load_digits()  # doctest: +SKIP
        >>> X.shape, float(X.max()), sorted(set(y.tolist())) == list(range(10))  # doctest: +SKIP
        ((1797, 64), 1.0, True)
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise MissingDependencyError(
            "load_digits() reads the digits data file that ships with scikit-learn, which is not installed; "
            "install it with: pip install 'autograd-core[sklearn]'"
        ) from None
    bunch = _sk_load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    return (X / 16.0 if scale else X), y


# --- utilities ----------------------------------------------------------------------------


def _as_2d(X: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: X must be an array of numbers") from None
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ConfigError(f"{what}: X must be 2-D (n_samples, n_features), got shape {arr.shape}")
    return arr


def train_test_split(
    X: Any,
    y: Any,
    test_size: float | int = 0.25,
    seed: int | None = None,
    shuffle: bool = True,
    stratify: bool | Any = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split X and y into train and test parts (scikit-learn's order of results).

    Parameters:
        X: array of shape (n_samples, ...).
        y: array of shape (n_samples, ...).
        test_size: a fraction in (0, 1) or a number of test samples.
        seed: seed of ``numpy.random.default_rng`` for the shuffle.
        shuffle: shuffle before splitting (otherwise the last samples are the test part).
        stratify: True to keep the class proportions of ``y`` in both parts, or an array of
            labels to stratify on.

    Returns:
        X_train, X_test, y_train, y_test.

    Example:
        >>> X, y = np.arange(20).reshape(10, 2), np.array([0] * 5 + [1] * 5)
        >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, seed=0, stratify=True)
        >>> X_tr.shape, X_te.shape, np.bincount(y_te).tolist()
        ((6, 2), (4, 2), [2, 2])
    """
    X = np.asarray(X)
    y = np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ConfigError(f"train_test_split(): X has {n} samples but y has {len(y)}")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise ConfigError(f"train_test_split(): test_size must be a fraction or a count, got {excerpt(test_size)}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = int(np.ceil(test_size * n))
    else:
        raise ConfigError(f"train_test_split(): a fractional test_size must be in (0, 1), got {excerpt(test_size)}")
    if not 0 < n_test < n:
        raise ConfigError(
            f"train_test_split(): test_size={excerpt(test_size)} leaves {n_test} test and {n - n_test} train samples "
            f"of {n}; both parts need at least one"
        )
    rng = np.random.default_rng(seed)
    if stratify is not False and stratify is not None:
        labels = y if stratify is True else np.asarray(stratify)
        if len(labels) != n:
            raise ConfigError(f"train_test_split(): stratify has {len(labels)} labels for {n} samples")
        classes, codes = np.unique(labels, return_inverse=True)
        codes = codes.reshape(-1)
        counts = np.bincount(codes, minlength=len(classes))
        # Largest-remainder allocation of the test samples to the classes.
        exact = counts * n_test / n
        alloc = np.floor(exact).astype(int)
        for c in np.argsort(-(exact - alloc), kind="stable")[: n_test - alloc.sum()]:
            alloc[c] += 1
        test_idx = []
        for c in range(len(classes)):
            members = np.flatnonzero(codes == c)
            if shuffle:
                members = rng.permutation(members)
            test_idx.append(members[: alloc[c]])
        test = np.concatenate(test_idx)
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        train = np.flatnonzero(mask)
        if shuffle:
            train, test = rng.permutation(train), rng.permutation(test)
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train, test = order[: n - n_test], order[n - n_test :]
    return X[train], X[test], y[train], y[test]


def standardize(X: Any, mean: Any = None, std: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale every feature to zero mean and unit variance: (X - mean) / std.

    Pass the ``mean`` and ``std`` returned for the training data to scale test data the same
    way. A feature with zero spread gets std 1 (it becomes all zeros instead of NaN).

    Returns:
        X_std, mean, std (mean and std have shape (n_features,)).

    Example:
        >>> X_std, mean, std = standardize([[1.0, 5.0], [3.0, 5.0]])
        >>> X_std.tolist(), mean.tolist(), std.tolist()
        ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 5.0], [1.0, 1.0])
    """
    arr = _as_2d(X, "standardize()")
    if not np.all(np.isfinite(arr)):
        raise ConfigError("standardize(): X contains NaN or infinity")
    # A column near float64's limit (1e300) is divided by its largest |value| first, so that
    # its sum and squares do not overflow; other columns are used as they are (s = 1).
    big = np.max(np.abs(arr), axis=0, initial=0.0)
    s = np.where(big > 1e100, big, 1.0)
    z = arr / s
    mean = z.mean(axis=0) * s if mean is None else np.asarray(mean, dtype=np.float64)
    if mean.shape not in ((arr.shape[1],), ()):
        raise ConfigError(f"standardize(): mean and std need shape ({arr.shape[1]},), got mean {mean.shape}")
    if std is None:
        std = (z - mean / s).std(axis=0) * s
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    else:
        std = np.asarray(std, dtype=np.float64)
        if np.any(std <= 0):
            raise ConfigError("standardize(): std must be positive")
    if std.shape not in ((arr.shape[1],), ()):
        raise ConfigError(f"standardize(): mean and std need shape ({arr.shape[1]},), got std {std.shape}")
    return (z - mean / s) / (std / s), mean, std


def one_hot(y: Any, n_classes: int | None = None) -> np.ndarray:
    """Encode integer labels 0..k-1 as rows of a (n_samples, k) float array.

    Example:
        >>> one_hot([0, 2, 1]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.size == 0:
        raise ConfigError(f"one_hot(): y must be a non-empty 1-D array of labels, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        as_int = labels.astype(np.int64) if np.issubdtype(labels.dtype, np.number) else None
        if as_int is None or not np.array_equal(as_int, labels):
            raise ConfigError("one_hot(): labels must be integers 0..n_classes-1")
        labels = as_int
    if labels.min() < 0:
        raise ConfigError(f"one_hot(): labels must be >= 0, got {int(labels.min())}")
    k = int(labels.max()) + 1 if n_classes is None else check_count(n_classes, "one_hot(): n_classes")
    if labels.max() >= k:
        raise ConfigError(f"one_hot(): label {int(labels.max())} does not fit n_classes={k}")
    out = np.zeros((labels.size, k))
    out[np.arange(labels.size), labels] = 1.0
    return out
