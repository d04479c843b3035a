"""The independent oracle: vectorised NumPy forward and backward of the same MLPs.

Written in the seeds' notation, with samples as columns and nothing shared with the engine
but the weights::

    A0 = X.T                        (n_0 x m)
    Z_l = W_l A_{l-1} + b_l         (n_l x m)       A_l = g_l(Z_l)
    dZ_L = dA_L * g_L'(Z_L)         (softmax: its Jacobian; with (categorical) cross-entropy
                                     dZ_L = A_L - Y, with sigmoid + BCE dZ_L = A_L - Y)
    dW_l = dZ_l A_{l-1}^T           db_l = row sums of dZ_l      (the 1/m sits in dZ_L)
    dZ_{l-1} = W_l^T dZ_l * g_{l-1}'(Z_{l-1})

The loss definitions match ``nn.losses`` exactly (see its table), including the clipping of
probabilities and the conventions at kinks: relu'(0) = 0, |x|'(0) = 0, elu'(0) = alpha (PyTorch's).

Example:
    >>> import numpy as np
    >>> from nn import MLP, reference
    >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> X = np.array([[0.5, -1.0], [1.0, 2.0]]); y = np.array([1.0, 0.0])
    >>> loss, dWs, dbs = reference.gradients(model, X, y, loss="mse")
    >>> [dW.shape for dW in dWs], [db.shape for db in dbs]
    ([(3, 2), (1, 3)], [(3,), (1,)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .names import ACTIVATION_ALIASES, LOSS_ALIASES

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "activation_derivative",
    "backward",
    "forward",
    "gradients",
    "gradients_from_weights",
    "loss_and_grad",
]

EPS = 1e-12
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
_ALIASES = {**ACTIVATION_ALIASES, **LOSS_ALIASES}
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "softmax")
LOSSES = (
    "mse",
    "sse",
    "mae",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "categorical_cross_entropy",
    "hinge",
)


def _name(name: str, valid: Sequence[str], what: str) -> str:
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in valid:
        raise ValueError(f"reference: unknown {what} {name!r}; valid: {', '.join(valid)}")
    return key


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -Z))  # 1 / (1 + e**-Z) without overflow


def _softmax(Z: np.ndarray) -> np.ndarray:
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def _activate(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return Z.copy()
    if name == "sigmoid":
        return _sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, LEAKY_SLOPE * Z)
    if name == "softplus":
        return np.logaddexp(0.0, Z)
    if name == "elu":
        return np.where(Z > 0, Z, ELU_ALPHA * np.expm1(np.minimum(Z, 0.0)))
    return _softmax(Z)


def activation_derivative(name: str, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """g'(Z) elementwise (not for softmax, whose Jacobian couples a layer's neurons).

    Example:
        >>> activation_derivative("tanh", np.array([0.0]), np.array([0.0]))
        array([1.])
    """
    name = _name(name, ACTIVATIONS, "activation")
    if name == "linear":
        return np.ones_like(Z)
    if name == "sigmoid":
        return A * (1.0 - A)
    if name == "tanh":
        return 1.0 - A * A
    if name == "relu":
        return (Z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, LEAKY_SLOPE)
    if name == "softplus":
        return _sigmoid(Z)
    if name == "elu":
        return np.where(Z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(Z, 0.0)))  # alpha at 0, as PyTorch
    raise ValueError("reference: softmax has no elementwise derivative; its backward uses the Jacobian")


def forward(
    Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], activations: str | Sequence[str], X: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The forward pass with caches: (Zs, As), Zs[l] = W_l A_{l-1} + b_l, As[0] = X.T.

    ``X`` has shape (m, n_0) (rows are samples, as the model takes them); the caches have
    samples as columns, so the output is ``As[-1]`` of shape (n_L, m). ``activations`` is
    one name or one per layer.

    Example:
        >>> Zs, As = forward([np.array([[1.0, -1.0]])], [np.array([0.5])], "relu", np.array([[2.0, 1.0]]))
        >>> Zs[0], As[-1]
        (array([[1.5]]), array([[1.5]]))
    """
    names = [activations] * len(Ws) if isinstance(activations, str) else list(activations)
    if len(names) != len(Ws) or len(bs) != len(Ws):
        raise ValueError(f"reference: {len(Ws)} weight matrices, {len(bs)} biases, {len(names)} activations")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    As = [X.T]
    Zs = []
    for W, b, name in zip(Ws, bs, names, strict=True):
        W = np.asarray(W, dtype=np.float64)
        Z = W @ As[-1] + np.asarray(b, dtype=np.float64).reshape(-1, 1)
        Zs.append(Z)
        As.append(_activate(_name(name, ACTIVATIONS, "activation"), Z))
    return Zs, As


def _targets(y: Any, k: int, m: int, loss: str) -> np.ndarray:
    """The targets as Y of shape (k, m): one column per sample, labels made one-hot."""
    y = np.asarray(y, dtype=np.float64)
    if loss in ("cross_entropy", "categorical_cross_entropy") and y.shape == (m,):
        Y = np.zeros((k, m))
        Y[y.astype(int), np.arange(m)] = 1.0
        return Y
    if y.shape == (m,) and k == 1:
        return y.reshape(1, m)
    if y.shape == (m, k):
        return y.T.copy()
    raise ValueError(f"reference: targets of shape {y.shape} do not fit {m} samples x {k} outputs")


def loss_and_grad(
    loss: str, A: np.ndarray, Z: np.ndarray, Y: np.ndarray, output_activation: str, reduction: str = "mean"
) -> tuple[float, np.ndarray]:
    """The loss value and dZ_L = ∂loss/∂Z_L for the output layer (A, Z, Y all (k, m)).

    Example:
        >>> A = Z = np.array([[2.0, 0.0]]); Y = np.array([[1.0, 1.0]])
        >>> loss_and_grad("mse", A, Z, Y, "linear")  # ((1 + 1) / 2, 2 (A - Y) / 2)
        (1.0, array([[ 1., -1.]]))
    """
    loss = _name(loss, LOSSES, "loss")
    act = _name(output_activation, ACTIVATIONS, "activation")
    k, m = A.shape
    per_element = loss in ("mse", "mae", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge")
    n = (m * k if per_element else m) if reduction == "mean" else 1
    E = A - Y
    dZ = None
    if loss == "mse":
        value, dA = np.sum(E * E), 2.0 * E
    elif loss == "sse":
        value, dA = 0.5 * np.sum(E * E), E
    elif loss == "mae":
        value, dA = np.sum(np.abs(E)), np.sign(E)
    elif loss == "binary_cross_entropy":
        inside = (A > EPS) & (A < 1.0 - EPS)
        Ac = np.clip(A, EPS, 1.0 - EPS)
        value = -np.sum(Y * np.log(Ac) + (1.0 - Y) * np.log(1.0 - Ac))
        dA = -(Y / Ac - (1.0 - Y) / (1.0 - Ac)) * inside
        if act == "sigmoid" and inside.all():
            dZ = A - Y  # the seeds' shortcut: σ'(Z) cancels the denominators
    elif loss == "binary_cross_entropy_with_logits":
        value, dA = np.sum(np.logaddexp(0.0, A) - Y * A), _sigmoid(A) - Y
    elif loss == "cross_entropy":
        logp = A - A.max(axis=0) - np.log(np.sum(np.exp(A - A.max(axis=0)), axis=0))
        value, dA = -np.sum(Y * logp), _softmax(A) * Y.sum(axis=0) - Y
    elif loss == "categorical_cross_entropy":
        inside = A > EPS
        value = -np.sum(Y * np.log(np.maximum(A, EPS)))
        dA = -Y / np.maximum(A, EPS) * inside
        if act == "softmax" and inside.all() and np.allclose(Y.sum(axis=0), 1.0, rtol=0, atol=1e-15):
            dZ = A - Y  # the seeds' shortcut for softmax + cross-entropy
    else:  # hinge
        margin = 1.0 - Y * A
        value, dA = np.sum(np.maximum(margin, 0.0)), -Y * (margin > 0)
    if dZ is None:
        dZ = _back_through(act, dA, Z, A)
    return float(value / n), dZ / n


def _back_through(name: str, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dZ from dA through an activation: softmax's Jacobian couples a layer, the rest are elementwise."""
    if name == "softmax":
        return A * (dA - np.sum(dA * A, axis=0, keepdims=True))
    return dA * activation_derivative(name, Z, A)


def backward(
    Ws: Sequence[np.ndarray], Zs: list[np.ndarray], As: list[np.ndarray], activations: Sequence[str], dZ: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Back-propagate dZ_L through the cached layers: (dWs, dbs), dW_l = dZ_l A_{l-1}^T.

    Example:
        >>> Zs, As = forward([np.eye(2)], [np.zeros(2)], "linear", np.array([[1.0, 2.0]]))
        >>> dWs, dbs = backward([np.eye(2)], Zs, As, ["linear"], np.array([[1.0], [0.0]]))
        >>> dWs[0].tolist(), dbs[0].tolist()
        ([[1.0, 2.0], [0.0, 0.0]], [1.0, 0.0])
    """
    L = len(Ws)
    dWs: list[np.ndarray] = [np.empty(0)] * L
    dbs: list[np.ndarray] = [np.empty(0)] * L
    for layer in range(L - 1, -1, -1):
        dWs[layer] = dZ @ As[layer].T
        dbs[layer] = dZ.sum(axis=1)
        if layer:
            dA = np.asarray(Ws[layer], dtype=np.float64).T @ dZ
            name = _name(activations[layer - 1], ACTIVATIONS, "activation")
            dZ = _back_through(name, dA, Zs[layer - 1], As[layer])
    return dWs, dbs


def gradients_from_weights(
    Ws: Sequence[np.ndarray],
    bs: Sequence[np.ndarray],
    activations: str | Sequence[str],
    X: np.ndarray,
    y: Any,
    loss: str = "mse",
    reduction: str = "mean",
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """(loss, dWs, dbs) for explicit weights: the core of ``gradients``.

    Example:
        >>> loss, dWs, dbs = gradients_from_weights([np.array([[2.0]])], [np.array([0.0])], "linear",
        ...                                         np.array([[1.0]]), np.array([1.0]), loss="sse")
        >>> loss, dWs[0].tolist(), dbs[0].tolist()  # ½ (2 - 1)², e x, e
        (0.5, [[1.0]], [1.0])
    """
    names = [activations] * len(Ws) if isinstance(activations, str) else list(activations)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reference: reduction must be 'mean' or 'sum', got {reduction!r}")
    Zs, As = forward(Ws, bs, names, X)
    k, m = As[-1].shape
    loss = _name(loss, LOSSES, "loss")
    Y = _targets(y, k, m, loss)
    value, dZ = loss_and_grad(loss, As[-1], Zs[-1], Y, names[-1], reduction)
    dWs, dbs = backward(Ws, Zs, As, names, dZ)
    return value, dWs, dbs


def gradients(
    model: Any, X: np.ndarray, y: Any, loss: str = "mse", reduction: str = "mean"
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The loss and its gradients for an MLP, from ``model.weights()`` and its activation names.

    ``X`` is (m, nin); ``y`` as for ``nn.losses`` (a 1-D array for one output or integer labels,
    else (m, k)). Returns (loss value, dWs, dbs) shaped like ``model.weights()``.

    Example:
        >>> from nn import MLP
        >>> model = MLP.from_weights([[[2.0]]], [[0.0]], "linear")
        >>> gradients(model, np.array([[1.0], [2.0]]), np.array([1.0, 1.0]), loss="mse")[0]  # (1 + 9) / 2
        5.0
    """
    Ws, bs = model.weights()
    return gradients_from_weights(Ws, bs, model.activations, X, y, loss, reduction)
