"""Neuron, Layer and MLP: shapes, labels, parameter order, inputs, init, the seeds' examples."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd_core import AutogradError, DomainError, OperandTypeError, ShapeError, Value, topological_order
from nn import MLP, ConfigError, Layer, Neuron, losses, reference
from nn.layers import init_weights, resolve_init

SEED_000 = dict(
    W1=[[0.2, 0.15, -0.01], [0.01, -0.1, -0.06], [0.14, -0.2, -0.03]],
    b1=[1.0, 1.0, 1.0],
    W2=[[0.08, 0.11, -0.3], [0.1, -0.15, 0.08], [0.1, 0.1, -0.07]],
    b2=[0.0, 1.0, 0.0],
)


def by_label(root: Value) -> dict[str, Value]:
    return {v.label: v for v in topological_order(root) if v.label}


# --- the seeds' worked examples -----------------------------------------------------------


def test_seed_000_three_three_three_network() -> None:
    """Seed 000: tanh hidden, softmax out, input (1, 0, 0): z1, a1, z2 and y, computed independently."""
    W1, b1, W2, b2 = (np.array(SEED_000[k]) for k in ("W1", "b1", "W2", "b2"))
    a0 = np.array([1.0, 0.0, 0.0])
    z1 = W1.dot(a0) + b1
    a1 = np.tanh(z1)
    z2 = W2.dot(a1) + b2
    y = np.exp(z2) / np.sum(np.exp(z2))

    model = MLP.from_weights([W1, W2], [b1, b2], ["tanh", "softmax"])
    out = model([1.0, 0.0, 0.0])
    assert isinstance(out, list) and len(out) == 3
    np.testing.assert_allclose([p.data for p in out], y, rtol=1e-12)
    nodes = by_label(out[0])
    for i in range(3):
        assert math.isclose(nodes[f"L0.N{i}.z"].data, z1[i], rel_tol=1e-12)
        assert math.isclose(nodes[f"L0.N{i}.a"].data, a1[i], rel_tol=1e-12)
        assert math.isclose(nodes[f"L1.N{i}.z"].data, z2[i], rel_tol=1e-12)
    assert int(np.argmax([p.data for p in out])) == int(np.argmax(y)) == 1
    # z1 is W1's first column plus b1 (the input is the first unit vector)
    np.testing.assert_allclose(z1, [1.2, 1.01, 1.14])
    # the seed's target (0, 1, 0): the cross-entropy loss and its softmax shortcut dZ2 = y - t
    loss = losses.categorical_cross_entropy(out, 1)
    loss.backward()
    assert math.isclose(loss.data, -math.log(y[1]), rel_tol=1e-12)
    dZ2 = y - np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose([n.b.grad for n in model.layers[1].neurons], dZ2, rtol=1e-12)
    np.testing.assert_allclose([[w.grad for w in n.w] for n in model.layers[1].neurons], np.outer(dZ2, a1), rtol=1e-12)


def test_seed_002_xor_is_learned_with_plain_sgd() -> None:
    X = np.array([[0, 1], [1, 0], [0, 0], [1, 1]], dtype=float)
    Y = np.array([1, 1, 0, 0], dtype=float)
    model = MLP(2, [8, 1], activation="tanh", output_activation="sigmoid", seed=1)
    for _ in range(400):
        loss = losses.binary_cross_entropy(model(X), Y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 1.0 * p.grad
    pred = (model(X).data > 0.5).astype(float)
    assert np.array_equal(pred, Y), (pred, loss.data)
    assert loss.data < 0.1


def test_seed_002_fprop_matches_its_formula() -> None:
    """Seed 002's hand-written 2-2-1 logistic network, as an MLP via from_weights."""

    def logit(a: float) -> float:
        return 1.0 / (1 + math.exp(-a))

    w1, w2, b1, w3, w4, b2, w5, w6, b3 = 0.1, 0.2, 0.1, -0.2, 0.2, -0.1, -0.3, -0.25, 0.2
    model = MLP.from_weights([[[w3, w4], [w5, w6]], [[w1, w2]]], [[b2, b3], [b1]], "sigmoid")
    for x1, x2 in [(0, 1), (1, 0), (0, 0), (1, 1)]:
        want = logit(b1 + w1 * logit(b2 + w3 * x1 + w4 * x2) + w2 * logit(b3 + w5 * x1 + w6 * x2))
        assert math.isclose(model([x1, x2]).data, want, rel_tol=1e-12)


# --- shapes and outputs -------------------------------------------------------------------


def test_micrograd_shape_and_outputs() -> None:
    model = MLP(2, [16, 16, 1])
    assert model.activations == ["relu", "relu", "linear"]
    assert model.num_parameters() == 337 == len(model.parameters())
    out = model([0.5, -1.0])
    assert type(out) is Value and out.lanes is None
    wide = MLP(2, [4, 3])([0.5, -1.0])
    assert isinstance(wide, list) and len(wide) == 3
    batch = model(np.random.default_rng(0).normal(size=(100, 2)))
    assert type(batch) is Value and batch.lanes == 100


def test_one_sample_forms_agree_with_lanes() -> None:
    model = MLP(3, [5, 2], activation="tanh", seed=4)
    x = [0.3, -1.2, 2.0]
    a = [v.data for v in model(x)]
    b = [v.data for v in model(np.array(x))]
    c = [v.data for v in model(tuple(x))]
    d = [v.data for v in model([Value(v) for v in x])]
    lanes = [v.data[0] for v in model(np.array([x, x]))]
    assert a == b == c == d
    np.testing.assert_allclose(a, lanes, rtol=1e-14)


def test_width_one_hidden_layer() -> None:
    model = MLP(3, [1, 1, 2], activation=["tanh", "relu"], seed=0)
    assert model.nouts == [1, 1, 2]
    X = np.random.default_rng(1).normal(size=(6, 3))
    y = np.array([0, 1, 1, 0, 1, 0])
    loss = losses.cross_entropy(model(X), y)
    loss.backward()
    ref_loss, dWs, _ = reference.gradients(model, X, y, loss="cross_entropy")
    assert math.isclose(loss.data, ref_loss, rel_tol=1e-12)
    np.testing.assert_allclose([w.grad for w in model.layers[0].neurons[0].w], dWs[0][0], rtol=1e-9, atol=1e-15)


def test_softmax_output_gives_probabilities() -> None:
    model = MLP(2, [5, 4], activation="elu", output_activation="softmax", seed=2)
    probs = model(np.random.default_rng(0).normal(size=(7, 2)))
    total = sum(p.data for p in probs)
    np.testing.assert_allclose(total, np.ones(7), rtol=1e-12)
    assert [p.label for p in probs] == [f"L1.N{j}.a" for j in range(4)]


def test_neuron_and_layer_standalone() -> None:
    n = Neuron(2, "tanh", weights=[-3.0, 1.0], bias=6.88)
    a = n([2.0, 0.0])
    a.backward()
    assert math.isclose(a.data, math.tanh(0.88))
    assert math.isclose(n.w[0].grad, 2.0 * (1 - math.tanh(0.88) ** 2))
    assert [p.label for p in n.parameters()] == ["w0", "w1", "b"]
    layer = Layer(2, 1, "linear", weights=[[1.0, 2.0]], biases=[0.5])
    assert type(layer([1.0, 1.0])) is Value  # micrograd: a one-neuron layer returns a Value
    assert len(Layer(2, 3)([1.0, 1.0])) == 3


def test_custom_callable_activation() -> None:
    def cube(v: Value) -> Value:
        return v * v * v

    model = MLP(1, [2, 1], activation=cube, seed=0)
    assert model.activations[0] == "cube"
    out = model([2.0])
    out.backward()
    with pytest.raises(ConfigError, match="custom activation"):
        model.config()


# --- expanded graphs ----------------------------------------------------------------------


@pytest.mark.parametrize("batch", [False, True])
def test_expanded_equals_dot(batch: bool) -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 3)) if batch else rng.normal(size=3)
    y = rng.normal(size=(9, 2)) if batch else rng.normal(size=2)
    fast = MLP(3, [4, 4, 2], activation="tanh", seed=7)
    slow = MLP(3, [4, 4, 2], activation="tanh", seed=7, expanded=True)
    per_call = MLP(3, [4, 4, 2], activation="tanh", seed=7)
    results = []
    for model, kwargs in [(fast, {}), (slow, {}), (per_call, {"expanded": True})]:
        out = model(X, **kwargs)
        loss = losses.mse(out, y)
        loss.backward()
        results.append(([np.asarray(v.data) for v in out], loss.data, [p.grad for p in model.parameters()]))
    (outs0, loss0, g0), *rest = results
    for outs, loss, g in rest:
        for a, b in zip(outs, outs0, strict=True):
            if batch:  # lanes: one matrix product per layer, which may sum in another order
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
            else:
                assert np.array_equal(a, b)  # the same sums in the same order: bit for bit
        assert loss == pytest.approx(loss0, rel=1e-13) if batch else loss == loss0
        np.testing.assert_allclose(g, g0, rtol=1e-13, atol=1e-15)
    # the expanded graph really is w0*x0 + w1*x1 + ... + b
    fast_nodes = len(topological_order(fast(X).__getitem__(0)))
    slow_nodes = len(topological_order(slow(X).__getitem__(0)))
    assert slow_nodes > fast_nodes


def test_expanded_graph_reads_like_the_seeds() -> None:
    n = Neuron(2, "tanh", weights=[0.5, -1.0], bias=0.25, label="L0.N0")
    a = n([1.0, 2.0], expanded=True)
    z = a.parents[0]
    assert (a.label, a.op, z.label, z.op) == ("L0.N0.a", "tanh", "L0.N0.z", "+")
    assert z.parents[1] is n.b
    d = n([1.0, 2.0])
    assert d.parents[0].op == "dot" and d.parents[0].label == "L0.N0.z"


# --- parameters, names, labels ------------------------------------------------------------


def test_parameter_order_is_micrograds() -> None:
    model = MLP(3, [4, 2], seed=0)
    micrograd_order = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert all(a is b for a, b in zip(model.parameters(), micrograd_order, strict=True))
    assert [p for _, p in model.named_parameters()] == model.parameters()
    labels = [p.label for p in model.parameters()]
    assert labels[:5] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.w2", "L0.N0.b", "L0.N1.w0"]
    assert labels[-1] == "L1.N1.b"


def test_named_parameters_names() -> None:
    model = MLP(2, [4, 1], seed=0)
    named = dict(model.named_parameters())
    assert named["layers.0.neurons.3.w.1"] is model.layers[0].neurons[3].w[1]
    assert named["layers.0.neurons.3.w.1"].label == "L0.N3.w1"
    assert named["layers.1.neurons.0.b"].label == "L1.N0.b"
    assert len(named) == model.num_parameters() == 17
    assert list(named)[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]


def test_intermediate_labels() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    nodes = by_label(model([1.0, 2.0]))
    for name in ["L0.N0.w0", "L0.N2.b", "L0.N1.z", "L0.N1.a", "L1.N0.z", "L1.N0.w2"]:
        assert name in nodes
    assert "L1.N0.a" not in nodes  # a linear output is its z


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_summary_and_repr() -> None:
    model = MLP(2, [16, 16, 1])
    want = "\n".join(
        [
            "MLP: 2 -> 16 -> 16 -> 1",
            "==========================================",
            "layer  input -> output  activation  params",
            "------------------------------------------",
            "L0     2 -> 16          relu            48",
            "L1     16 -> 16         relu           272",
            "L2     16 -> 1          linear          17",
            "==========================================",
            "total parameters                       337",
        ]
    )
    assert model.summary() == want
    assert repr(model) == want


def test_weights_round_trip() -> None:
    model = MLP(3, [4, 2], activation="sigmoid", seed=3)
    Ws, bs = model.weights()
    assert [W.shape for W in Ws] == [(4, 3), (2, 4)] and [b.shape for b in bs] == [(4,), (2,)]
    copy = MLP.from_weights(Ws, bs, model.activations)
    assert copy.state_dict() == model.state_dict()
    col = MLP.from_weights(Ws, [b.reshape(-1, 1) for b in bs], model.activations)  # column biases
    assert col.state_dict() == model.state_dict()


# --- initialisation -----------------------------------------------------------------------


def test_seeded_init_is_reproducible() -> None:
    a, b, c = MLP(3, [8, 1], seed=11), MLP(3, [8, 1], seed=11), MLP(3, [8, 1], seed=12)
    assert a.state_dict() == b.state_dict() != c.state_dict()
    assert Layer(3, 2, seed=5).state_dict() == Layer(3, 2, seed=5).state_dict()
    assert Neuron(3, seed=5).state_dict() == Neuron(3, seed=5).state_dict()


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("he", math.sqrt(2 / 200)),
        ("xavier_normal", math.sqrt(2 / 400)),
        ("xavier", math.sqrt(2 / 400)),
        ("xavier_uniform", math.sqrt(6 / 400) / math.sqrt(3)),
        ("lecun", math.sqrt(1 / 200)),
        ("small", 0.01),
        ("uniform", 1 / math.sqrt(3)),
    ],
)
def test_init_scales(init: str, std: float) -> None:
    W, b = init_weights(init, "relu", 200, 200, np.random.default_rng(0))
    assert abs(W.std() - std) < 0.05 * std
    assert abs(W.mean()) < 0.05 * std
    if init == "uniform":
        assert np.all(np.abs(b) <= 1) and np.any(b != 0)  # micrograd: biases U(-1, 1) too
    else:
        assert np.all(b == 0)


def test_auto_init_follows_the_activation() -> None:
    assert resolve_init("auto", "relu") == resolve_init("auto", "elu") == "he"
    assert resolve_init("auto", "tanh") == resolve_init("auto", "sigmoid") == "xavier_normal"
    assert resolve_init("auto", "linear") == "xavier_normal"
    assert resolve_init("XAVIER") == "xavier_normal"


def test_zeros_init_warns_once_and_is_allowed() -> None:
    with pytest.warns(UserWarning, match="symmetry") as record:
        model = MLP(2, [3, 1], init="zeros")
    assert len(record) == 1
    assert all(v == 0.0 for v in model.state_dict().values())
    with pytest.warns(UserWarning, match="symmetry"):
        Layer(2, 2, init="zeros")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLP(2, [3, 1], init="he", seed=0)  # no warning for the others


def test_unknown_names_list_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown init 'glorious'; valid names: auto, xavier, he"):
        MLP(2, [3, 1], init="glorious")
    with pytest.raises(ConfigError, match=r"unknown activation 'swish'; valid names: elu, identity"):
        MLP(2, [3, 1], activation="swish")
    with pytest.raises(ConfigError, match="only supported as the output"):
        MLP(2, [3, 1], activation="softmax")
    with pytest.raises(ConfigError, match="hidden activations"):
        MLP(2, [3, 3, 1], activation=["tanh"])
    with pytest.raises(OperandTypeError):
        MLP(2, [3, 1], activation=3)


@pytest.mark.parametrize(
    ("nin", "nouts"), [(0, [1]), (2, []), (2, [0]), (2, [3, -1]), (2.5, [1]), (2, "16,1"), (True, [1]), (2, None)]
)
def test_bad_architecture(nin, nouts) -> None:
    with pytest.raises(ConfigError):
        MLP(nin, nouts)


# --- input checking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0], ShapeError, r"got 1 inputs, expected 2: a list of 2 numbers or Values, .* shape \(batch, 2\)"),
        ([1.0, 2.0, 3.0], ShapeError, "got 3 inputs, expected 2"),
        (np.zeros(3), ShapeError, r"1-D array of length 3, expected"),
        (np.zeros((4, 3)), ShapeError, r"shape \(4, 3\), expected .* \(batch, 2\)"),
        (np.zeros((0, 2)), ShapeError, r"shape \(0, 2\)"),
        (np.zeros((2, 2, 2)), ShapeError, r"shape \(2, 2, 2\)"),
        ("ab", OperandTypeError, "unsupported input type str"),
        (None, OperandTypeError, "unsupported input type NoneType"),
        ({"x": 1}, OperandTypeError, "unsupported input type dict"),
        (1.0, OperandTypeError, "unsupported input type float"),
        (["a", 1.0], OperandTypeError, "input 0 is a str"),
        ([1.0, None], OperandTypeError, "input 1 is a NoneType"),
        ([1.0, float("nan")], DomainError, "input 1 is not finite"),
        (np.array([[1.0, np.inf]]), DomainError, r"X\[0, 1\] is not finite"),
        (np.array([["a", "b"]]), OperandTypeError, "must hold numbers"),
        ([Value(np.ones(3)), Value(np.ones(4))], ShapeError, "different lane counts"),
    ],
)
def test_bad_inputs(x, error, match) -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(error, match=match) as info:
        model(x)
    assert isinstance(info.value, AutogradError)


def test_other_input_forms() -> None:
    model = MLP(1, [2, 1], seed=0)
    assert model(2.0).data == model([2.0]).data == model(Value(2.0)).data  # one input may be bare
    two = MLP(2, [2, 1], seed=0)
    assert two([[1.0, 2.0], [3.0, 4.0]]).lanes == 2  # a nested list is a batch
    assert two(np.array([[1, 2]], dtype=np.int32)).lanes == 1


def test_from_weights_errors() -> None:
    with pytest.raises(ShapeError, match="W\\[1\\] has 2 columns but layer 0 has 3 outputs"):
        MLP.from_weights([np.zeros((3, 2)), np.zeros((1, 2))], [np.zeros(3), np.zeros(1)], "tanh")
    with pytest.raises(ShapeError, match="b\\[0\\] must have length 3"):
        MLP.from_weights([np.zeros((3, 2))], [np.zeros(2)], "tanh")
    with pytest.raises(ShapeError, match="2 weight matrices and 1 bias"):
        MLP.from_weights([np.zeros((3, 2)), np.zeros((1, 3))], [np.zeros(3)], "tanh")
    with pytest.raises(ShapeError, match="2-D array"):
        MLP.from_weights([np.zeros(3)], [np.zeros(3)], "tanh")
    with pytest.raises(ConfigError, match="2 activations for 1 layers"):
        MLP.from_weights([np.zeros((3, 2))], [np.zeros(3)], ["tanh", "relu"])
    with pytest.raises(ShapeError, match="non-finite"):
        MLP.from_weights([np.full((1, 1), np.nan)], [np.zeros(1)], "tanh")


def test_fast_parameter_lists_match_the_generic_walk() -> None:
    from nn import Module

    for m in (Neuron(3, seed=0), Layer(3, 2, seed=0), MLP(3, [4, 1, 2], seed=0)):
        assert m.parameters() == Module.parameters(m) == [p for _, p in m.named_parameters()]


def test_value_inputs_receive_gradients_and_no_grad_inference() -> None:
    from autograd_core import no_grad

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(x)
    out.backward()
    Ws, _ = model.weights()
    a1 = np.tanh(Ws[0] @ np.array([0.5, -1.0]) + model.weights()[1][0])
    want = (Ws[1][0] * (1 - a1**2)) @ Ws[0]  # d out / d x = W2 diag(1 - a1²) W1
    np.testing.assert_allclose([x[0].grad, x[1].grad], want, rtol=1e-12)
    with no_grad():
        y = model(np.ones((5, 2)))
    assert y.is_leaf and y.lanes == 5


def test_elu_derivative_is_alpha_at_zero_and_exact_elsewhere() -> None:
    from autograd_core import grad
    from nn.activations import elu

    for alpha in (1.0, 0.5):
        assert grad(lambda v, a=alpha: elu(v, a))(0.0) == alpha  # PyTorch's convention at the kink
        for z in (-2.0, -1e-3, 1e-3, 3.0):
            want = 1.0 if z > 0 else alpha * math.exp(z)
            assert grad(lambda v, a=alpha: elu(v, a))(z) == pytest.approx(want, rel=1e-12)
    assert elu(Value(-800.0)).data == -1.0  # exp only sees min(z, 0): no overflow
