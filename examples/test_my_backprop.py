"""Test your own gradients: a NumPy backprop, a new op and a function of Values.

Copy this file next to your code and run ``pytest test_my_backprop.py`` (needs
``pip install 'autograd-core[testing]'``). Replace ``my_backprop`` with yours.
"""

import numpy as np

from autograd_core import define_op, sigmoid
from autograd_core.testing import assert_grads_close, check_backprop, check_op

# g(Z) and g'(Z) written with A = g(Z), as the tutorials do
G = {
    "sigmoid": lambda Z: 1 / (1 + np.exp(-Z)),
    "tanh": np.tanh,
    "relu": lambda Z: np.maximum(Z, 0),
    "linear": lambda Z: Z,
}
G_PRIME = {"sigmoid": lambda A: A * (1 - A), "tanh": lambda A: 1 - A**2, "relu": lambda A: (A > 0) * 1.0}


def my_backprop(Ws, bs, activations, X, Y, loss):
    """X is n_0 × m (one column per sample), W_l is n_l × n_(l−1), b_l is n_l × 1."""
    m, k = X.shape[1], Y.shape[0]
    As = [X]
    for W, b, name in zip(Ws, bs, activations):
        Z = W @ As[-1] + b  # Z = W·A + b
        As.append(G[name](Z) if name != "linear" else Z)  # A = g(Z)
    A = As[-1]
    if loss == "sse":  # J = (1/m) Σ ½ (A − Y)²
        dA = A - Y
    elif loss == "mse":  # J = (1/(m k)) Σ (A − Y)²
        dA = 2 * (A - Y) / k
    else:  # binary cross-entropy, J = −(1/(m k)) Σ Y log A + (1 − Y) log(1 − A)
        dA = (A - Y) / (A * (1 - A)) / k
    dWs, dbs = [], []
    for layer in reversed(range(len(Ws))):
        name = activations[layer]
        dZ = dA * (G_PRIME[name](As[layer + 1]) if name != "linear" else 1.0)  # dZ = dA ∗ g′(Z)
        dWs.insert(0, dZ @ As[layer].T / m)  # dW = dZ·Aᵀ / m
        dbs.insert(0, dZ.sum(axis=1, keepdims=True) / m)
        dA = Ws[layer].T @ dZ
    return dWs, dbs


def test_my_backprop():
    check_backprop(my_backprop, activations=["sigmoid", "tanh", "relu", "linear"], losses=["sse", "mse", "bce"])


swish = define_op("swish", lambda x: x * sigmoid(x),
                  lambda g, out, x: g * (out + sigmoid(x) * (1 - out)))  # fmt: skip


def test_swish_derivatives():
    check_op(swish, domain=(-6, 6))  # first and second order, floats and lanes


def test_a_function_of_values():
    assert_grads_close(lambda x, w: swish(x * w).sum() + (w * w).log(), np.array([0.5, -1.0, 2.0]), 0.7)
