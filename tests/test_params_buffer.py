"""Parameters in buffers: the buffer and the Values stay in step under every mutation path."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Parameter, ParamList, sum_squares
from nn import MLP, losses
from nn.optim import SGD, Adam


def _expected_model():
    return MLP(2, [3, 1], seed=0)


def _check_in_step(model):
    params = model.parameters()
    buf = params[0]._buf
    assert all(type(p) is Parameter and p._buf is buf for p in params)
    assert [p.data for p in params] == buf.data.tolist()
    assert [p.grad for p in params] == buf.grad.tolist()
    Ws, bs = model.weights()
    flat = np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(Ws, bs)])
    assert flat.tolist() == buf.data.tolist()


ACTIONS = st.lists(
    st.sampled_from(["set", "micrograd", "sgd", "adam", "zero", "backward_lanes", "backward_sample", "load", "l2"]),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None)
@given(ACTIONS, st.integers(0, 10_000))
def test_buffer_and_values_stay_in_step(actions, seed):
    rng = np.random.default_rng(seed)
    model = _expected_model()
    twin = _expected_model()  # the same model trained through plain per-Value arithmetic
    X = rng.normal(size=(5, 2))
    y = rng.normal(size=5)
    sgd, adam = SGD(model, lr=0.1, momentum=0.5), Adam(model, lr=0.01)
    for action in actions:
        params = model.parameters()
        if action == "set":
            k = int(rng.integers(len(params)))
            params[k].data = float(rng.normal())
        elif action == "micrograd":
            for p in params:
                p.data -= 0.05 * p.grad
        elif action == "sgd":
            sgd.step()
        elif action == "adam":
            adam.step()
        elif action == "zero":
            model.zero_grad()
        elif action == "backward_lanes":
            losses.mse(model(X), y).backward()
        elif action == "backward_sample":
            losses.mse(model(X[0].tolist()), float(y[0])).backward()
        elif action == "load":
            model.load_state_dict(twin.state_dict())
        elif action == "l2":
            (sum_squares(ParamList(params)) * 0.5).backward()
        _check_in_step(model)


def test_fused_layer_gradients_land_in_the_buffer_and_match_per_sample():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(4, 2)), rng.normal(size=4)
    a, b = _expected_model(), _expected_model()
    losses.mse(a(X), y, reduction="sum").backward()
    for xi, yi in zip(X, y):
        losses.mse(b(xi.tolist()), float(yi), reduction="sum").backward()
    ga, gb = a.parameters()[0]._buf.grad, b.parameters()[0]._buf.grad
    assert np.allclose(ga, gb, rtol=1e-12, atol=1e-12)
    assert ga.any()


def test_l2_from_the_buffer_equals_the_per_value_sum():
    model = _expected_model()
    params = model.parameters()
    s = sum_squares(params)
    assert abs(s.data - sum(p.data**2 for p in params)) < 1e-12
    s.backward()
    assert np.allclose(params.grads(), 2 * params.values())
