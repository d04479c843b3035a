"""The rest of micrograd's API: Neuron/Layer(nonlin=), Value(data, _children, _op) with
``out._backward = fn``, and MLP(init="micrograd") drawing micrograd's own weights.

The code in the helpers below is written as micrograd users write it (micrograd's README and
its lecture notebook), against this project's classes.
"""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import OperandTypeError, Value, no_grad
from autograd_core.testing import assert_grads_close
from nn import MLP, Layer, Neuron

micrograd_nn = pytest.importorskip("micrograd.nn")  # in the dev extra; skipped only outside it
from micrograd.engine import Value as MicroValue  # noqa: E402

# --- a user's ops, micrograd style: each makes its node by hand and assigns out._backward ------


def cube(self):
    out = Value(self.data**3, (self,), "cube")

    def _backward():
        self.grad += 3 * self.data**2 * out.grad

    out._backward = _backward
    return out


def mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def my_tanh(self):
    t = (np.exp(2 * self.data) - 1) / (np.exp(2 * self.data) + 1)
    out = Value(t, (self,), "my_tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def test_a_closure_op_backpropagates_alongside_the_tables_ops():
    x, w = Value(0.7), Value(-1.3)
    y = my_tanh(mul(cube(x), w) + x) * 2.0 + x.exp()
    y.backward()
    assert y.parents[0].parents[0].op == "my_tanh"
    # the same expression with the table's ops
    tx, tw = Value(0.7), Value(-1.3)
    ty = ((tx**3) * tw + tx).tanh() * 2.0 + tx.exp()
    ty.backward()
    assert y.data == pytest.approx(ty.data, rel=1e-12)
    assert x.grad == pytest.approx(tx.grad, rel=1e-12) and w.grad == pytest.approx(tw.grad, rel=1e-12)
    # and micrograd's own engine, on what it has (no tanh or exp in micrograd 0.1.0)
    mx, mw = MicroValue(0.7), MicroValue(-1.3)
    ((mx**3) * mw + mx).relu().backward()
    x.grad = w.grad = 0.0
    (mul(cube(x), w) + x).relu().backward()
    assert (x.grad, w.grad) == pytest.approx((mx.grad, mw.grad), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2))
def test_closure_ops_against_central_differences(a, b):
    assert_grads_close(lambda x, w: my_tanh(mul(cube(x), w)) + mul(x, x), a, b)


def test_closure_ops_on_lanes_and_on_a_repeated_child():
    x = Value(np.array([0.5, -1.0, 2.0]))
    mul(x, x).sum().backward()  # the same child twice: micrograd's x*x
    np.testing.assert_allclose(x.grad, 2 * x.data)
    assert_grads_close(lambda v: (cube(v) + v).sum(), np.array([0.5, -1.0]))


def test_a_micrograd_style_walk_calling_every_backward():
    """micrograd's own backward(): topological order, then v._backward() for every node."""
    x, w = Value(0.5), Value(2.0)
    y = (cube(x) * w).tanh() + x
    topo, seen = [], set()

    def build(v):
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(y)
    y.grad = 1.0
    for v in reversed(topo):
        v._backward()
    manual = (x.grad, w.grad)
    x.grad = w.grad = 0.0
    y.backward()
    assert manual == pytest.approx((x.grad, w.grad), rel=1e-12)


def test_a_closure_op_on_model_parameters_and_under_no_grad():
    model = MLP(2, [3, 1], init="micrograd", seed=0)
    model.zero_grad()
    out = cube(model([0.5, -0.5]))
    out.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    (model([0.5, -0.5]) ** 3).backward()
    np.testing.assert_allclose(grads, [p.grad for p in model.parameters()], rtol=1e-12)
    with no_grad():
        assert cube(Value(2.0)).is_leaf


def test_hand_made_nodes_refuse_non_values():
    with pytest.raises(OperandTypeError, match=r"_children must be Values.*got float"):
        Value(1.0, (2.0,), "+")
    with pytest.raises(OperandTypeError, match="_backward must be a function"):
        Value(1.0, (Value(2.0),), "f")._backward = 3


# --- Neuron, Layer, MLP as micrograd spells them -------------------------------------------


def test_neuron_and_layer_take_nonlin():
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Neuron(3, nonlin=True).activation == "relu"
    assert Neuron(3, False).activation == "linear"  # micrograd's positional form
    layer = Layer(2, 4, nonlin=False)
    assert layer.activation == "linear" and all(n.activation == "linear" for n in layer.neurons)
    assert Layer(2, 4, nonlin=True).activation == "relu"
    with pytest.raises(ValueError, match="give activation or nonlin, not both"):
        Neuron(3, "tanh", nonlin=True)


@pytest.mark.parametrize("sizes", [[16, 16, 1], [4, 1], [3, 2, 5]])
def test_mlp_init_micrograd_draws_micrograds_weights(sizes):
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, list(sizes))
    after_theirs = random.random()
    random.seed(1337)
    ours = MLP(2, sizes, init="micrograd")
    assert random.random() == after_theirs  # the same number of draws from Python's random
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]  # exactly
    x = [0.3, -1.2]
    out, ref = ours(x), theirs(list(map(MicroValue, x)))
    out, ref = (out, ref) if isinstance(out, list) else ([out], [ref])
    assert [o.data for o in out] == pytest.approx([r.data for r in ref], rel=1e-12)


def test_neuron_and_layer_init_micrograd_and_a_private_seed():
    random.seed(7)
    theirs = micrograd_nn.Layer(3, 2, nonlin=False)
    random.seed(7)
    ours = Layer(3, 2, nonlin=False, init="micrograd")
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    random.seed(7)
    their_neuron = [p.data for p in micrograd_nn.Neuron(3).parameters()]
    random.seed(7)
    assert [p.data for p in Neuron(3, init="micrograd").parameters()] == their_neuron
    state = random.getstate()
    a, b = MLP(2, [4, 1], init="micrograd", seed=5), MLP(2, [4, 1], init="micrograd", seed=5)
    assert random.getstate() == state  # a seed uses its own generator, not the global one
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert all(-1 <= p.data <= 1 for p in a.parameters()) and not any(math.isnan(p.data) for p in a.parameters())


def test_hand_made_nodes_draw_and_step_under_their_own_name():
    from viz.graph import draw_dot
    from viz.steps import trace_backward

    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    y = (mul(cube(x), w) + x).tanh()
    y.label = "y"
    assert "[label=cube " in draw_dot(y).source
    captions = [s.caption for s in trace_backward(y)]
    assert captions[-1].startswith("cube: its _backward closure")
    assert captions[-2].startswith("*: its _backward closure")  # not the table's rule for '*'


def test_the_label_still_fits_in_the_second_place():
    assert Value(1.0, "x").label == "x" and Value(1.0, label="x").is_leaf
