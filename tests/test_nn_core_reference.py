"""THE property test: engine gradients of random MLPs equal the NumPy reference's dW, db.

Random architectures (up to 3 hidden layers of width 1-8, a random activation per layer), a
loss that fits the output layer, random batches and weights: the networks and batches come
from ``autograd_core.testing``'s public strategies, the targets from a seeded generator.
Checked on batch lanes (one 2-D X) and per sample (one scalar graph per row, losses summed),
plus central differences on a few weights through ``autograd_core.gradcheck``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd_core import Value, gradcheck, sum_values
from autograd_core.testing import batches, networks
from nn import MLP, losses, reference

HIDDEN = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu"]
# loss -> (output activations it fits, output widths)
SETUPS = {
    "mse": (["linear", "tanh", "sigmoid", "softmax"], (1, 3)),
    "sse": (["linear", "tanh"], (1, 3)),
    "mae": (["linear", "elu"], (1, 3)),
    "binary_cross_entropy": (["sigmoid"], (1, 2)),
    "binary_cross_entropy_with_logits": (["linear"], (1, 2)),
    "cross_entropy": (["linear"], (2, 4)),
    "categorical_cross_entropy": (["softmax"], (2, 4)),
    "hinge": (["linear", "tanh"], (1, 2)),
}


@st.composite
def problems(draw: st.DrawFn) -> dict:
    """A network and a batch from autograd_core.testing's public strategies, plus a fitting target."""
    loss = draw(st.sampled_from(sorted(SETUPS)))
    out_acts, (kmin, kmax) = SETUPS[loss]
    nin = draw(st.integers(1, 4))
    net = draw(
        networks(
            max_layers=4,
            max_width=8,
            activations=HIDDEN,
            output_activations=out_acts,
            n_inputs=nin,
            n_outputs=(kmin, kmax),
            bound=1.5,
        )
    )
    k = net.sizes[-1]
    X = draw(batches(nin, max_size=16)).T  # the tutorials' batches hold samples as columns; models take rows
    m = X.shape[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if loss in ("cross_entropy", "categorical_cross_entropy"):
        y = rng.integers(0, k, m)
    elif loss == "hinge":
        y = rng.choice([-1.0, 1.0], (m, k))
    elif loss.startswith("binary"):
        y = rng.integers(0, 2, (m, k)).astype(float) if draw(st.booleans()) else rng.uniform(0, 1, (m, k))
    else:
        y = rng.normal(0.0, 1.0, (m, k))
    if k == 1 and y.ndim == 2:
        y = y[:, 0]
    reduction = draw(st.sampled_from(["mean", "sum"]))
    bs = [b[:, 0] for b in net.bs]
    return dict(Ws=net.Ws, bs=bs, acts=net.activations, X=X, y=y, loss=loss, reduction=reduction)


def off_kinks(p: dict, distance: float = 1e-4) -> bool:
    """False when a relu/leaky_relu Z, an mae error or a hinge margin is within ``distance`` of
    its kink: there central differences straddle two slopes (hypothesis finds such points, e.g.
    all weights 0). The engine and the reference share the conventions at the kink itself."""
    Zs, As = reference.forward(p["Ws"], p["bs"], p["acts"], p["X"])
    for Z, name in zip(Zs, p["acts"], strict=True):
        if name in ("relu", "leaky_relu") and np.min(np.abs(Z)) <= distance:
            return False
    Y = np.asarray(p["y"], dtype=np.float64).reshape(len(p["X"]), -1).T
    if p["loss"] == "mae":
        return bool(np.min(np.abs(As[-1] - Y)) > distance)
    if p["loss"] == "hinge":
        return bool(np.min(np.abs(1.0 - Y * As[-1])) > distance)
    return True


def well_conditioned(p: dict) -> bool:
    """False when BCE sees probabilities within 1e-6 of 0 or 1.

    There log(1 - p) is computed from 1 - p, which has lost most of its digits to
    cancellation (p = 1 - 4e-10 keeps ~6 of them): loss values from two correct
    implementations then differ in the 8th digit and finite differences are noise. That is
    the reason binary_cross_entropy_with_logits exists, not an engine error.
    """
    if p["loss"] != "binary_cross_entropy":
        return True
    _, As = reference.forward(p["Ws"], p["bs"], p["acts"], p["X"])
    return bool(np.all((As[-1] > 1e-6) & (As[-1] < 1 - 1e-6)))


def engine_grads(model: MLP) -> tuple[list[np.ndarray], list[np.ndarray]]:
    dWs = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in model.layers]
    dbs = [np.array([n.b.grad for n in layer.neurons]) for layer in model.layers]
    return dWs, dbs


def assert_close(got: list[np.ndarray], want: list[np.ndarray], what: str) -> None:
    scale = max(1.0, max(float(np.abs(w).max()) for w in want))
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12 * scale, err_msg=f"{what} of layer {i}")


def check(p: dict, per_sample: bool, expanded: bool = False) -> MLP:
    assume(well_conditioned(p))
    model = MLP.from_weights(p["Ws"], p["bs"], p["acts"])
    loss_fn = losses.get(p["loss"])
    X, y, m = p["X"], p["y"], p["X"].shape[0]
    if per_sample:
        parts = [loss_fn(model(X[i], expanded=expanded), y[i], reduction=p["reduction"]) for i in range(m)]
        loss = sum_values(parts) * (1.0 / m) if p["reduction"] == "mean" else sum_values(parts)
    else:
        loss = loss_fn(model(X, expanded=expanded), y, reduction=p["reduction"])
    assert loss.lanes is None
    loss.backward()
    ref_loss, dWs, dbs = reference.gradients(model, X, y, loss=p["loss"], reduction=p["reduction"])
    np.testing.assert_allclose(loss.data, ref_loss, rtol=1e-9, atol=1e-12)
    got_W, got_b = engine_grads(model)
    assert_close(got_W, dWs, "dW")
    assert_close(got_b, dbs, "db")
    return model


@settings(max_examples=80)
@given(problems())
def test_engine_matches_reference_on_lanes(p: dict) -> None:
    check(p, per_sample=False)


@settings(max_examples=40)
@given(problems())
def test_engine_matches_reference_per_sample(p: dict) -> None:
    check(p, per_sample=True)


@settings(max_examples=20)
@given(problems(), st.booleans())
def test_expanded_graph_matches_reference(p: dict, per_sample: bool) -> None:
    check(p, per_sample=per_sample, expanded=True)


@settings(max_examples=25)
@given(problems(), st.integers(0, 2**32 - 1))
def test_finite_differences_on_a_few_weights(p: dict, pick_seed: int) -> None:
    assume(well_conditioned(p) and off_kinks(p))
    model = MLP.from_weights(p["Ws"], p["bs"], p["acts"])
    loss_fn = losses.get(p["loss"])
    slots = [(n.w, i) for layer in model.layers for n in layer.neurons for i in range(len(n.w))]
    slots += [(n, "b") for layer in model.layers for n in layer.neurons]
    rng = np.random.default_rng(pick_seed)
    chosen = [slots[i] for i in rng.choice(len(slots), size=min(3, len(slots)), replace=False)]

    def get(slot):
        holder, key = slot
        return holder.b if key == "b" else holder[key]

    def put(slot, v):
        holder, key = slot
        if key == "b":
            holder.b = v
        else:
            holder[key] = v

    originals = [get(s) for s in chosen]

    def f(*vals: Value) -> Value:
        for s, v in zip(chosen, vals, strict=True):
            put(s, v)
        try:
            return loss_fn(model(p["X"]), p["y"], reduction=p["reduction"])
        finally:
            for s, v in zip(chosen, originals, strict=True):
                put(s, v)

    assert gradcheck(f, [v.data for v in originals], eps=1e-6, atol=1e-6, rtol=1e-4)


def test_reference_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown loss"):
        reference.gradients_from_weights([np.eye(1)], [np.zeros(1)], "linear", np.ones((1, 1)), [1.0], loss="nope")
    with pytest.raises(ValueError, match="unknown activation"):
        reference.forward([np.eye(1)], [np.zeros(1)], "swish", np.ones((1, 1)))


def test_reference_uses_the_seeds_shortcuts() -> None:
    """sigmoid + BCE and softmax + cross-entropy give dZ = A - Y (over m), as in the seeds."""
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(3, 5))
    Y = np.eye(3)[:, rng.integers(0, 3, 5)]
    A = np.exp(Z) / np.exp(Z).sum(axis=0)
    _, dZ = reference.loss_and_grad("categorical_cross_entropy", A, Z, Y, "softmax")
    np.testing.assert_allclose(dZ, (A - Y) / 5, rtol=1e-12)
    A = 1 / (1 + np.exp(-Z))
    Yb = (rng.uniform(size=Z.shape) > 0.5).astype(float)
    _, dZ = reference.loss_and_grad("binary_cross_entropy", A, Z, Yb, "sigmoid")
    np.testing.assert_allclose(dZ, (A - Yb) / 15, rtol=1e-12)
