"""act_rows: a fused layer's activations as one array op must equal one node per activation exactly,
whatever rows the loss uses, also for gradients of gradients; and a network gets them on lanes."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autograd_core import Value, dot, dot_rows, grad, ops
from autograd_core.fused import FUSABLE, ActRows, act_rows
from nn import MLP, losses

NAMES = sorted(FUSABLE)


def layer(rng: np.random.Generator, rows: int, n: int) -> tuple[list[list[Value]], list[Value]]:
    W = [[Value(float(w)) for w in row] for row in rng.normal(size=(rows, n))]
    b = [Value(float(v)) for v in rng.normal(size=rows)]
    return W, b


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    rows=st.integers(1, 5),
    n=st.integers(1, 4),
    lanes=st.integers(1, 6),
    used=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
@example(name="relu", rows=3, n=2, lanes=3, used=[2, 0, 2], seed=1)  # rows out of order, one twice, one unused
def test_act_rows_equals_one_node_per_activation(name, rows, n, lanes, used, seed):
    rng = np.random.default_rng(seed)
    op = FUSABLE[name]
    W, b = layer(rng, rows, n)
    W2, b2 = [[Value(w.data) for w in row] for row in W], [Value(v.data) for v in b]
    X = [Value(x) for x in rng.normal(size=(n, lanes))]
    X2 = [Value(x.data) for x in X]
    used = [j % rows for j in used]
    coeffs = rng.normal(size=len(used))

    zs = dot_rows(W, b, X)
    acts = act_rows(op, zs)
    assert acts is not None and all(type(a._group[0]) is ActRows and a.op == op.name for a in acts)
    loss = sum((acts[j] * c for j, c in zip(used, coeffs)), Value(0.0)).sum()
    loss.backward()

    zs2 = [dot(w, X2) + bj for w, bj in zip(W2, b2)]
    acts2 = [getattr(z, name)() for z in zs2]
    loss2 = sum((acts2[j] * c for j, c in zip(used, coeffs)), Value(0.0)).sum()
    loss2.backward()

    assert loss.data == pytest.approx(loss2.data, rel=1e-12, abs=1e-12)
    for a, a2, z, z2 in zip(acts, acts2, zs, zs2):
        np.testing.assert_allclose(a.data, a2.data, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(z.grad, z2.grad, rtol=1e-10, atol=1e-12)  # the intermediate z's too
    for row, row2 in zip([*W, b], [*W2, b2]):
        for w, w2 in zip(row, row2):
            assert w.grad == pytest.approx(w2.grad, rel=1e-10, abs=1e-12)
    for x, x2 in zip(X, X2):
        np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_fused_activation_against_finite_differences(name):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3, 4))

    def f(w00, w11):
        W = [[w00, Value(0.3), Value(-0.2)], [Value(0.5), w11, Value(0.1)]]
        acts = act_rows(FUSABLE[name], dot_rows(W, [Value(0.1), Value(-0.4)], list(X)))
        return (acts[0] * 1.5 + acts[1] * acts[1]).sum()

    w00, w11 = 0.7, -0.6
    g = grad(f, argnums=(0, 1))(w00, w11)
    h = 1e-6
    for k, (a, b) in enumerate(((h, 0.0), (0.0, h))):
        numeric = (f(Value(w00 + a), Value(w11 + b)).data - f(Value(w00 - a), Value(w11 - b)).data) / (2 * h)
        assert g[k] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_create_graph_through_fused_activations_uses_the_table_rule():
    # d/dw of d(loss)/dw: the second backward records each activation node with its own rule
    X = [np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.5])]

    def loss_and_grad(fused):
        w = Value(0.8)
        W = [[w, Value(-0.3)], [Value(0.2), Value(0.9)]]
        zs = dot_rows(W, [Value(0.1), Value(0.0)], X)
        acts = act_rows(ops.TANH, zs) if fused else [z.tanh() for z in zs]
        loss = (acts[0] * acts[1]).sum()
        loss.backward(create_graph=True)
        g = w.grad
        w._grad = None
        g.backward()
        return g.data, w.grad

    fused, plain = loss_and_grad(True), loss_and_grad(False)
    assert fused == pytest.approx(plain, rel=1e-12)


def test_act_rows_only_for_the_whole_output_of_one_fused_layer():
    W = [[Value(1.0)], [Value(2.0)]]
    zs = dot_rows(W, [Value(0.0), Value(0.0)], [np.array([1.0, -1.0])])
    assert act_rows(ops.RELU, zs[:1]) is None  # a part of the layer: node by node
    assert act_rows(ops.RELU, [z + 0.0 for z in zs]) is None  # not the layer's own rows
    assert act_rows(ops.RELU, dot_rows(W, [Value(0.0), Value(0.0)], [1.0])) is None  # scalars: no matrix


def test_a_network_on_lanes_fuses_its_hidden_activations_and_keeps_labels():
    model = MLP(3, [4, 4, 2], activation="tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(6, 3))
    out = model(X)
    hidden = out[0]._args[5]  # the first input of the last layer: L1.N0.a
    assert (hidden.label, hidden.op, type(hidden._group[0])) == ("L1.N0.a", "tanh", ActRows)
    assert hidden._args[0].label == "L1.N0.z"
    losses.cross_entropy(out, np.array([0, 1, 1, 0, 1, 0])).backward()
    per_sample = MLP.from_weights(*model.weights(), ["tanh", "tanh", "linear"])
    for i in range(len(X)):
        losses.cross_entropy(per_sample(X[i].tolist()), [0, 1, 1, 0, 1, 0][i], reduction="sum").backward()
    batch = np.array([p.grad for p in model.parameters()])
    summed = np.array([p.grad for p in per_sample.parameters()]) / len(X)
    np.testing.assert_allclose(batch, summed, rtol=1e-10, atol=1e-13)
