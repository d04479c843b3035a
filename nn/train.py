"""Training loop: mini-batches as lanes, a progress bar, a History, early stopping.

``fit`` passes each mini-batch to the model as ONE 2-D array, so the whole batch is one graph
whose nodes carry a lane per sample; the loss (reduction "mean") is a scalar, ``backward()``
fills every parameter's gradient, and the optimizer takes one step. ``predict`` and
``evaluate`` run the same way under ``no_grad``.

Example:
    >>> from nn import MLP
    >>> from nn.data import make_xor
    >>> X, y = make_xor()
    >>> model = MLP(2, [8, 1], activation="tanh", seed=1)
    >>> history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150,
    ...               batch_size=4, seed=0, progress=False)
    >>> history.metrics["accuracy"][-1], predict_classes(model, X).tolist()
    (1.0, [1, 1, 0, 0])
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_core import AutogradError, ParamList, ShapeError, Value, grads_array, no_grad, sum_squares
from autograd_core.errors import excerpt

from . import losses as _losses
from .data import train_test_split
from .errors import ConfigError, check_count, check_nonneg
from .optim import Optimizer, Schedule, get_optimizer, get_schedule

__all__ = [
    "CLASSIFICATION_LOSSES",
    "METRICS",
    "DivergenceError",
    "History",
    "accuracy",
    "choose_loss",
    "evaluate",
    "fit",
    "predict",
    "predict_classes",
]

CLASSIFICATION_LOSSES = (
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "categorical_cross_entropy",
    "hinge",
)
Callback = Callable[[int, dict[str, Any]], Any]


class DivergenceError(AutogradError, ArithmeticError):
    """A training loss, gradient or update became NaN or infinite (usually: the learning rate is too large).

    Example:
        >>> from nn import MLP
        >>> try:
        ...     fit(MLP(1, [1], seed=0), [[1.0], [2.0]], [1.0, 0.0], loss="mse", optimizer="sgd", lr=1e308,
        ...         progress=False)
        ... except DivergenceError as err:
        ...     print(str(err).split(";")[0])
        fit(): the loss became inf at epoch 2
    """


# Squares and products of numbers beyond this (in the loss, the L2 penalty, Adam's second
# moments) overflow float64 (max 1.8e308), so such inputs are refused before training.
MAX_ABS_INPUT = 1e100


def check_scale(arr: np.ndarray, what: str, who: str) -> None:
    """Refuse NaN, infinity and numbers too large to train on in float64, naming the largest.

    Example:
        >>> check_scale(np.array([[1.0, -2e300]]), "X", "fit()")
        Traceback (most recent call last):
        ...
        nn.errors.ConfigError: fit(): X reaches 2e+300 ...; standardise ...
    """
    if arr.size == 0:
        return
    finite = np.isfinite(arr)
    if not np.all(finite):
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ConfigError(f"{who}: {what} holds {arr[where]} at index {list(where)}; every value must be finite")
    big = float(np.max(np.abs(arr)))
    if big > MAX_ABS_INPUT:
        raise ConfigError(
            f"{who}: {what} reaches {big:.3g} (in absolute value); numbers beyond {MAX_ABS_INPUT:g} overflow "
            "float64 in the loss, the gradients and the optimizer; standardise them first "
            "(nn.data.standardize, or --standardize on the command line)"
        )


def _check_finite(values: np.ndarray, what: str, epoch: int, lr: float, who: str = "fit()") -> None:
    """DivergenceError when ``values`` (a loss, the gradients, the new weights) hold NaN or infinity."""
    bad = values[~np.isfinite(values)]
    if bad.size:
        raise DivergenceError(
            f"{who}: {what} {bad[0]} at epoch {epoch}; try a smaller learning rate (lr={lr:g}) or standardised inputs"
        )


def _check_step(params: ParamList, which: str, what: str, epoch: int, lr: float, who: str = "fit()") -> None:
    """The per-step finite check of the parameters' ``which`` ("grad" or "data"): one sum over the
    buffer when the list is one whole buffer (a sum is finite only when every number is; a sum that
    overflows falls through to the exact check, which names the number)."""
    plan = params.plan()
    single = plan.single
    if single is not None and not (which == "grad" and single[0].value_grads):
        arr = single[0].grad if which == "grad" else single[0].data
        if math.isfinite(float(arr.sum())):
            return
    _check_finite(grads_array(params) if which == "grad" else params.values(), what, epoch, lr, who)


# --- History ------------------------------------------------------------------------------


def layer_grad_norms(model: Any) -> dict[str, float]:
    """The L2 norm of the current gradients of every layer's parameters: {'L0': ..., 'L1': ...}.

    A model without layers gives {'all': ...}.

    Example:
        >>> from nn import MLP, losses
        >>> model = MLP(2, [3, 1], seed=0)
        >>> losses.mse(model([1.0, 2.0]), 1.0).backward()
        >>> sorted(layer_grad_norms(model))
        ['L0', 'L1']
    """
    layers = getattr(model, "layers", None)
    groups = [(f"L{i}", layer.parameters()) for i, layer in enumerate(layers)] if layers else None
    if groups is None:
        groups = [("all", list(model.parameters()))]
    norms = {}
    for name, params in groups:
        g = grads_array(params)
        norms[name] = math.sqrt(float(g @ g))
    return norms


@dataclass
class History:
    """What ``fit`` records, one entry per epoch.

    Attributes:
        loss: training objective (data loss + L2 penalty), averaged over the epoch's samples.
        val_loss: data loss on the validation set (empty without validation data).
        metrics: metric name -> per-epoch values on the training batches (as seen during the epoch).
        val_metrics: metric name -> per-epoch values on the validation set.
        seconds: wall-clock time of every epoch.
        lr: the learning rate used in every epoch.
        grad_norms: per epoch, the L2 norm of each layer's gradients after its last mini-batch,
            as {'L0': ..., 'L1': ...} (vanishing gradients show as early layers falling to 0).
        best_epoch: index of the best epoch (lowest monitored loss) when early stopping is on.
        stopped_early: True if training stopped before ``epochs`` (early stopping, schedule or callback).
        loss_name: the loss trained on (the one ``fit`` picked when none was given).

    Example:
        >>> h = History(loss=[0.5, 0.25], metrics={"accuracy": [0.5, 1.0]})
        >>> h.epochs, h.to_dict()["metrics"]
        (2, {'accuracy': [0.5, 1.0]})
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norms: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    loss_name: str = ""

    @property
    def epochs(self) -> int:
        """Number of epochs run.

        Example:
            >>> History(loss=[1.0, 0.5, 0.25]).epochs
            3
        """
        return len(self.loss)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data (NaN and infinities become None).

        Example:
            >>> import json
            >>> json.dumps(History(loss=[float("nan")]).to_dict()["loss"])
            '[null]'
        """

        def clean(xs: Iterable[float]) -> list[float | None]:
            return [float(x) if math.isfinite(x) else None for x in xs]

        return {
            "epochs": self.epochs,
            "loss": clean(self.loss),
            "val_loss": clean(self.val_loss),
            "metrics": {k: clean(v) for k, v in self.metrics.items()},
            "val_metrics": {k: clean(v) for k, v in self.val_metrics.items()},
            "seconds": clean(self.seconds),
            "lr": clean(self.lr),
            "grad_norms": [dict(zip(d, clean(d.values()))) for d in self.grad_norms],
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "loss_name": self.loss_name,
        }

    def __repr__(self) -> str:
        if not self.loss:
            return "History(0 epochs)"
        parts = [f"{self.epochs} epochs", f"loss {self.loss[-1]:.4g}"]
        parts += [f"{k} {v[-1]:.4g}" for k, v in self.metrics.items() if v]
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4g}")
        parts += [f"val_{k} {v[-1]:.4g}" for k, v in self.val_metrics.items() if v]
        return f"History({', '.join(parts)})"


# --- inputs and outputs -------------------------------------------------------------------


def _features(X: Any, model: Any, who: str) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{who}: X must be an array of numbers, shape (n_samples, n_features)") from None
    if arr.ndim == 1:
        nin = getattr(model, "nin", None)
        arr = arr.reshape(-1, 1) if nin == 1 else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ConfigError(f"{who}: X must be a non-empty 2-D array (n_samples, n_features), got shape {arr.shape}")
    nin = getattr(model, "nin", None)
    if isinstance(nin, int) and arr.shape[1] != nin:
        raise ShapeError(f"{who}: X has {arr.shape[1]} features per sample, the model takes {nin}")
    return arr


def _outputs(out: Any) -> np.ndarray:
    """A model's outputs (a Value or a list of Values, laned) as an array (n,) or (n, k)."""
    if isinstance(out, Value):
        return np.array(out.data, dtype=np.float64, ndmin=1)
    cols = [np.array(v.data, dtype=np.float64, ndmin=1) for v in out]
    return np.column_stack(cols)


def predict(model: Callable[[Any], Any], X: Any) -> np.ndarray:
    """The model's raw outputs for every row of X, as a NumPy array (under ``no_grad``).

    Returns an array of shape (n_samples,) for a single-output model, (n_samples, k) for k
    outputs. The whole of X runs as one batch of lanes.

    Example:
        >>> from nn import MLP
        >>> model = MLP.from_weights([[[1.0, -1.0]]], [[0.5]], "linear")
        >>> predict(model, [[2.0, 1.0], [0.0, 0.0]]).tolist()
        [1.5, 0.5]
    """
    arr = _features(X, model, "predict()")
    with no_grad():
        return _outputs(model(arr))


def _threshold(loss_name: str, output_activation: str | None, y: np.ndarray | None) -> float:
    """The decision threshold for a single-output classifier."""
    if loss_name in ("binary_cross_entropy", "categorical_cross_entropy") or output_activation == "sigmoid":
        return 0.5
    if loss_name in ("binary_cross_entropy_with_logits", "hinge"):
        return 0.0
    if y is not None and y.size and np.min(y) < 0:  # ±1 targets: the sign
        return 0.0
    return 0.5


def _decide(out: np.ndarray, threshold: float) -> np.ndarray:
    if out.ndim == 2:
        return np.argmax(out, axis=1)
    return (out > threshold).astype(np.int64)


def predict_classes(model: Callable[[Any], Any], X: Any, threshold: float | None = None) -> np.ndarray:
    """Class labels: argmax of several outputs, or ``output > threshold`` (1 / 0) for one.

    ``threshold`` defaults to 0.5 for a sigmoid output layer and 0 otherwise (logits, hinge
    scores).

    Example:
        >>> from nn import MLP
        >>> model = MLP.from_weights([[[1.0], [-1.0]]], [[0.0, 0.0]], "linear")  # 2 outputs: x, -x
        >>> predict_classes(model, [[2.0], [-3.0]]).tolist()
        [0, 1]
    """
    out = predict(model, X)
    return _decide(out, default_threshold(model) if threshold is None else threshold)


def default_threshold(model: Any) -> float:
    """Where one output splits two classes: 0.5 after a sigmoid, else 0 (logits, hinge scores).

    Example:
        >>> from nn import MLP
        >>> default_threshold(MLP(2, [1], output_activation="sigmoid")), default_threshold(MLP(2, [1]))
        (0.5, 0.0)
    """
    return 0.5 if _output_activation(model) == "sigmoid" else 0.0


def _output_activation(model: Any) -> str | None:
    names = getattr(model, "activations", None)
    return names[-1] if isinstance(names, (list, tuple)) and names else None


# --- metrics ------------------------------------------------------------------------------


def _true_classes(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2:
        return np.argmax(y, axis=1) if y.shape[1] > 1 else (y[:, 0] > 0).astype(np.int64)
    return (y > 0).astype(np.int64) if np.min(y) < 0 else y.astype(np.int64)


def accuracy(out: np.ndarray, y: Any, threshold: float = 0.5) -> float:
    """Fraction of correct class decisions from raw outputs ``out`` (see ``predict_classes``).

    Labels y: integers (0..k-1) or one-hot rows for several outputs; 0/1 or ±1 for one output.

    Example:
        >>> accuracy(np.array([0.9, 0.2, 0.7]), [1, 0, 0])
        0.6666666666666666
        >>> accuracy(np.array([[0.1, 2.0], [3.0, 0.0]]), [1, 0])
        1.0
    """
    y = np.asarray(y, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    return float(np.mean(_decide(out, threshold) == _true_classes(y)))


def _mse(out: np.ndarray, y: np.ndarray, threshold: float) -> float:
    return float(np.mean((out.reshape(len(y), -1) - y.reshape(len(y), -1)) ** 2))


def _mae(out: np.ndarray, y: np.ndarray, threshold: float) -> float:
    return float(np.mean(np.abs(out.reshape(len(y), -1) - y.reshape(len(y), -1))))


def _r2(out: np.ndarray, y: np.ndarray, threshold: float) -> float:
    o, t = out.reshape(len(y), -1), y.reshape(len(y), -1)
    ss_res = np.sum((t - o) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    scores = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.where(ss_res > 0, 0.0, 1.0))
    return float(np.mean(scores))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray, float], float]] = {
    "accuracy": accuracy,
    "mse": _mse,
    "mae": _mae,
    "r2": _r2,
}


def _metric_names(metrics: Any, loss_name: str) -> list[str]:
    if metrics == "auto":
        return ["accuracy"] if loss_name in CLASSIFICATION_LOSSES else []
    if metrics is None:
        return []
    if isinstance(metrics, str):
        metrics = [metrics]
    names = []
    for m in metrics:
        if m not in METRICS:
            raise ConfigError(f"unknown metric {excerpt(m)}; choose from {sorted(METRICS)}")
        names.append(m)
    return names


# --- evaluation ---------------------------------------------------------------------------


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return _losses.canonical_name(loss)
    return getattr(loss, "__name__", "custom")


def _output_width(model: Any) -> int | None:
    nouts = getattr(model, "nouts", None)
    if isinstance(nouts, (list, tuple)) and nouts:
        return int(nouts[-1])
    nout = getattr(model, "nout", None)
    return nout if isinstance(nout, int) else None


def choose_loss(y: Any, model: Any = None) -> str:
    """The loss ``fit`` uses when none is given, picked from the targets (and the model's output).

    The rule, in order:

    - 1-D 0/1 labels and one output: ``binary_cross_entropy`` after a sigmoid output, else
      ``binary_cross_entropy_with_logits``;
    - 1-D whole numbers 0..k-1, or one-hot rows of k columns, and k >= 2 outputs:
      ``categorical_cross_entropy`` after a softmax output, else ``cross_entropy`` (on logits);
    - anything else (real numbers, ±1 labels, several real columns): ``mse``.

    hinge is never picked: pass ``loss="hinge"`` for micrograd's ±1 margin loss.

    Example:
        >>> from nn import MLP
        >>> choose_loss([0, 1, 1], MLP(2, [1])), choose_loss([0, 2, 1], MLP(2, [3])), choose_loss([0.5, 2.0])
        ('binary_cross_entropy_with_logits', 'cross_entropy', 'mse')
    """
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return "mse"  # fit's target check names the problem
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        return "mse"
    k = _output_width(model)
    out_act = _output_activation(model)
    whole = bool(np.all(arr == np.round(arr))) and float(arr.min()) >= 0
    if arr.ndim == 1 and whole and float(arr.max()) <= 1 and k in (None, 1):
        return "binary_cross_entropy" if out_act == "sigmoid" else "binary_cross_entropy_with_logits"
    one_hot = arr.ndim == 2 and whole and float(arr.max()) <= 1 and bool(np.all(arr.sum(axis=1) == 1))
    if (
        k is not None
        and k >= 2
        and ((arr.ndim == 1 and whole and float(arr.max()) < k) or (one_hot and arr.shape[1] == k))
    ):
        return "categorical_cross_entropy" if out_act == "softmax" else "cross_entropy"
    return "mse"


def _early_stopping(
    early_stopping: bool | None, patience: int | None, min_delta: float | None
) -> tuple[bool, int, float]:
    """(on, patience, min_delta): patience or min_delta given turns early stopping on, as in Keras."""
    asked = [f"{n}={excerpt(v)}" for n, v in (("patience", patience), ("min_delta", min_delta)) if v is not None]
    if early_stopping is False and asked:
        raise ConfigError(f"fit(): {' and '.join(asked)} given with early_stopping=False; drop one of them")
    on = bool(early_stopping) or (early_stopping is None and bool(asked))
    patience = check_count(10 if patience is None else patience, "fit(): patience")
    min_delta = 0.0 if min_delta is None else min_delta
    if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or min_delta < 0:
        raise ConfigError(f"fit(): min_delta must be a number >= 0, got {excerpt(min_delta)}")
    return on, patience, float(min_delta)


def _prepare_targets(y: Any, loss_name: str, n: int, who: str) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{who}: y must be numbers (use MLPClassifier for string labels), got {np.asarray(y).dtype}"
        ) from None
    if arr.ndim == 0 or arr.shape[0] != n:
        raise ConfigError(f"{who}: X has {n} samples but y has shape {arr.shape}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if loss_name == "hinge" and arr.size and set(np.unique(arr).tolist()) <= {0.0, 1.0}:
        arr = 2.0 * arr - 1.0  # micrograd's hinge wants ±1 labels
    return arr


def evaluate(
    model: Callable[[Any], Any],
    X: Any,
    y: Any,
    loss: str | Callable[..., Value] = "mse",
    metrics: Sequence[str] | str | None = "auto",
) -> dict[str, float]:
    """Loss and metrics of ``model`` on (X, y), computed in one batch of lanes under ``no_grad``.

    Example:
        >>> from nn import MLP
        >>> model = MLP.from_weights([[[1.0, 0.0]]], [[0.0]], "linear")
        >>> evaluate(model, [[1.0, 5.0], [-1.0, 5.0]], [1, 0], loss="hinge")
        {'loss': 0.0, 'accuracy': 1.0}
    """
    name = _loss_name(loss)
    loss_fn = _losses.get(loss)
    arr = _features(X, model, "evaluate()")
    t = _prepare_targets(y, name, len(arr), "evaluate()")
    with no_grad():
        out = model(arr)
        value = float(loss_fn(out, t, reduction="mean").data)
    raw = _outputs(out)
    thr = _threshold(name, _output_activation(model), t)
    result = {"loss": value}
    for m in _metric_names(metrics, name):
        result[m] = METRICS[m](raw, t, thr)
    return result


# --- fit ----------------------------------------------------------------------------------


def _penalised(model: Any) -> list[Value]:
    """The parameters the L2 penalty applies to: weights, not biases (when names tell them apart)."""
    named = getattr(model, "named_parameters", None)
    if callable(named):
        return ParamList(p for name, p in named() if name.rsplit(".", 1)[-1] not in ("b", "bias"))
    return ParamList(model.parameters())


def _snapshot(model: Any) -> Any:
    if hasattr(model, "state_dict") and hasattr(model, "load_state_dict"):
        return model.state_dict()
    return [p.data for p in model.parameters()]


def _restore(model: Any, state: Any) -> None:
    if isinstance(state, Mapping):
        model.load_state_dict(state)
    else:
        for p, v in zip(model.parameters(), state, strict=True):
            p.data = v


def _progress_bar(show: bool, epochs: int) -> Any:
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, unit="epoch", file=sys.stderr, dynamic_ncols=True, leave=True)


def _fraction(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not 0 <= x < 1:
        raise ConfigError(f"fit(): {name} must be a fraction in [0, 1), got {excerpt(x)}")
    return float(x)


def fit(
    model: Any,
    X: Any,
    y: Any,
    loss: str | Callable[..., Value] | None = None,
    optimizer: str | Optimizer = "sgd",
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    early_stopping: bool | None = None,
    patience: int | None = None,
    min_delta: float | None = None,
    metrics: Sequence[str] | str | None = "auto",
    alpha: float = 0.0,
    schedule: str | Schedule | None = None,
    schedule_options: Mapping[str, Any] | None = None,
    optimizer_options: Mapping[str, Any] | None = None,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``model`` on (X, y) with mini-batch gradient descent; returns a ``History``.

    Each mini-batch is passed to the model as one 2-D array (one graph, a lane per sample):
    forward, ``loss(out, y_batch, reduction="mean") + alpha * sum(w**2)``, ``backward()``,
    optimizer step.

    Parameters:
        model: an nn Module (``MLP``) or any callable on a 2-D array with ``parameters()``.
        X: features, shape (n_samples, n_features).
        y: targets: numbers (n_samples,) or (n_samples, k); integer labels for cross_entropy;
            0/1 or ±1 labels for binary losses (0/1 labels are mapped to ±1 for ``hinge``).
        loss: a loss name from ``nn.losses`` or a callable ``loss(pred, target, reduction)``;
            None picks one from the targets (see ``choose_loss``: 0/1 labels -> binary
            cross-entropy, integer labels for k outputs -> cross-entropy, else mse) and
            ``History.loss_name`` records it.
        optimizer: "sgd", "adam", "rmsprop" or an Optimizer instance over the model's parameters.
        lr: learning rate of a named optimizer (its default when None).
        epochs: number of passes over the training data.
        batch_size: samples per step; None (or >= n_samples) for full-batch training.
        shuffle: reshuffle the training data every epoch.
        seed: seeds the shuffles and the validation split.
        validation_data: (X_val, y_val) evaluated after every epoch.
        validation_split: fraction of (X, y) held out for validation (stratified for
            classification losses) when no ``validation_data`` is given.
        early_stopping: stop when the monitored loss (val_loss, else loss) has not improved by
            ``min_delta`` for ``patience`` epochs, and restore the best weights. None (the
            default): on when ``patience`` or ``min_delta`` is given, as Keras's EarlyStopping.
        patience, min_delta: early-stopping settings (default 10 and 0.0); giving either with
            ``early_stopping=False`` is a ConfigError.
        metrics: names from ``METRICS`` ("accuracy", "mse", "mae", "r2"); "auto" is accuracy
            for classification losses and nothing for regression.
        alpha: L2 penalty coefficient on the weights (not the biases).
        schedule: a learning-rate schedule name or instance (see ``nn.optim.get_schedule``),
            stepped after every epoch with the monitored loss; ``schedule_options`` are its
            keyword arguments. Training stops when an adaptive schedule is exhausted.
        optimizer_options: keyword arguments of a named optimizer (momentum, betas, ...).
        progress: show a tqdm progress bar (epoch, loss, metrics) when stderr is a terminal
            and tqdm is installed; False silences it.
        callbacks: functions ``callback(epoch, logs)`` called after every epoch with the
            epoch's numbers; returning True stops training.

    Example:
        >>> from nn import MLP
        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, noise=0.1, seed=0)
        >>> model = MLP(2, [8, 1], seed=0)
        >>> h = fit(model, X, y, loss="hinge", lr=0.1, epochs=5, batch_size=None, progress=False)
        >>> h.epochs, sorted(h.to_dict())[:3]
        (5, ['best_epoch', 'epochs', 'grad_norms'])
    """
    if loss is None:
        loss = choose_loss(y, model)
    name = _loss_name(loss)
    loss_fn = _losses.get(loss)
    Xa = _features(X, model, "fit()")
    ya = _prepare_targets(y, name, len(Xa), "fit()")
    check_scale(Xa, "X", "fit()")
    check_scale(ya, "y", "fit()")
    epochs = check_count(epochs, "fit(): epochs")
    early_stopping, patience, min_delta = _early_stopping(early_stopping, patience, min_delta)
    check_nonneg(alpha, "fit(): alpha")
    validation_split = _fraction(validation_split, "validation_split")
    metric_names = _metric_names(metrics, name)
    classification = name in CLASSIFICATION_LOSSES

    # validation data
    Xv = yv = None
    if validation_data is not None:
        try:
            Xv_raw, yv_raw = validation_data
        except (TypeError, ValueError):
            raise ConfigError("fit(): validation_data must be a pair (X_val, y_val)") from None
        Xv = _features(Xv_raw, model, "fit(validation_data)")
        yv = _prepare_targets(yv_raw, name, len(Xv), "fit(validation_data)")
        check_scale(Xv, "X_val", "fit(validation_data)")
        check_scale(yv, "y_val", "fit(validation_data)")
    elif validation_split:
        strat = classification and ya.ndim == 1
        Xa, Xv, ya, yv = train_test_split(Xa, ya, test_size=validation_split, seed=seed, stratify=strat)

    # optimizer and schedule
    if not isinstance(optimizer, str):  # an optimizer instance (duck-typed: anything with lr, step, zero_grad)
        methods_ok = all(callable(getattr(optimizer, m, None)) for m in ("step", "zero_grad"))
        if not methods_ok or not hasattr(optimizer, "lr"):
            raise ConfigError(f"fit(): optimizer must be a name or an Optimizer, got {type(optimizer).__name__}")
        opt = optimizer
        if lr is not None:
            opt.lr = lr
    else:
        kwargs = dict(optimizer_options or {})
        if lr is not None:
            kwargs["lr"] = lr
        opt = get_optimizer(optimizer, model.parameters(), **kwargs)
    sched: Schedule | None = None
    if not isinstance(schedule, str | None):  # a Schedule instance
        if not callable(getattr(schedule, "bind", None)) or not callable(getattr(schedule, "step", None)):
            raise ConfigError(f"fit(): schedule must be a name or a Schedule, got {type(schedule).__name__}")
        sched = schedule if getattr(schedule, "optimizer", None) is opt else schedule.bind(opt)
    elif schedule is not None:
        sched = get_schedule(schedule, opt, **dict(schedule_options or {}))

    n = len(Xa)
    bs = n if batch_size is None else check_count(batch_size, "fit(): batch_size")
    bs = min(bs, n)
    rng = np.random.default_rng(seed)
    thr = _threshold(name, _output_activation(model), ya)
    decay = _penalised(model) if alpha else []

    history = History(metrics={m: [] for m in metric_names}, loss_name=name)
    if Xv is not None:
        history.val_metrics = {m: [] for m in metric_names}
    best = math.inf
    best_state = None
    wait = 0
    show = bool(progress) and sys.stderr.isatty()
    bar = _progress_bar(show, epochs)
    plain = show and bar is None
    every = max(1, epochs // 10)

    params = model.parameters()
    if type(params) is not ParamList:  # a duck-typed model's list: the checks below read it in one go
        params = ParamList(params)
    # Overflow and NaN are caught explicitly (loss, gradients, new weights) and raised as
    # DivergenceError, so NumPy's floating-point warnings are silenced while training.
    errstate = np.errstate(all="ignore")
    errstate.__enter__()
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            epoch_lr = opt.lr
            order = rng.permutation(n) if shuffle else np.arange(n)
            total = 0.0
            seen_out: list[np.ndarray] = []
            for lo in range(0, n, bs):
                idx = order[lo : lo + bs]
                xb, yb = Xa[idx], ya[idx]
                out = model(xb)
                objective = loss_fn(out, yb, reduction="mean")
                if decay:
                    objective = objective + sum_squares(decay) * float(alpha)
                value = float(objective.data)
                if not math.isfinite(value):
                    _check_finite(np.array([value]), "the loss became", epoch + 1, opt.lr)
                opt.zero_grad()
                objective.backward()
                _check_step(params, "grad", "a gradient became", epoch + 1, opt.lr)
                opt.step()
                _check_step(params, "data", "the update made a weight", epoch + 1, opt.lr)
                total += value * len(idx)
                if metric_names:
                    seen_out.append(_outputs(out))
            logs: dict[str, Any] = {"epoch": epoch + 1, "loss": total / n, "lr": epoch_lr}
            history.loss.append(total / n)
            history.lr.append(epoch_lr)
            if metric_names:
                raw = np.concatenate(seen_out)
                ys = ya[order]
                for m in metric_names:
                    logs[m] = METRICS[m](raw, ys, thr)
                    history.metrics[m].append(logs[m])
            if Xv is not None:
                with no_grad():
                    vout = model(Xv)
                    vloss = float(loss_fn(vout, yv, reduction="mean").data)
                history.val_loss.append(vloss)
                logs["val_loss"] = vloss
                vraw = _outputs(vout)
                for m in metric_names:
                    logs["val_" + m] = METRICS[m](vraw, yv, thr)
                    history.val_metrics[m].append(logs["val_" + m])
            history.grad_norms.append(layer_grad_norms(model))
            history.seconds.append(time.perf_counter() - start)
            logs["seconds"] = history.seconds[-1]

            monitored = logs["val_loss"] if Xv is not None else logs["loss"]
            stop = False
            if early_stopping:
                if monitored < best - min_delta:
                    best, wait, history.best_epoch = monitored, 0, epoch
                    best_state = _snapshot(model)
                else:
                    wait += 1
                    stop = wait >= patience
            if sched is not None:
                sched.step(epoch + 1, monitored)
                stop = stop or bool(getattr(sched, "exhausted", False))
            for cb in callbacks:
                stop = bool(cb(epoch, dict(logs))) or stop

            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k not in ("epoch", "seconds", "lr")})
                bar.update(1)
            elif plain and ((epoch + 1) % every == 0 or epoch + 1 == epochs or stop):
                shown = "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k not in ("epoch", "seconds", "lr"))
                print(f"epoch {epoch + 1}/{epochs}  {shown}", file=sys.stderr)
            if stop:
                history.stopped_early = epoch + 1 < epochs
                break
    finally:
        errstate.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    if early_stopping and best_state is not None:
        _restore(model, best_state)
    return history
