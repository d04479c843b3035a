"""A layer's one-sample forward reads its weights as one block of the buffer (Layer._forward_one):
the same graph, the same numbers and the same gradients as neuron by neuron (apply per neuron)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import AnomalyError, Value, detect_anomaly, no_grad
from nn import MLP
from nn.layers import Layer

_X = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)


def _neuron_by_neuron(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Layer, "param_block", lambda self: None)  # every neuron through apply()


def _run(model: MLP, x: list) -> tuple[list, list, list]:
    model.zero_grad()
    out = model(x)
    outs = out if isinstance(out, list) else [out]
    total = outs[0] if len(outs) == 1 else sum(outs[1:], outs[0])
    total.backward()
    shape = [(o.op, o.label, [a.label if isinstance(a, Value) else a for a in o._args[0]._args]) for o in outs]
    return [o.data for o in outs], model.parameters().grads().tolist(), shape


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    st.lists(_X, min_size=3, max_size=3),
    st.sampled_from(["relu", "tanh", "linear", "sigmoid"]),
    st.booleans(),
)
def test_block_forward_is_the_neuron_forward(seed, x, act, value_inputs):
    model = MLP(3, [4, 2], activation=act, seed=seed)
    params = model.parameters()
    params.assign(np.random.default_rng(seed).normal(size=len(params)))  # biases too (they start at 0)
    inputs = [Value(v, label=f"x{i}") for i, v in enumerate(x)] if value_inputs else x
    assert model.layers[0].param_block() is not None  # the block path is the one under test
    got = _run(model, inputs)
    with pytest.MonkeyPatch.context() as mp:
        _neuron_by_neuron(mp)
        want = _run(model, inputs)
    assert got == want


def test_block_forward_matches_finite_differences():
    model = MLP(2, [3, 1], activation="tanh", seed=3)
    model.parameters().assign(np.linspace(-1.0, 1.0, 13))
    x = [Value(0.3), Value(-0.7)]
    model(x).backward()
    eps = 1e-6
    for v in x:
        v0 = v.data
        v.data = v0 + eps
        up = model([v.data if w is v else w.data for w in x]).data
        v.data = v0 - eps
        down = model([v.data if w is v else w.data for w in x]).data
        v.data = v0
        assert math.isclose(v.grad, (up - down) / (2 * eps), rel_tol=1e-6, abs_tol=1e-9)


def test_block_forward_follows_a_write_into_a_parameter():
    model = MLP(2, [2, 1], activation="linear", seed=0)
    before = model([1.0, 1.0]).data
    model.layers[1].neurons[0].b.data += 1.0
    assert model([1.0, 1.0]).data == before + 1.0


def test_block_forward_keeps_the_modes():
    model = MLP(2, [2, 1], seed=0)
    with no_grad():
        assert model([1.0, 2.0]).is_leaf
    big = Layer(1, 1, "linear", weights=np.array([[1e308]]))
    with detect_anomaly(), pytest.raises(AnomalyError):
        big([1e308])
