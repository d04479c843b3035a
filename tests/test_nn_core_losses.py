"""Losses and activations: exact definitions, reductions, stability and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import OperandTypeError, ShapeError, Value, gradcheck
from nn import ConfigError, activations, losses

RNG = np.random.default_rng(0)


def lanes(a) -> Value:
    return Value(np.asarray(a, dtype=float))


# --- definitions --------------------------------------------------------------------------


def test_definitions_on_a_batch() -> None:
    P = RNG.normal(size=(5, 3))
    T = RNG.normal(size=(5, 3))
    pred = [lanes(P[:, j]) for j in range(3)]
    E = P - T
    assert math.isclose(losses.mse(pred, T).data, np.mean(E**2))
    assert math.isclose(losses.mse(pred, T, reduction="sum").data, np.sum(E**2))
    assert math.isclose(losses.sse(pred, T, reduction="sum").data, 0.5 * np.sum(E**2))
    assert math.isclose(losses.sse(pred, T).data, 0.5 * np.sum(E**2) / 5)
    assert math.isclose(losses.mae(pred, T).data, np.mean(np.abs(E)))
    assert math.isclose(losses.mae(pred, T, reduction="sum").data, np.sum(np.abs(E)))
    S = np.sign(T)
    assert math.isclose(losses.hinge(pred, S).data, np.mean(np.maximum(0, 1 - S * P)))
    Y01 = (T > 0).astype(float)
    assert math.isclose(losses.binary_cross_entropy_with_logits(pred, Y01).data, np.mean(np.logaddexp(0, P) - Y01 * P))
    Pr = 1 / (1 + np.exp(-P))
    bce = -np.mean(Y01 * np.log(Pr) + (1 - Y01) * np.log(1 - Pr))
    assert math.isclose(losses.binary_cross_entropy([lanes(Pr[:, j]) for j in range(3)], Y01).data, bce)
    labels = np.array([0, 2, 1, 1, 0])
    logp = P - np.log(np.exp(P).sum(axis=1, keepdims=True))
    ce = -np.mean(logp[np.arange(5), labels])
    assert math.isclose(losses.cross_entropy(pred, labels).data, ce)
    assert math.isclose(losses.cross_entropy(pred, np.eye(3)[labels]).data, ce)
    assert math.isclose(losses.cross_entropy(pred, labels, reduction="sum").data, 5 * ce)
    probs = np.exp(logp)
    assert math.isclose(losses.categorical_cross_entropy([lanes(probs[:, j]) for j in range(3)], labels).data, ce)


def test_single_output_and_single_sample_forms() -> None:
    assert losses.mse(Value(3.0), 1.0).data == 4.0
    assert losses.mse(Value(3.0), [1.0]).data == 4.0
    assert losses.mse(Value(3.0), np.array(1.0)).data == 4.0
    assert losses.mse(lanes([1.0, 3.0]), [0.0, 0.0]).data == 5.0
    assert losses.mse(lanes([1.0, 3.0]), np.zeros((2, 1))).data == 5.0
    assert losses.mse([Value(1.0), Value(3.0)], np.array([[0.0, 0.0]])).data == 5.0
    assert math.isclose(losses.cross_entropy([Value(1.0), Value(1.0), Value(1.0)], 2).data, math.log(3))
    assert math.isclose(losses.cross_entropy([Value(1.0), Value(1.0)], [0.0, 1.0]).data, math.log(2))


@settings(max_examples=50)
@given(
    st.sampled_from(["mse", "sse", "mae", "bce", "bce_with_logits", "ce", "nll", "hinge"]),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
)
def test_batch_mean_is_the_mean_of_per_sample_means(name: str, m: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    if name in ("ce", "nll"):
        k = max(k, 2)
    P = rng.normal(size=(m, k))
    if name in ("bce", "nll"):
        P = 1 / (1 + np.exp(-P)) if name == "bce" else np.exp(P) / np.exp(P).sum(axis=1, keepdims=True)
    if name in ("ce", "nll"):
        T = rng.integers(0, k, m)
    elif name == "hinge":
        T = rng.choice([-1.0, 1.0], (m, k))
    elif name.startswith("bce"):
        T = rng.uniform(size=(m, k))
    else:
        T = rng.normal(size=(m, k))
    fn = losses.get(name)
    batch_T = T[:, 0] if (k == 1 and T.ndim == 2) else T
    batch = fn([lanes(P[:, j]) for j in range(k)], batch_T)
    singles = [fn([Value(float(P[i, j])) for j in range(k)], T[i] if T.ndim == 2 else int(T[i])) for i in range(m)]
    assert math.isclose(batch.data, np.mean([s.data for s in singles]), rel_tol=1e-12, abs_tol=1e-14)
    summed = fn([lanes(P[:, j]) for j in range(k)], batch_T, reduction="sum")
    singles_sum = [
        fn([Value(float(P[i, j])) for j in range(k)], T[i] if T.ndim == 2 else int(T[i]), "sum") for i in range(m)
    ]
    assert math.isclose(summed.data, sum(s.data for s in singles_sum), rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.parametrize("name", ["mse", "sse", "mae", "bce", "bce_with_logits", "hinge"])
def test_gradcheck_scalar_losses(name: str) -> None:
    fn = losses.get(name)
    target = {"bce": 0.3, "bce_with_logits": 0.7, "hinge": -1.0}.get(name, 0.4)
    x0 = 0.35 if name == "bce" else 0.8
    assert gradcheck(lambda p, q: fn([p, q], [target, target]), (x0, 0.2))


def test_gradcheck_cross_entropy() -> None:
    assert gradcheck(lambda a, b, c: losses.cross_entropy([a, b, c], 1), (0.3, -1.2, 2.0))
    assert gradcheck(lambda a, b: losses.categorical_cross_entropy([a, b], [0.25, 0.75]), (0.4, 0.6))


# --- stability ----------------------------------------------------------------------------


def test_bce_clips_saturated_probabilities() -> None:
    p = Value(0.0)
    loss = losses.binary_cross_entropy(p, 1.0)
    loss.backward()
    assert math.isclose(loss.data, -math.log(1e-12)) and p.grad == 0.0
    assert math.isfinite(losses.binary_cross_entropy(Value(1.0), 0.0).data)


def test_logit_losses_are_stable() -> None:
    z = Value(np.array([-1000.0, 1000.0, 0.0]))
    loss = losses.binary_cross_entropy_with_logits(z, [0.0, 1.0, 1.0], reduction="sum")
    loss.backward()
    assert math.isclose(loss.data, math.log(2)) and np.all(np.isfinite(z.grad))
    big = [Value(1000.0), Value(-1000.0)]
    assert losses.cross_entropy(big, 0).data == 0.0
    assert math.isclose(losses.cross_entropy(big, 1).data, 2000.0)


def test_l2_penalty() -> None:
    ps = [Value(1.0), Value(-2.0), Value(3.0)]
    pen = losses.l2_penalty(ps, 0.5)
    pen.backward()
    assert pen.data == 7.0
    assert [p.grad for p in ps] == [1.0, -2.0, 3.0]  # 2 * alpha * p
    assert losses.l2_penalty([], 0.1).data == 0.0
    with pytest.raises(OperandTypeError):
        losses.l2_penalty([1.0], 0.1)
    with pytest.raises(OperandTypeError):
        losses.l2_penalty(ps, "0.1")


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: losses.mse(lanes([1.0, 2.0]), [1.0, 2.0, 3.0]), ShapeError, r"shape \(3,\) does not fit 1 output"),
        (lambda: losses.mse([Value(1.0), Value(2.0)], 1.0), ShapeError, "expected 2 numbers"),
        (lambda: losses.mse([lanes([1.0, 2.0])] * 2, [1.0, 2.0]), ShapeError, r"a 2-D array of shape \(2, 2\)"),
        (lambda: losses.mse(1.0, 1.0), OperandTypeError, "pred must be a Value"),
        (lambda: losses.mse([], 1.0), OperandTypeError, "non-empty list of Values"),
        (lambda: losses.mse([Value(1.0), lanes([1.0, 2.0])], [0, 0]), ShapeError, "different lane counts"),
        (lambda: losses.mse(Value(1.0), "a"), OperandTypeError, "target must be numbers"),
        (lambda: losses.mse(Value(1.0), Value(1.0)), OperandTypeError, "not a Value"),
        (lambda: losses.mse(Value(1.0), float("nan")), ShapeError, "non-finite"),
        (lambda: losses.mse(Value(1.0), 1.0, reduction="avg"), ConfigError, "reduction must be 'mean' or 'sum'"),
        (lambda: losses.hinge(Value(1.0), 0.0), ShapeError, "labels must be -1 or \\+1, got 0.0"),
        (lambda: losses.binary_cross_entropy(Value(0.5), 2.0), ShapeError, r"targets must lie in \[0, 1\]"),
        (lambda: losses.cross_entropy([Value(1.0), Value(1.0)], 2), ShapeError, "label 2 is out of range for 2"),
        (lambda: losses.cross_entropy([Value(1.0), Value(1.0)], -1), ShapeError, "label -1 is out of range"),
        (lambda: losses.cross_entropy([Value(1.0), Value(1.0)], 0.5), ShapeError, "labels must be integers"),
        (lambda: losses.cross_entropy(Value(1.0), 0), ShapeError, "at least 2 outputs"),
        (lambda: losses.cross_entropy([lanes([1.0, 2.0])] * 3, [0, 1, 2]), ShapeError, "2 integer labels"),
        (lambda: losses.cross_entropy([Value(1.0)] * 2, [-1.0, 2.0]), ShapeError, "non-negative"),
        (lambda: losses.get("huber"), ConfigError, "unknown loss 'huber'; valid names: bce"),
        (lambda: losses.get(3), OperandTypeError, "named by a string"),
    ],
)
def test_errors(call, error, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# --- activations --------------------------------------------------------------------------

NUMPY = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
}


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_activations_on_scalars_and_lanes(name: str) -> None:
    z = np.array([-2.5, -0.3, 0.4, 3.0])
    fn = activations.get(name)
    np.testing.assert_allclose(fn(Value(z)).data, NUMPY[name](z), rtol=1e-12)
    np.testing.assert_allclose([fn(Value(float(v))).data for v in z], NUMPY[name](z), rtol=1e-12)
    if name != "linear":
        assert gradcheck(lambda x: fn(x), (0.37,)) and gradcheck(lambda x: fn(x), (-0.81,))


def test_elu_is_stable_and_smooth() -> None:
    x = Value(np.array([-1000.0, 1000.0]))
    y = activations.elu(x)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [-1.0, 1000.0])
    np.testing.assert_allclose(x.grad, [0.0, 1.0])


def test_softmax_layerwise() -> None:
    ps = activations.softmax([Value(np.array([1.0, 1000.0])), Value(np.array([2.0, 1000.0]))])
    np.testing.assert_allclose(ps[0].data + ps[1].data, [1.0, 1.0])
    np.testing.assert_allclose(ps[1].data, [1 / (1 + math.exp(-1)), 0.5])
    assert activations.is_layerwise(activations.get("softmax"))
    assert not activations.is_layerwise(activations.get("relu"))


def test_activation_names() -> None:
    assert activations.get("identity") is activations.get("linear") is activations.identity
    assert activations.get("Logistic") is activations.sigmoid
    assert activations.canonical_name(" TANH ") == "tanh"
    with pytest.raises(ConfigError) as info:
        activations.get("gelu")
    for name in ["elu", "identity", "leaky_relu", "linear", "logistic", "relu", "sigmoid", "softmax", "softplus"]:
        assert name in str(info.value)
    with pytest.raises(OperandTypeError):
        activations.get(None)
