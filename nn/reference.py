"""The independent oracle: vectorised NumPy forward and backward of the same MLPs and CNNs.

Convolutions and pooling (``conv2d_*``, ``pool2d_*``, and ``cnn_*`` for a whole
``nn.Sequential``) are at the end of the module, with their notation.

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

from autograd_core.errors import excerpt

from .names import ACTIVATION_ALIASES, LOSS_ALIASES

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "activation_derivative",
    "backward",
    "cnn_forward",
    "cnn_gradients",
    "cnn_gradients_from_layers",
    "conv2d_backward",
    "conv2d_forward",
    "forward",
    "gradients",
    "gradients_from_weights",
    "loss_and_grad",
    "pool2d_backward",
    "pool2d_forward",
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
        raise ValueError(f"reference: unknown {what} {excerpt(name)}; valid: {', '.join(valid)}")
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
        raise ValueError(f"reference: reduction must be 'mean' or 'sum', got {excerpt(reduction)}")
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


# --- convolutional networks ---------------------------------------------------------------
#
# Images are arrays (m, C, H, W) (samples first, as PyTorch's); vectors after Flatten are
# columns (n, m), as above. Direct loops over the kernel offsets (i, j), each one a strided
# slice of the zero-padded input; nothing is shared with autograd_core.conv (no im2col index):
#
#     Ā = A zero-padded by (p_h, p_w)              window(i, j) = Ā[:, :, i :: s_h, j :: s_w] (oh × ow of it)
#     Z[n, f, y, x] = b[f] + Σ_{c,i,j} W[f, c, i, j] Ā[n, c, s_h y + i, s_w x + j]
#     dW[f, c, i, j] = Σ_{n,y,x} dZ[n, f, y, x] Ā[n, c, s_h y + i, s_w x + j]      db[f] = Σ_{n,y,x} dZ
#     dĀ[n, c, s_h y + i, s_w x + j] += Σ_f W[f, c, i, j] dZ[n, f, y, x]           dA = dĀ without the padding
#     max pool: P = max over the window; dP goes to the FIRST largest entry in row-major window
#               order (PyTorch's CPU rule on ties)
#     avg pool: P = mean over the window; every entry gets dP / (k_h k_w)


def _pair(v: Any) -> tuple[int, int]:
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    return int(t[0]), int(t[1])


def _out_len(n: int, k: int, s: int, p: int = 0) -> int:
    """How many windows of k fit with stride s along an axis of n padded by p on both sides."""
    if n + 2 * p < k:
        raise ValueError(f"reference: a window of {k} does not fit an axis of {n} with padding {p}")
    return (n + 2 * p - k) // s + 1


def _window(A: np.ndarray, i: int, j: int, s: tuple[int, int], out: tuple[int, int]) -> tuple[slice, ...]:
    """The index of kernel offset (i, j)'s entries for every output pixel: a strided slice of A."""
    (sh, sw), (oh, ow) = s, out
    return (slice(None), slice(None), slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))


def _pad(X: np.ndarray, p: tuple[int, int]) -> np.ndarray:
    return np.pad(X, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))


def conv2d_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray, stride: Any = 1, padding: Any = 0) -> np.ndarray:
    """Z = W ⋆ X + b (cross-correlation, PyTorch's ``conv2d``): X (m, C, H, W), W (F, C, kh, kw) -> (m, F, oh, ow).

    Example:
        >>> X = np.arange(9.0).reshape(1, 1, 3, 3); W = np.array([[[[1.0, 0.0], [0.0, 1.0]]]])
        >>> conv2d_forward(X, W, np.array([0.5]))[0, 0].tolist()
        [[4.5, 6.5], [10.5, 12.5]]
    """
    X, W = np.asarray(X, dtype=np.float64), np.asarray(W, dtype=np.float64)
    s, p = _pair(stride), _pair(padding)
    m, C, H, Wd = X.shape
    F, C2, kh, kw = W.shape
    if C2 != C:
        raise ValueError(f"reference: filters of {C2} channels for an input of {C}")
    out = (_out_len(H, kh, s[0], p[0]), _out_len(Wd, kw, s[1], p[1]))
    Xp = _pad(X, p)
    Z = np.zeros((m, F, *out)) + np.asarray(b, dtype=np.float64).reshape(1, F, 1, 1)
    for i in range(kh):
        for j in range(kw):
            Z += np.einsum("fc,ncyx->nfyx", W[:, :, i, j], Xp[_window(Xp, i, j, s, out)])
    return Z


def conv2d_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray, stride: Any = 1, padding: Any = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dX, dW, db) of a convolution from dZ = ∂L/∂Z (m, F, oh, ow); shapes as X, W and (F,).

    Example:
        >>> X = np.ones((1, 1, 3, 3)); W = np.ones((1, 1, 2, 2))
        >>> dX, dW, db = conv2d_backward(np.ones((1, 1, 2, 2)), X, W)
        >>> dX[0, 0].tolist(), dW[0, 0].tolist(), db.tolist()  # the centre pixel is in all 4 windows
        ([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]], [[4.0, 4.0], [4.0, 4.0]], [4.0])
    """
    X, W = np.asarray(X, dtype=np.float64), np.asarray(W, dtype=np.float64)
    s, p = _pair(stride), _pair(padding)
    _, _, H, Wd = X.shape
    _, _, kh, kw = W.shape
    out = dZ.shape[2:]
    Xp = _pad(X, p)
    dXp = np.zeros_like(Xp)
    dW = np.zeros_like(W)
    for i in range(kh):
        for j in range(kw):
            where = _window(Xp, i, j, s, out)
            dW[:, :, i, j] = np.einsum("nfyx,ncyx->fc", dZ, Xp[where])
            dXp[where] += np.einsum("fc,nfyx->ncyx", W[:, :, i, j], dZ)
    return dXp[:, :, p[0] : p[0] + H, p[1] : p[1] + Wd], dW, dZ.sum(axis=(0, 2, 3))


def _pool_windows(X: np.ndarray, kernel: Any, stride: Any) -> tuple[list[tuple[slice, ...]], tuple[int, int]]:
    k = _pair(kernel)
    s = k if stride is None else _pair(stride)
    out = (_out_len(X.shape[2], k[0], s[0]), _out_len(X.shape[3], k[1], s[1]))
    return [_window(X, i, j, s, out) for i in range(k[0]) for j in range(k[1])], out  # row-major


def pool2d_forward(kind: str, X: np.ndarray, kernel: Any, stride: Any = None) -> np.ndarray:
    """Max or average pooling ("max" / "avg") of X (m, C, H, W); stride defaults to the kernel.

    Example:
        >>> X = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
        >>> pool2d_forward("max", X, 2).ravel().tolist(), pool2d_forward("avg", X, 2).ravel().tolist()
        ([5.0], [2.75])
    """
    X = np.asarray(X, dtype=np.float64)
    windows, _ = _pool_windows(X, kernel, stride)
    stack = np.stack([X[w] for w in windows])
    if kind == "max":
        return stack.max(axis=0)
    if kind == "avg":
        return stack.mean(axis=0)
    raise ValueError(f"reference: pooling kind must be 'max' or 'avg', got {excerpt(kind)}")


def pool2d_backward(kind: str, dP: np.ndarray, X: np.ndarray, kernel: Any, stride: Any = None) -> np.ndarray:
    """dX of a pooling from dP (m, C, oh, ow); max pooling sends dP to the first largest entry.

    Example:
        >>> X = np.array([[[[1.0, 5.0], [5.0, 2.0]]]])  # a tie: the first 5 (row-major) gets it
        >>> pool2d_backward("max", np.ones((1, 1, 1, 1)), X, 2)[0, 0].tolist()
        [[0.0, 1.0], [0.0, 0.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    windows, _ = _pool_windows(X, kernel, stride)
    dX = np.zeros_like(X)
    if kind == "avg":
        for w in windows:
            dX[w] += dP / len(windows)
        return dX
    stack = np.stack([X[w] for w in windows])
    first = np.argmax(stack, axis=0)  # argmax returns the first of equal maxima
    for k, w in enumerate(windows):
        dX[w] += dP * (first == k)
    return dX


def _stages(config: Any, Ws: Sequence[Any], bs: Sequence[Any]) -> list[dict[str, Any]]:
    """The layers of a ``Sequential.config()`` with their weights attached, as plain dicts."""
    stages, k = [], 0
    for cfg in config["layers"]:
        stage = dict(cfg)
        if cfg["type"] in ("Conv2d", "Layer"):
            stage["W"], stage["b"] = np.asarray(Ws[k], dtype=np.float64), np.asarray(bs[k], dtype=np.float64)
            k += 1
        stages.append(stage)
    return stages


def _cnn_forward(
    stages: list[dict[str, Any]], A: np.ndarray
) -> tuple[np.ndarray, list[tuple[Any, ...]], tuple[int, ...]]:
    """Run the stages on A (m, C, H, W): the output as columns (k, m), each stage's cache, the output's shape."""
    caches: list[tuple[Any, ...]] = []
    for st in stages:
        kind = st["type"]
        if kind == "Conv2d":
            caches.append((A,))
            A = conv2d_forward(A, st["W"], st["b"], st["stride"], st["padding"])
        elif kind in ("MaxPool2d", "AvgPool2d"):
            caches.append((A,))
            A = pool2d_forward(kind[:3].lower(), A, st["kernel_size"], st["stride"])
        elif kind == "Flatten":
            caches.append((A.shape,))
            A = A.reshape(A.shape[0], -1).T  # columns from here on
        elif kind == "Activation":
            name = _name(st["activation"], ACTIVATIONS, "activation")
            caches.append((name, A, _activate(name, A)))
            A = caches[-1][2]
        else:  # a dense Layer: Z = W A + b, A = g(Z)
            name = _name(st["activation"], ACTIVATIONS, "activation")
            Z = st["W"] @ A + st["b"].reshape(-1, 1)
            caches.append((name, A, Z, _activate(name, Z)))
            A = caches[-1][3]
    shape = A.shape
    return (A.reshape(A.shape[0], -1).T if A.ndim == 4 else A), caches, shape


def _cnn_backward(
    stages: list[dict[str, Any]], caches: list[tuple[Any, ...]], dA: np.ndarray, shape: tuple[int, ...]
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Back-propagate dA (k, m) of the output through the stages: (dWs, dbs, dX), dX (m, C, H, W)."""
    if len(shape) == 4:
        dA = dA.T.reshape(shape)  # the output was an image: undo the flattening
    dWs, dbs = [], []
    for st, cache in zip(reversed(stages), reversed(caches)):
        kind = st["type"]
        if kind == "Conv2d":
            dA, dW, db = conv2d_backward(dA, cache[0], st["W"], st["stride"], st["padding"])
            dWs.append(dW)
            dbs.append(db)
        elif kind in ("MaxPool2d", "AvgPool2d"):
            dA = pool2d_backward(kind[:3].lower(), dA, cache[0], st["kernel_size"], st["stride"])
        elif kind == "Flatten":
            dA = dA.T.reshape(cache[0])
        elif kind == "Activation":
            name, Z, A = cache
            dA = _back_through(name, dA, Z, A)
        else:
            name, A_prev, Z, A = cache
            dZ = _back_through(name, dA, Z, A)
            dWs.append(dZ @ A_prev.T)
            dbs.append(dZ.sum(axis=1))
            dA = st["W"].T @ dZ
    return dWs[::-1], dbs[::-1], dA


def _images(config: Any, X: np.ndarray) -> np.ndarray:
    shape = tuple(config["input_shape"])
    return X.reshape(X.shape[0], *shape) if len(shape) == 3 else X.reshape(X.shape[0], -1).T


def cnn_forward(config: Any, Ws: Sequence[Any], bs: Sequence[Any], X: np.ndarray) -> np.ndarray:
    """The output of a Sequential (config data and weights, see ``cnn_gradients_from_layers``) as columns (k, m).

    Example:
        >>> cfg = {"input_shape": [1, 2, 2], "layers": [{"type": "MaxPool2d", "kernel_size": [2, 1], "stride": [2, 1]}]}
        >>> cnn_forward(cfg, [], [], np.array([[1.0, 4.0, 3.0, 2.0]])).tolist()  # max of each column pair
        [[3.0], [4.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    return _cnn_forward(_stages(config, Ws, bs), _images(config, X))[0]


def cnn_gradients_from_layers(
    config: Any,
    Ws: Sequence[Any],
    bs: Sequence[Any],
    X: np.ndarray,
    y: Any,
    loss: str = "mse",
    reduction: str = "mean",
) -> tuple[float, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(loss, dWs, dbs, dX) of a Sequential given as config data and weights in PyTorch's layouts.

    ``config`` is ``Sequential.config()`` (its ``input_shape`` and ``layers``); ``Ws``/``bs`` as
    ``Sequential.weights()``: (F, C, kh, kw) for a convolution, (nout, nin) for a dense layer.
    ``X`` is (m, C·H·W) or (m, C, H, W); ``dX`` = ∂loss/∂X has X's shape. ``y`` as in ``gradients``.

    Example:
        >>> cfg = {"input_shape": [1, 2, 2], "layers": [{"type": "Conv2d", "stride": [1, 1], "padding": [0, 0]}]}
        >>> loss, dWs, dbs, dX = cnn_gradients_from_layers(cfg, [np.ones((1, 1, 2, 2))], [[0.0]],
        ...                                                np.array([[1.0, 2.0, 3.0, 4.0]]), [9.0], "sse")
        >>> loss, dWs[0].ravel().tolist(), dX.tolist()  # ½ (10 - 9)², x, w
        (0.5, [1.0, 2.0, 3.0, 4.0], [[1.0, 1.0, 1.0, 1.0]])
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reference: reduction must be 'mean' or 'sum', got {excerpt(reduction)}")
    X = np.asarray(X, dtype=np.float64)
    stages = _stages(config, Ws, bs)
    A, caches, out_shape = _cnn_forward(stages, _images(config, X))
    loss = _name(loss, LOSSES, "loss")
    k, m = A.shape
    value, dA = loss_and_grad(loss, A, A, _targets(y, k, m, loss), "linear", reduction)
    dWs, dbs, dX = _cnn_backward(stages, caches, dA, out_shape)
    dX = dX.reshape(X.shape) if len(config["input_shape"]) == 3 else dX.T.reshape(X.shape)
    return value, dWs, dbs, dX


def cnn_gradients(
    model: Any, X: np.ndarray, y: Any, loss: str = "mse", reduction: str = "mean"
) -> tuple[float, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(loss, dWs, dbs, dX) for an ``nn.Sequential``, from its ``config()`` and ``weights()``.

    Example:
        >>> from nn import Conv2d, Flatten, Layer, MaxPool2d, Sequential
        >>> model = Sequential(Conv2d(1, 2, 3, padding=1), "relu", MaxPool2d(2), Flatten(), Layer(8, 3, "linear"),
        ...                    input_shape=(1, 4, 4), seed=0)
        >>> X = np.random.default_rng(0).normal(size=(5, 16)); y = np.array([0, 1, 2, 1, 0])
        >>> loss, dWs, dbs, dX = cnn_gradients(model, X, y, "cross_entropy")
        >>> [dW.shape for dW in dWs], dX.shape
        ([(2, 1, 3, 3), (3, 8)], (5, 16))
    """
    Ws, bs = model.weights()
    return cnn_gradients_from_layers(model.config(), Ws, bs, X, y, loss, reduction)
