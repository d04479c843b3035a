"""CNNClassifier: a small convolutional network behind the estimators' conventions.

``CNNClassifier`` is ``MLPClassifier`` (nn.estimators: fit / predict / predict_proba / score,
get_params / set_params, ``classes_``, any sortable labels, the same solvers, stopping rules and
training loop) with a ``Sequential`` of convolutions in front of its dense layers::

    [Conv2d(c, f, kernel_size, padding=kernel_size // 2), activation, MaxPool2d(pool_size)] per f in channels,
    Flatten(), dense hidden layers (hidden_layer_sizes), a linear output layer (logits)

Rows of X are images flattened in (channel, row, column) order, as ``load_digits`` gives them;
(n, C, H, W) arrays, or (n, H, W) for one channel, are accepted too.

Example:
    >>> from nn.data import load_digits
    >>> X, y = load_digits()
    >>> clf = CNNClassifier((1, 8, 8), channels=(4,), learning_rate_init=0.02, batch_size=32, max_iter=5,
    ...                     random_state=0).fit(X[:300], y[:300])   # about a second
    >>> clf.classes_.tolist(), clf.predict_proba(X[:2]).shape, clf.score(X[300:600], y[300:600]) > 0.7  # 0.78
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (2, 10), True)
    >>> print(clf.model_.summary().splitlines()[0])
    Sequential: (1, 8, 8) -> (10,)
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any

import numpy as np

from autograd_core.errors import excerpt

from .conv import Conv2d, Flatten, MaxPool2d
from .errors import ConfigError
from .estimators import MLPClassifier
from .layers import Layer
from .sequential import Sequential

__all__ = ["CNNClassifier"]


def _positive_ints(value: Any, what: str, length: int | None = None, allow_empty: bool = False) -> tuple[int, ...]:
    items = (value,) if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = (None,)
    ok = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in items)
    if not ok or (length is not None and len(items) != length) or (not items and not allow_empty):
        raise ConfigError(f"CNNClassifier: {what}, got {excerpt(value)}")
    return tuple(int(v) for v in items)


class CNNClassifier(MLPClassifier):
    """A convolutional classifier of scalar nodes with scikit-learn's interface (``MLPClassifier``'s).

    Parameters:
        input_shape: (channels, height, width) of one image; X has C·H·W columns.
        channels: the number of filters of each convolution block, e.g. (8, 16).
        kernel_size: the (odd) kernel size of every convolution; padding keeps the image size.
        pool_size: the max-pooling window after each convolution (1: no pooling).
        hidden_layer_sizes: dense layers between Flatten and the output (none by default).
        activation: "relu", "tanh", "logistic" or "identity", after every convolution and
            hidden layer.
        The other parameters are ``MLPClassifier``'s (solver, alpha, batch_size,
        learning_rate_init, max_iter, random_state, early_stopping, ...), keyword-only.

    Fitted attributes: as ``MLPClassifier``'s; ``model_`` is the trained ``nn.Sequential``
    (logits out), and ``coefs_`` holds a convolution's weights in PyTorch's layout
    (out, in, kh, kw) and a dense layer's as (n_in, n_out), as scikit-learn's.

    Example:
        >>> clf = CNNClassifier((1, 4, 4), channels=(2,), max_iter=1, random_state=0)
        >>> clf.fit(np.random.default_rng(0).normal(size=(6, 16)), list("aabbcc")).classes_.tolist()
        ['a', 'b', 'c']
        >>> [c.shape for c in clf.coefs_]
        [(2, 1, 3, 3), (8, 3)]
    """

    def __init__(
        self,
        input_shape: Any = (1, 8, 8),
        channels: Any = (8,),
        kernel_size: int = 3,
        pool_size: int = 2,
        hidden_layer_sizes: Any = (),
        activation: str = "relu",
        **training: Any,
    ) -> None:
        super().__init__(hidden_layer_sizes, activation, **training)
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.pool_size = pool_size

    # scikit-learn (and get_params/clone) read the parameters from __init__'s signature: show
    # MLPClassifier's keyword-only training parameters there too instead of writing them twice.
    __init__.__signature__ = inspect.signature(
        __init__
    ).replace(  # type: ignore[attr-defined]
        parameters=[
            *list(inspect.signature(__init__).parameters.values())[:-1],
            *(p for p in inspect.signature(MLPClassifier.__init__).parameters.values() if p.kind == p.KEYWORD_ONLY),
        ]
    )

    def _architecture(self) -> tuple[tuple[int, int, int], tuple[int, ...], int, int]:
        shape = _positive_ints(self.input_shape, "input_shape must be (channels, height, width)", length=3)
        channels = _positive_ints(self.channels, "channels must be filter counts >= 1, e.g. (8, 16)", allow_empty=True)
        (k,) = _positive_ints(self.kernel_size, "kernel_size must be an odd integer >= 1", length=1)
        if k % 2 == 0:
            raise ConfigError(f"CNNClassifier: kernel_size must be odd (the padding k // 2 keeps the size), got {k}")
        (pool,) = _positive_ints(self.pool_size, "pool_size must be an integer >= 1", length=1)
        return shape, channels, k, pool  # type: ignore[return-value]

    def _validate(self) -> tuple[list[int], str]:
        out = super()._validate()
        self._architecture()
        return out

    def _check_X(self, X: Any, fitting: bool) -> np.ndarray:
        shape = self._architecture()[0]
        arr = np.asarray(X) if isinstance(X, (list, tuple, np.ndarray)) else None
        if arr is not None and arr.ndim > 2 and arr.shape[1:] in (shape, shape[1:]) and arr.dtype.kind in "biuf":
            X = arr.reshape(len(arr), -1)  # images (n, C, H, W), or (n, H, W) of one channel
        return super()._check_X(X, fitting)

    def _reusable(self, n_features: int, hidden: list[int], n_out: int) -> bool:
        return getattr(self, "_built_for_", None) == (n_features, self._architecture(), tuple(hidden), n_out)

    def _init_model(self, n_in: int, hidden: list[int], n_out: int, rng: np.random.Generator) -> Sequential:
        shape, channels, k, pool = self._architecture()
        if n_in != math.prod(shape):
            raise ConfigError(
                f"CNNClassifier: X has {n_in} features but input_shape={shape} needs {math.prod(shape)} per image"
            )
        act = self.activation
        layers: list[Any] = []
        c = shape[0]
        for f in channels:
            layers += [Conv2d(c, f, k, padding=k // 2, seed=rng), act]
            if pool > 1:
                layers.append(MaxPool2d(pool))
            c = f
        layers.append(Flatten())
        width = math.prod(Sequential(*layers, input_shape=shape).output_shape)  # refuses a pool that does not fit
        for n in hidden:
            layers.append(Layer(width, n, act, init="xavier_uniform", seed=rng))
            width = n
        layers.append(Layer(width, n_out, "linear", init="xavier_uniform", seed=rng))  # logits
        self._built_for_ = (n_in, (shape, channels, k, pool), tuple(hidden), n_out)
        return Sequential(*layers, input_shape=shape)

    def _fit(self, X: np.ndarray, T: np.ndarray, y_for_split: np.ndarray, n_out: int) -> None:
        super()._fit(X, T, y_for_split, n_out)
        Ws, _ = self.model_.weights()
        self.coefs_ = [W.copy() if W.ndim == 4 else W.T.copy() for W in Ws]
