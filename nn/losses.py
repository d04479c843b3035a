"""Loss functions on a model's outputs: one scalar Value to call ``backward()`` on.

Every loss is ``loss(pred, target, reduction="mean")``:

- ``pred``: a Value (a single output) or a list of Values (one per output, k outputs), each
  a scalar (one sample) or laned (a batch of m samples, all with the same lanes).
- ``target``: for one sample, a number (k = 1) or k numbers; for a batch, a 1-D array of m
  values (k = 1) or a 2-D array of shape (m, k). Classification losses also take integer
  labels (see ``cross_entropy``).
- ``reduction``: ``"mean"`` or ``"sum"``. The result is always ONE scalar Value.

Exact definitions, with e = pred - target over m samples and k outputs (PyTorch's
conventions where PyTorch has the loss):

========================================  ==================================  =============================
loss                                      "sum"                               "mean"
========================================  ==================================  =============================
mse                                       Σ_n Σ_j e²                          sum / (m k)  (every element)
sse                                       ½ Σ_n Σ_j e²  (the seeds' E)        sum / m      (per sample)
mae                                       Σ_n Σ_j |e|                         sum / (m k)
binary_cross_entropy (p in (0, 1))        -Σ t log p + (1-t) log(1-p)         sum / (m k)
binary_cross_entropy_with_logits (z)      Σ softplus(z) - t z                 sum / (m k)
cross_entropy (logits z, k >= 2)          -Σ_n Σ_j y_j log_softmax(z)_j       sum / m
categorical_cross_entropy (probs p)       -Σ_n Σ_j y_j log p_j                sum / m
hinge (labels ±1, micrograd's)            Σ_n Σ_j relu(1 - t score)           sum / (m k)
========================================  ==================================  =============================

Probabilities are clipped to [eps, 1 - eps] (eps = 1e-12) before the log, so a saturated
output gives a large finite loss instead of an error; where clipping is active the gradient is
zero. ``y`` in the cross-entropies is a one-hot (or probability) row; integer labels are turned
into one-hot rows. The mean of per-sample "mean" losses equals the batch "mean" loss.

Example:
    >>> import numpy as np
    >>> from autograd_core import Value
    >>> from nn import losses
    >>> losses.mse(Value(np.array([1.0, 2.0])), np.array([0.0, 0.0])).data  # (1 + 4) / 2
    2.5
    >>> losses.sse([Value(1.0), Value(3.0)], [0.0, 1.0]).data                # ½ (1 + 4)
    2.5
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import OperandTypeError, ShapeError, Value
from autograd_core.errors import excerpt

from .errors import ConfigError
from .names import LOSS_ALIASES

EPS = 1e-12
Pred = Value | Sequence[Value]
LossFn = Callable[..., Value]

__all__ = [
    "EPS",
    "NAMES",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "canonical_name",
    "categorical_cross_entropy",
    "cross_entropy",
    "get",
    "hinge",
    "l2_penalty",
    "mae",
    "mse",
    "sse",
]


# --- checking and shaping ------------------------------------------------------------------


def _preds(pred: Any, who: str) -> tuple[list[Value], int | None]:
    """The outputs as a list of Values and their lane count (None for one sample)."""
    if isinstance(pred, Value):
        preds = [pred]
    elif isinstance(pred, (list, tuple)) and pred and all(isinstance(p, Value) for p in pred):
        preds = list(pred)
    else:
        raise OperandTypeError(
            f"{who}: pred must be a Value or a non-empty list of Values (a model's outputs), got {type(pred).__name__}"
        )
    lanes = {p.data.shape[0] if type(p.data) is np.ndarray else None for p in preds}
    if len(lanes) > 1:
        raise ShapeError(f"{who}: the outputs carry different lane counts {sorted(lanes, key=str)}")
    return preds, lanes.pop()


def _check_reduction(reduction: Any, who: str) -> None:
    if reduction not in ("mean", "sum"):
        raise ConfigError(f"{who}: reduction must be 'mean' or 'sum', got {excerpt(reduction)}")


def _array(target: Any, who: str) -> np.ndarray:
    if isinstance(target, Value):
        raise OperandTypeError(f"{who}: target must be numbers or an array, not a Value (pass its .data)")
    if isinstance(target, str):
        raise OperandTypeError(f"{who}: target must be numbers or an array, got str")
    try:
        arr = np.asarray(target, dtype=np.float64)
    except (TypeError, ValueError):
        raise OperandTypeError(f"{who}: target must be numbers or an array, got {type(target).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise ShapeError(f"{who}: target holds a non-finite value")
    return arr


def _expected(k: int, lanes: int | None) -> str:
    if lanes is None:
        return "a number" if k == 1 else f"{k} numbers (one per output)"
    return f"a 1-D array of {lanes} values (one per sample)" if k == 1 else f"a 2-D array of shape ({lanes}, {k})"


def _targets(target: Any, k: int, lanes: int | None, who: str) -> np.ndarray:
    """The target as an array of shape (samples, outputs)."""
    arr = _array(target, who)
    rows = 1 if lanes is None else lanes
    if arr.shape == (rows, k):
        return arr
    if arr.ndim == 0 and rows == 1 and k == 1:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        if lanes is None and arr.shape[0] == k:
            return arr.reshape(1, k)
        if k == 1 and arr.shape[0] == rows:
            return arr.reshape(rows, 1)
    samples = "one sample" if lanes is None else f"{lanes} samples"
    raise ShapeError(
        f"{who}: target of shape {arr.shape} does not fit {k} output(s) x {samples}; expected {_expected(k, lanes)}"
    )


def _class_targets(target: Any, k: int, lanes: int | None, who: str) -> np.ndarray:
    """Integer labels or one-hot / probability rows, as an array of shape (samples, k)."""
    if k < 2:
        raise ShapeError(f"{who}: needs at least 2 outputs (one per class), got {k}")
    arr = _array(target, who)
    rows = 1 if lanes is None else lanes
    labels = None
    if lanes is None and arr.ndim == 0:
        labels = arr.reshape(1)
    elif lanes is not None and arr.shape == (rows,):
        labels = arr
    elif arr.shape == (rows, k) or (lanes is None and arr.shape == (k,)):
        probs = arr.reshape(rows, k)
        if np.any(probs < 0):
            raise ShapeError(f"{who}: one-hot / probability targets must be non-negative")
        return probs
    else:
        want = "an integer label or" if lanes is None else f"{rows} integer labels (a 1-D array) or"
        shape = f"({k},)" if lanes is None else f"({rows}, {k})"
        raise ShapeError(
            f"{who}: target of shape {arr.shape} does not fit; expected {want} one-hot rows of shape {shape}"
        )
    if np.any(labels != np.round(labels)):
        bad = float(labels[labels != np.round(labels)][0])
        raise ShapeError(f"{who}: class labels must be integers, got {excerpt(bad)}")
    if np.any((labels < 0) | (labels >= k)):
        bad = labels[(labels < 0) | (labels >= k)][0]
        raise ShapeError(f"{who}: label {int(bad)} is out of range for {k} outputs (valid labels 0..{k - 1})")
    onehot = np.zeros((rows, k))
    onehot[np.arange(rows), labels.astype(int)] = 1.0
    return onehot


def _columns(T: np.ndarray, lanes: int | None) -> list[Any]:
    """Column j of the target: a float for one sample, a contiguous lane array for a batch."""
    if lanes is None:
        return [float(t) for t in T[0]]
    return list(np.ascontiguousarray(T.T))


def _reduce(terms: list[Value], lanes: int | None, reduction: str, per_element: bool, factor: float = 1.0) -> Value:
    """Sum the terms over outputs, reduce over lanes, scale: one scalar Value."""
    k = len(terms)
    s = terms[0] if k == 1 else ag.sum_values(terms)
    if lanes is not None:
        s = s.mean() if reduction == "mean" else s.sum()
    scale = factor / k if (reduction == "mean" and per_element) else factor
    return s if scale == 1.0 else s * scale


def _squared_error(p: Value, t: Any) -> Value:
    d = p - t
    return d * d


def _elementwise(
    who: str,
    pred: Any,
    target: Any,
    reduction: str,
    term: Callable[[Value, Any], Value],
    per_element: bool = True,
    factor: float = 1.0,
    check: Callable[[np.ndarray, str], None] | None = None,
) -> Value:
    preds, lanes = _preds(pred, who)
    _check_reduction(reduction, who)
    T = _targets(target, len(preds), lanes, who)
    if check is not None:
        check(T, who)
    terms = [term(p, t) for p, t in zip(preds, _columns(T, lanes), strict=True)]
    return _reduce(terms, lanes, reduction, per_element, factor)


def _check_unit_interval(T: np.ndarray, who: str) -> None:
    if np.any((T < 0) | (T > 1)):
        raise ShapeError(f"{who}: targets must lie in [0, 1], got {excerpt(float(T[(T < 0) | (T > 1)][0]))}")


def _check_signs(T: np.ndarray, who: str) -> None:
    if np.any(np.abs(T) != 1):
        bad = float(T[np.abs(T) != 1][0])
        raise ShapeError(f"{who}: labels must be -1 or +1, got {excerpt(bad)} (map 0/1 labels with 2 * y - 1)")


def _clip(p: Value, eps: float) -> Value:
    return ag.minimum(ag.maximum(p, eps), 1.0 - eps)


# --- the losses ----------------------------------------------------------------------------


def mse(pred: Pred, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error: the mean of (pred - target)² over every sample and output.

    Example:
        >>> from autograd_core import Value
        >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data  # (1 + 4) / 2
        2.5
    """

    return _elementwise("mse", pred, target, reduction, _squared_error)


def sse(pred: Pred, target: Any, reduction: str = "mean") -> Value:
    """The seeds' sum of squared errors E = ½ Σ_j (y_j - t_j)²; "mean" averages E over samples.

    Example:
        >>> from autograd_core import Value
        >>> sse(Value(3.0), 1.0).data  # ½ (3 - 1)²
        2.0
    """

    return _elementwise("sse", pred, target, reduction, _squared_error, per_element=False, factor=0.5)


def mae(pred: Pred, target: Any, reduction: str = "mean") -> Value:
    """Mean absolute error: the mean of |pred - target| over every sample and output.

    Example:
        >>> from autograd_core import Value
        >>> mae([Value(1.0), Value(-3.0)], [0.0, 1.0]).data  # (1 + 4) / 2
        2.5
    """
    return _elementwise("mae", pred, target, reduction, lambda p, t: abs(p - t))


def binary_cross_entropy(pred: Pred, target: Any, reduction: str = "mean", eps: float = EPS) -> Value:
    """-(t log p + (1 - t) log(1 - p)) on probabilities p (clipped to [eps, 1 - eps]); t in [0, 1].

    Example:
        >>> from autograd_core import Value
        >>> round(binary_cross_entropy(Value(0.8), 1.0).data, 6)  # -log 0.8
        0.223144
    """

    def term(p: Value, t: Any) -> Value:
        pc = _clip(p, eps)
        return -(t * ag.log(pc) + (1.0 - t) * ag.log(1.0 - pc))

    return _elementwise("binary_cross_entropy", pred, target, reduction, term, check=_check_unit_interval)


def binary_cross_entropy_with_logits(pred: Pred, target: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy on logits z, stable for any z: softplus(z) - t z.

    Equal to ``binary_cross_entropy(sigmoid(z), t)`` without its clipping or overflow.

    Example:
        >>> from autograd_core import Value
        >>> round(binary_cross_entropy_with_logits(Value(0.0), 1.0).data, 6)  # log 2
        0.693147
        >>> binary_cross_entropy_with_logits(Value(1000.0), 1.0).data
        0.0
    """
    return _elementwise(
        "binary_cross_entropy_with_logits",
        pred,
        target,
        reduction,
        lambda z, t: ag.softplus(z) - t * z,
        check=_check_unit_interval,
    )


def _class_loss(who: str, pred: Any, target: Any, reduction: str, logs: Callable[[list[Value]], list[Value]]) -> Value:
    preds, lanes = _preds(pred, who)
    _check_reduction(reduction, who)
    Y = _class_targets(target, len(preds), lanes, who)
    cols = _columns(Y, lanes)
    used = [j for j in range(len(preds)) if np.any(Y[:, j])]  # classes no sample asks for add nothing
    logp = logs(preds)
    if lanes is None:
        terms = [logp[j] * cols[j] if cols[j] != 1.0 else logp[j] for j in used]
    else:
        terms = [logp[j] * cols[j] for j in used]
    if not terms:  # all-zero targets: the loss is 0 (still a graph node, so backward works)
        terms = [preds[0] * 0.0]
    return -_reduce(terms, lanes, reduction, per_element=False)


def cross_entropy(pred: Sequence[Value], target: Any, reduction: str = "mean") -> Value:
    """Softmax cross-entropy on logits (a model with a linear output): -Σ_j y_j log_softmax(z)_j.

    ``target``: for one sample an integer label (0..k-1) or a one-hot row of k numbers; for
    a batch of m samples a 1-D array of m integer labels or a 2-D array (m, k) of one-hot
    (or probability) rows. "mean" averages over samples (PyTorch's CrossEntropyLoss).

    Example:
        >>> from autograd_core import Value
        >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 6)  # log 2
        0.693147
    """
    preds, lanes = _preds(pred, "cross_entropy")
    _check_reduction(reduction, "cross_entropy")
    Y = _class_targets(target, len(preds), lanes, "cross_entropy")
    per_sample = ag.apply(ag.ops.SOFTMAX_XENT, *preds, *_columns(Y, lanes))  # one node: Σ_j y_j (lse(z) - z_j)
    if lanes is None:
        return per_sample
    return per_sample.mean() if reduction == "mean" else per_sample.sum()


def categorical_cross_entropy(pred: Sequence[Value], target: Any, reduction: str = "mean", eps: float = EPS) -> Value:
    """Cross-entropy on probabilities (a softmax output layer): -Σ_j y_j log p_j, p clipped at eps.

    Targets as for ``cross_entropy``. Use this, not ``cross_entropy``, on a model with
    ``output_activation="softmax"`` (``cross_entropy`` would apply softmax a second time).

    Example:
        >>> from autograd_core import Value
        >>> round(categorical_cross_entropy([Value(0.25), Value(0.75)], 1).data, 6)  # -log 0.75
        0.287682
    """
    return _class_loss(
        "categorical_cross_entropy", pred, target, reduction, lambda ps: [ag.log(ag.maximum(p, eps)) for p in ps]
    )


def hinge(pred: Pred, target: Any, reduction: str = "mean") -> Value:
    """micrograd's max-margin loss relu(1 - t * score) with labels t = ±1.

    Example:
        >>> from autograd_core import Value
        >>> hinge(Value(0.25), -1).data  # 1 + 0.25
        1.25
    """
    return _elementwise("hinge", pred, target, reduction, lambda s, t: (1.0 - t * s).relu(), check=_check_signs)


def l2_penalty(params: Iterable[Value], alpha: float) -> Value:
    """alpha * Σ p² over the parameters as one expression (one sum_squares node and one multiply).

    Example:
        >>> from autograd_core import Value
        >>> l2_penalty([Value(1.0), Value(2.0)], 0.1).data
        0.5
    """
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool):
        raise OperandTypeError(f"l2_penalty: alpha must be a number, got {type(alpha).__name__}")
    if type(params) is ag.ParamList:  # one node read from the buffer; its plan (made once) checks the items
        ps: Any = params
        try:
            ps.plan()
        except OperandTypeError as err:
            raise OperandTypeError(f"l2_penalty: {err}") from None
    else:
        ps = list(params)
        for i, p in enumerate(ps):
            if not isinstance(p, Value):
                raise OperandTypeError(f"l2_penalty: params[{i}] is a {type(p).__name__}, expected a Value")
    if not ps:
        return Value(0.0)
    return ag.sum_squares(ps) * float(alpha)


_LOSSES: dict[str, LossFn] = {
    "mse": mse,
    "sse": sse,
    "mae": mae,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
    "hinge": hinge,
}
_ALIASES = LOSS_ALIASES
NAMES: tuple[str, ...] = tuple(sorted([*_LOSSES, *_ALIASES]))


def canonical_name(name: str) -> str:
    """The canonical name of a loss ('bce' -> 'binary_cross_entropy').

    Example:
        >>> canonical_name("BCE"), canonical_name("ce")
        ('binary_cross_entropy', 'cross_entropy')
    """
    if not isinstance(name, str):
        raise OperandTypeError(
            f"a loss is named by a string, got {type(name).__name__}; valid names: {', '.join(NAMES)}"
        )
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _LOSSES:
        raise ConfigError(f"unknown loss {excerpt(name)}; valid names: {', '.join(NAMES)}")
    return key


def get(name: str | LossFn) -> LossFn:
    """The loss function for a name (case-insensitive, aliases allowed); a callable passes through.

    Example:
        >>> get("mse") is mse, get("bce_with_logits") is binary_cross_entropy_with_logits
        (True, True)
        >>> get("huber")
        Traceback (most recent call last):
        ...
        nn.errors.ConfigError: unknown loss 'huber'; valid names: bce, ...
    """
    if callable(name):
        return name
    return _LOSSES[canonical_name(name)]
