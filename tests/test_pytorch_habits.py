"""PyTorch habits that cost nothing: Value.item(), model.forward(x), train()/eval(), nn.Linear."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_core import ShapeError, Value
from nn import MLP, AvgPool2d, Conv2d, Flatten, Layer, Linear, MaxPool2d, Module, Neuron, Sequential
from nn.errors import ConfigError

finite = st.floats(-1e6, 1e6, allow_nan=False)


def _data(out) -> list:
    outs = out if isinstance(out, list) else [out]
    return [np.asarray(o.data if isinstance(o, Value) else o).tolist() for o in outs]


def _models() -> list:
    return [
        Neuron(3, seed=0),
        Layer(3, 2, "tanh", seed=0),
        Linear(3, 2, seed=0),
        MLP(3, [4, 2], seed=0),
        Sequential(Conv2d(1, 2, 2), "relu", MaxPool2d(2), Flatten(), Linear(2, 1), input_shape=(1, 3, 3), seed=0),
    ]


# --- Value.item ---------------------------------------------------------------------------


@given(finite, finite)
def test_item_is_the_number_as_a_python_float(a: float, b: float) -> None:
    v = Value(a) * Value(b)
    assert type(v.item()) is float and v.item() == v.data == a * b
    assert type(Value([a]).item()) is float and Value([a]).item() == a  # one lane: one number, as a one-element tensor


def test_item_of_several_lanes_says_how_to_reduce() -> None:
    with pytest.raises(ShapeError, match=r"item\(\) of a Value with 3 lanes; reduce it with .sum\(\) or .mean\(\)"):
        Value([1.0, 2.0, 3.0]).item()
    assert Value([1.0, 2.0, 3.0]).sum().item() == 6.0


# --- forward, train, eval -----------------------------------------------------------------


@settings(max_examples=20)
@given(st.lists(finite, min_size=9, max_size=9), st.integers(1, 3))
def test_forward_is_call_for_every_model(xs: list[float], n: int) -> None:
    x9 = np.array(xs)
    for model in _models():
        nin = model.nin
        one = x9[:nin] / 1e3
        batch = np.tile(one, (n, 1)) * np.arange(1, n + 1)[:, None]
        assert _data(model.forward(one)) == _data(model(one))
        assert _data(model.forward(batch)) == _data(model(batch))


def test_train_and_eval_are_no_ops_that_return_the_model() -> None:
    for model in _models():
        before = model.state_dict()
        x = np.linspace(-1, 1, model.nin)
        out = _data(model(x))
        assert model.train() is model and model.eval() is model and model.train(False) is model
        assert model.eval().forward(x) is not None and _data(model(x)) == out and model.state_dict() == before
    with pytest.raises(ConfigError, match="train\\(mode\\): mode must be True or False, got 'yes'"):
        MLP(2, [1]).train("yes")


def test_a_module_defines_forward_or_call_as_in_pytorch() -> None:
    class Scale(Module):
        def __init__(self) -> None:
            self.w = Value(3.0)

        def forward(self, x):
            return self.w * x

    model = Scale()
    assert model(2.0).data == 6.0 and model.forward(2.0).data == 6.0 and model.eval()(1.0).data == 3.0

    class Nothing(Module):
        pass

    for call in (Nothing(), Nothing().forward):
        with pytest.raises(NotImplementedError, match="Nothing defines neither forward"):
            call(1.0)


def test_conv_layers_called_alone_and_through_forward_agree_with_a_sequential() -> None:
    rng = np.random.default_rng(0)
    images = rng.normal(size=(4, 2, 5, 5))
    for layer in (Conv2d(2, 3, 3, padding=1, seed=0), MaxPool2d(2), AvgPool2d(3, stride=1)):
        alone = Sequential(layer, input_shape=(2, 5, 5))
        assert _data(layer.forward(images)) == _data(layer(images)) == _data(alone(images.reshape(4, -1)))
        assert _data(layer.forward(images[0])) == _data(alone(images[0]))
        assert layer.eval() is layer and layer.train() is layer


# --- nn.Linear ----------------------------------------------------------------------------


@settings(max_examples=20)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**16))
def test_linear_is_a_dense_layer_without_activation(nin: int, nout: int, seed: int) -> None:
    fc, layer = Linear(nin, nout, seed=seed), Layer(nin, nout, "linear", seed=seed)
    assert (fc.in_features, fc.out_features) == (nin, nout) and fc.activation == "linear"
    assert fc.state_dict() == layer.state_dict() and fc.config() == layer.config()
    x = np.random.default_rng(seed).normal(size=(3, nin))
    assert _data(fc(x)) == _data(layer(x))
    W, b = nn.conv.dense_weights(fc)
    assert np.allclose(np.stack(_data(fc(x)), axis=-1).reshape(3, nout), x @ W.T + b, rtol=0, atol=1e-12)


def test_linear_saves_as_a_layer_and_takes_an_activation(tmp_path) -> None:
    fc = Linear(2, 3, activation="tanh", seed=1)
    assert repr(fc) == "Linear(in_features=2, out_features=3, activation='tanh')"
    assert repr(Linear(2, 3)) == "Linear(in_features=2, out_features=3)"
    fc.save(tmp_path / "fc.json")
    back = Layer.load(tmp_path / "fc.json")
    assert back.state_dict() == fc.state_dict() and back.activation == "tanh"
    assert math.isclose(Linear(1, 1, weights=[[2.0]], biases=[1.0])(3.0).item(), 7.0)
