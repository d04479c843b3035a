"""Networks in the tutorials' notation, evaluated by the engine: the oracle of ``check_backprop``.

Shapes (samples are columns)::

    X: n_0 × m        W_l: n_l × n_(l−1)        b_l: n_l × 1
    Z_l = W_l A_(l−1) + b_l,   A_l = g_l(Z_l),   A_0 = X,   Y: n_L × m

The forward is built here from the engine's primitives (``dot``, the activations' ops, lane
sums), each row of X entering as one laned constant, so this module needs nothing outside
autograd_core. ``backward()`` then gives every dW_l and db_l.

Losses (m samples, k = n_L outputs, E = A_L − Y):

==============================  =====================================  =================
name                            J                                      output activation
==============================  =====================================  =================
mse                             (1 / (m k)) Σ E²                       any
sse                             (1 / m) Σ ½ E²  (the tutorials' E)     any
binary_cross_entropy            −(1 / (m k)) Σ Y log A + (1−Y) log(1−A)  sigmoid
categorical_cross_entropy       −(1 / m) Σ Y log A   (one-hot Y)       softmax (k ≥ 2)
==============================  =====================================  =================

Example:
    >>> import numpy as np
    >>> Ws, bs = [np.array([[2.0]])], [np.array([[0.0]])]
    >>> loss, dWs, dbs = engine_gradients(Ws, bs, ["linear"], np.array([[1.0]]), np.array([[1.0]]), "sse")
    >>> loss, dWs[0].tolist(), dbs[0].tolist()     # ½ (2 − 1)², e·x, e
    (0.5, [[1.0]], [[1.0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import compose
from ..errors import AutogradError, OperandTypeError, ShapeError, excerpt
from ..value import Value

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax")
KINKED = ("relu", "leaky_relu")  # their derivative jumps at Z = 0
LEAKY_SLOPE = 0.01
LOSSES = ("mse", "sse", "binary_cross_entropy", "categorical_cross_entropy")
LOSS_ALIASES = {
    "bce": "binary_cross_entropy",
    "cce": "categorical_cross_entropy",
    "cross_entropy": "categorical_cross_entropy",
}
OUTPUT_FOR_LOSS = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax"}


class SetupError(AutogradError, ValueError):
    """A check was configured with an unknown loss or activation, or an unusable option."""


class Network(NamedTuple):
    """A network in the tutorials' shapes: ``Ws[l]`` is n_(l+1) × n_l, ``bs[l]`` a column n_(l+1) × 1.

    Unpacks as ``Ws, bs, activations = network``; ``code()`` writes it as Python to paste.

    Example:
        >>> net = Network([np.array([[1.0, -0.5]])], [np.array([[0.25]])], ["sigmoid"])
        >>> net.sizes
        [2, 1]
        >>> print(net.code())
        Ws = [np.array([[1.0, -0.5]])]
        bs = [np.array([[0.25]])]
        activations = ['sigmoid']
    """

    Ws: list[np.ndarray]
    bs: list[np.ndarray]
    activations: list[str]

    @property
    def sizes(self) -> list[int]:
        """[n_0, n_1, ..., n_L]."""
        return [self.Ws[0].shape[1], *(W.shape[0] for W in self.Ws)]

    def code(self) -> str:
        """The network as three lines of Python (exact floats), to reproduce a failure."""
        return "\n".join(
            [
                f"Ws = [{', '.join(array_code(W) for W in self.Ws)}]",
                f"bs = [{', '.join(array_code(b) for b in self.bs)}]",
                f"activations = {list(self.activations)!r}",
            ]
        )


def array_code(a: np.ndarray) -> str:
    """``np.array([[...]])`` with every float written exactly (repr).

    Example:
        >>> array_code(np.array([[0.1, 2.0]]))
        'np.array([[0.1, 2.0]])'
    """
    return f"np.array({np.asarray(a, dtype=np.float64).tolist()!r})"


def loss_name(loss: str) -> str:
    """The canonical loss name (``bce`` → ``binary_cross_entropy``); ValueError for an unknown one.

    Example:
        >>> loss_name("bce")
        'binary_cross_entropy'
    """
    text = loss.lower() if isinstance(loss, str) else ""
    key = LOSS_ALIASES.get(text, text)
    if key not in LOSSES:
        raise SetupError(f"unknown loss {excerpt(loss)}; valid: {', '.join(LOSSES)} (aliases: bce, cce, cross_entropy)")
    return key


def check_activation(name: str, last: bool) -> str:
    """``name`` if the engine oracle knows it (softmax only on the output layer), else ValueError."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise SetupError(f"unknown activation {excerpt(name)}; valid: {', '.join(ACTIVATIONS)}")
    if name == "softmax" and not last:
        raise SetupError("softmax is only supported on the output layer")
    return name


def _activate(name: str, zs: list[Value]) -> list[Value]:
    if name == "linear":
        return zs
    if name == "softmax":
        return compose.softmax(zs)
    if name == "leaky_relu":
        return [z.leaky_relu(LEAKY_SLOPE) for z in zs]
    return [getattr(z, name)() for z in zs]


def forward_values(
    Ws: Sequence[Any], bs: Sequence[Any], activations: Sequence[str], X: np.ndarray
) -> tuple[list[list[Value]], list[list[Value]], list[list[Value]]]:
    """The engine's forward: (weight leaves, bias leaves, Zs as rows of laned Values).

    Returns ``(W_leaves, b_leaves, Zs)``; ``W_leaves[l][i][j]`` is the Value of W_l[i, j] and
    the last item of the returned ``Zs`` holds the output layer's activations as ``Zs[-1]``.
    """
    X = np.asarray(X, dtype=np.float64)
    rows: list[Any] = [X[i].copy() for i in range(X.shape[0])]  # one laned constant per input feature
    W_leaves, b_leaves, Zs = [], [], []
    L = len(Ws)
    for layer, (W, b, name) in enumerate(zip(Ws, bs, activations, strict=True)):
        W = np.asarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64).reshape(-1)
        ws = [[Value(float(w), label=f"W{layer + 1}[{i},{j}]") for j, w in enumerate(row)] for i, row in enumerate(W)]
        bv = [Value(float(v), label=f"b{layer + 1}[{i}]") for i, v in enumerate(b)]
        zs = [compose.dot([*ws[i], bv[i]], [*rows, 1.0]) for i in range(W.shape[0])]
        W_leaves.append(ws)
        b_leaves.append(bv)
        Zs.append(zs)
        rows = _activate(check_activation(name, layer == L - 1), zs)
    Zs.append(rows)  # the output activations A_L
    return W_leaves, b_leaves, Zs


def _loss(name: str, A: list[Value], Z: list[Value], Y: np.ndarray, act: str) -> Value:
    k, m = Y.shape
    if name == "mse":
        return compose.sum_values([((a - y) ** 2).sum() for a, y in zip(A, Y)]) * (1.0 / (m * k))
    if name == "sse":
        return compose.sum_values([((a - y) ** 2).sum() for a, y in zip(A, Y)]) * (0.5 / m)
    if name == "binary_cross_entropy":
        terms = [(y * a.log() + (1.0 - y) * (1.0 - a).log()).sum() for a, y in zip(A, Y)]
        return compose.sum_values(terms) * (-1.0 / (m * k))
    logp = compose.log_softmax(Z) if act == "softmax" else [a.log() for a in A]  # stable when it can be
    return compose.sum_values([(y * lp).sum() for lp, y in zip(logp, Y)]) * (-1.0 / m)


def _as_matrix(a: Any, what: str) -> np.ndarray:
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise OperandTypeError(f"{what} must be an array of numbers, got {type(a).__name__}") from None
    if arr.ndim != 2:
        raise ShapeError(f"{what} must be 2-D (one column per sample), got shape {arr.shape}")
    return arr


def engine_gradients(
    Ws: Sequence[Any], bs: Sequence[Any], activations: Sequence[str], X: Any, Y: Any, loss: str = "mse"
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The engine's ``(J, dWs, dbs)`` for a network in the tutorials' notation.

    ``dWs[l]`` has the shape of ``Ws[l]`` (n_l × n_(l−1)), ``dbs[l]`` is a column n_l × 1.
    See the module docstring for the shapes and the losses.

    Example:
        >>> J, dWs, dbs = engine_gradients([np.array([[0.0]])], [np.array([[0.0]])], ["sigmoid"],
        ...                                np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]]), "bce")
        >>> round(J, 6), dWs[0].tolist(), dbs[0].tolist()   # dZ = (A − Y) / m
        (0.693147, [[0.25]], [[0.0]])
    """
    name = loss_name(loss)
    X = _as_matrix(X, "X")
    Y = _as_matrix(Y, "Y")
    acts = list(activations)
    if not (len(Ws) == len(bs) == len(acts)) or not Ws:
        raise ShapeError(
            f"{len(Ws)} weight matrices, {len(bs)} biases and {len(acts)} activations: one of each per layer"
        )
    sizes = [X.shape[0]]
    for layer, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        W = np.asarray(W)
        if W.ndim != 2 or W.shape[1] != sizes[-1]:
            raise ShapeError(
                f"W of layer {layer + 1} has shape {W.shape}; it needs {sizes[-1]} columns (n_l × n_(l−1))"
            )
        if np.asarray(b).size != W.shape[0]:
            raise ShapeError(f"b of layer {layer + 1} has shape {np.shape(b)}, expected ({W.shape[0]}, 1)")
        sizes.append(W.shape[0])
    if Y.shape != (sizes[-1], X.shape[1]):
        raise ShapeError(f"Y has shape {Y.shape}, expected {(sizes[-1], X.shape[1])} (n_L × m)")
    W_leaves, b_leaves, Zs = forward_values(Ws, bs, acts, X)
    J = _loss(name, Zs[-1], Zs[-2], Y, acts[-1])
    J.backward()
    dWs = [np.array([[w.grad for w in row] for row in ws]) for ws in W_leaves]
    dbs = [np.array([[b.grad] for b in bv]) for bv in b_leaves]
    return float(J.data), dWs, dbs


def forward_numpy(
    Ws: Sequence[Any], bs: Sequence[Any], activations: Sequence[str], X: Any
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The forward in NumPy: one ``(Z_l, A_l)`` per layer (to screen cases before the engine runs).

    Example:
        >>> [(Z.tolist(), A.tolist()) for Z, A in forward_numpy([np.array([[2.0]])], [np.zeros((1, 1))], ["relu"],
        ...                                                  np.array([[-1.0, 1.0]]))]
        [([[-2.0, 2.0]], [[0.0, 2.0]])]
    """
    A = np.asarray(X, dtype=np.float64)
    layers = []
    for W, b, name in zip(Ws, bs, activations):
        Z = np.asarray(W, dtype=np.float64) @ A + np.asarray(b, dtype=np.float64).reshape(-1, 1)
        with np.errstate(over="ignore"):
            if name == "sigmoid":
                A = 1.0 / (1.0 + np.exp(-Z))
            elif name == "tanh":
                A = np.tanh(Z)
            elif name == "relu":
                A = np.maximum(Z, 0.0)
            elif name == "leaky_relu":
                A = np.where(Z > 0, Z, LEAKY_SLOPE * Z)
            elif name == "softplus":
                A = np.logaddexp(0.0, Z)
            elif name == "softmax":
                e = np.exp(Z - Z.max(axis=0, keepdims=True))
                A = e / e.sum(axis=0, keepdims=True)
            else:
                A = Z
        layers.append((Z, A))
    return layers


def kink_distance(Ws: Sequence[Any], bs: Sequence[Any], activations: Sequence[str], X: Any) -> float:
    """The smallest |Z| over the layers whose activation has a kink at 0 (inf if none).

    Where it is 0 the derivative is a convention (relu′(0) = 0 here, as PyTorch), not a fact.

    Example:
        >>> kink_distance([np.array([[1.0]])], [np.array([[0.5]])], ["relu"], np.array([[-1.0, 2.0]]))
        0.5
    """
    layers = forward_numpy(Ws, bs, activations, X)
    dists = [float(np.min(np.abs(Z))) for (Z, _), name in zip(layers, activations) if name in KINKED]
    return min(dists, default=float("inf"))
