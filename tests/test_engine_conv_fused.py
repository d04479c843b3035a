"""The fused convolution, activation and pooling layers (autograd_core.conv) against plain nodes.

On lanes a layer is one NumPy operation forward and one rule of the table backward; the same
nodes built one by one (what ``detect_anomaly`` does) must give the same values and gradients,
whatever subset of the outputs the loss uses, and finite differences must agree with both.
"""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograd_core import Value, detect_anomaly, no_grad, ops
from autograd_core.conv import dot_patches, map_nodes, output_size, pool_nodes
from autograd_core.params import ParamBuffer

UNARY = {"relu": ops.RELU, "tanh": ops.TANH, "sigmoid": ops.SIGMOID}


def _loss(outs: list[Value], used: list[int], coeffs: np.ndarray) -> Value:
    """A loss that uses some outputs (some twice, some not at all) through a nonlinearity."""
    return sum(((outs[j % len(outs)] * float(c)).tanh() for j, c in zip(used, coeffs)), Value(0.0)).sum()


def _both(build, used, coeffs):
    """(outputs, loss) built fused and built plain (detect_anomaly turns fusing off)."""
    fused = build()
    loss = _loss(fused[1], used, coeffs)
    loss.backward()
    with detect_anomaly():
        plain = build()
        loss2 = _loss(plain[1], used, coeffs)
        loss2.backward()
    return fused, loss, plain, loss2


@given(
    name=st.sampled_from(sorted(UNARY)),
    n=st.integers(1, 7),
    lanes=st.integers(1, 6),
    used=st.lists(st.integers(0, 10), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
)
@example(name="relu", n=3, lanes=2, used=[2, 0], seed=0)  # the last member reached first
def test_map_nodes_equals_plain_nodes(name, n, lanes, used, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, lanes))
    coeffs = rng.normal(size=len(used))

    def build():
        xs = [Value(x.copy()) for x in X]
        return xs, map_nodes(UNARY[name], xs)

    (xs, outs), loss, (xs2, outs2), loss2 = _both(build, used, coeffs)
    assert all(a._group is not None for a in outs) and all(a._group is None for a in outs2)
    assert [a.op for a in outs] == [name] * n and all(a.parents == (x,) for a, x in zip(outs, xs))
    for a, a2 in zip(outs, outs2):
        np.testing.assert_array_equal(a.data, a2.data)
    assert loss.data == loss2.data
    for x, x2 in zip(xs, xs2):
        np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-12, atol=1e-15)


@st.composite
def pooling(draw):
    """Random windows over a row of inputs: any size, overlapping or not, values with ties."""
    n = draw(st.integers(1, 9))
    k = draw(st.integers(1, min(n, 4)))
    windows = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=k, max_size=k), min_size=1, max_size=6))
    return n, [tuple(w) for w in windows]


@given(
    op=st.sampled_from([ops.MAX_VALUES, ops.MEAN]),
    shape=pooling(),
    lanes=st.integers(1, 5),
    used=st.lists(st.integers(0, 10), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    ties=st.booleans(),
)
@example(op=ops.MAX_VALUES, shape=(4, [(0, 1), (1, 2), (2, 3)]), lanes=2, used=[0, 1, 2], seed=3, ties=True)
def test_pool_nodes_equals_plain_nodes(op, shape, lanes, used, seed, ties):
    n, windows = shape
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, lanes))
    if ties:  # equal maxima in one window: the gradient goes to the first of them, as plain nodes do
        X = np.round(X)
    coeffs = rng.normal(size=len(used))

    def build():
        xs = [Value(x.copy()) for x in X]
        return xs, pool_nodes(op, xs, windows)

    (xs, outs), loss, (xs2, outs2), loss2 = _both(build, used, coeffs)
    assert all(m._group is not None for m in outs)
    for m, m2, w in zip(outs, outs2, windows):
        np.testing.assert_array_equal(m.data, m2.data)
        assert m.op == op.name and m.op_args == tuple(xs[i] for i in w)
    assert loss.data == loss2.data
    for x, x2 in zip(xs, xs2):
        np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-12, atol=1e-15)


@st.composite
def geometry(draw):
    """A random convolution that fits: channels, image, kernel, stride, padding."""
    C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))
    H = draw(st.integers(max(1, kh - 2 * ph), 5))
    W = draw(st.integers(max(1, kw - 2 * pw), 5))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return C, F, (H, W), (kh, kw), (sh, sw), (ph, pw)


@given(
    geo=geometry(),
    lanes=st.integers(1, 4),
    used=st.lists(st.integers(0, 100), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    in_buffer=st.booleans(),
)
def test_dot_patches_equals_plain_dots(geo, lanes, used, seed, in_buffer):
    C, F, (H, W), kernel, stride, padding = geo
    K = C * kernel[0] * kernel[1]
    rng = np.random.default_rng(seed)
    Wb = rng.normal(size=(F, K + 1))
    X = rng.normal(size=(C * H * W, lanes))
    coeffs = rng.normal(size=len(used))

    def build(block_ok: bool):
        if in_buffer:  # the parameters in one buffer, row f = [*w_f, b_f], as Conv2d keeps them
            buf = ParamBuffer(Wb.reshape(-1))
            params = buf.params
            block = (buf.data.reshape(F, K + 1), buf.grad.reshape(F, K + 1)) if block_ok else None
        else:
            params, block = [Value(float(v)) for v in Wb.reshape(-1)], None
        rows = [params[f * (K + 1) : f * (K + 1) + K] for f in range(F)]
        biases = [params[f * (K + 1) + K] for f in range(F)]
        xs = [Value(x.copy()) for x in X]
        return (params, xs), dot_patches(rows, biases, xs, (C, H, W), kernel, stride, padding, block)

    (params, xs), outs = build(True)
    loss = _loss(outs, used, coeffs)
    loss.backward()
    with detect_anomaly():
        (params2, xs2), outs2 = build(False)
        loss2 = _loss(outs2, used, coeffs)
        loss2.backward()
    oh, ow = output_size(H, kernel[0], stride[0], padding[0]), output_size(W, kernel[1], stride[1], padding[1])
    assert len(outs) == F * oh * ow and all(z._group is not None for z in outs)
    for z, z2 in zip(outs, outs2):
        assert [id(p) for p in z.parents].count(id(xs[0])) <= 1
        assert len(z.parents) == len(z2.parents)
        np.testing.assert_allclose(z.data, z2.data, rtol=1e-12, atol=1e-12)
    assert loss.data == pytest.approx(loss2.data, rel=1e-12, abs=1e-12)
    for p, p2 in zip(params, params2):
        assert p.grad == pytest.approx(p2.grad, rel=1e-10, abs=1e-12)
    for x, x2 in zip(xs, xs2):
        np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)


def _cnn(seed: int, pool: str):
    from nn import AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, Sequential

    Pool = MaxPool2d if pool == "max" else AvgPool2d
    return Sequential(
        Conv2d(2, 3, 3, padding=1),
        "tanh",
        Pool(2),
        Conv2d(3, 4, (2, 3), stride=(1, 2), padding=(1, 1)),
        "relu",
        Pool(2, stride=1),
        Flatten(),
        Layer(8, 3, "linear"),
        input_shape=(2, 5, 6),
        seed=seed,
    )


def _cnn_loss(model, X, y) -> Value:
    from nn import losses

    return losses.cross_entropy(model(X), y, reduction="mean")


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_cnn_gradients_match_plain_nodes_and_finite_differences(pool):
    rng = np.random.default_rng(7)
    model = _cnn(3, pool)
    X, y = rng.normal(size=(5, 60)), rng.integers(0, 3, size=5)
    model.zero_grad()
    _cnn_loss(model, X, y).backward()
    fused = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    with detect_anomaly():
        _cnn_loss(model, X, y).backward()
    plain = np.array([p.grad for p in model.parameters()])
    np.testing.assert_allclose(fused, plain, rtol=1e-9, atol=1e-12)
    # central differences on a sample of the parameters of every layer
    params = model.parameters()
    h = 1e-6
    for i in rng.choice(len(params), 12, replace=False).tolist():
        p = params[i]
        x0 = p.data
        with no_grad():
            p.data = x0 + h
            up = _cnn_loss(model, X, y).data
            p.data = x0 - h
            down = _cnn_loss(model, X, y).data
        p.data = x0
        assert fused[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), (i, p.label)


def test_cnn_gradients_match_torch():
    torch = pytest.importorskip("torch")
    model = _cnn(5, "max")
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 60)), rng.integers(0, 3, size=6)
    model.zero_grad()
    loss = _cnn_loss(model, X, y)
    loss.backward()
    Ws, bs = model.weights()
    convs = [torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(3, 4, (2, 3), stride=(1, 2), padding=(1, 1))]
    dense = torch.nn.Linear(8, 3)
    tm = torch.nn.Sequential(
        convs[0], torch.nn.Tanh(), torch.nn.MaxPool2d(2), convs[1], torch.nn.ReLU(), torch.nn.MaxPool2d(2, 1),
        torch.nn.Flatten(), dense,
    ).double()  # fmt: skip
    with torch.no_grad():
        for mod, W, b in zip([*convs, dense], Ws, bs):
            mod.weight.copy_(torch.tensor(W))
            mod.bias.copy_(torch.tensor(b))
    tloss = torch.nn.functional.cross_entropy(tm(torch.tensor(X).reshape(6, 2, 5, 6)), torch.tensor(y))
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    grads = [p.grad.numpy().reshape(len(b), -1) for p, b in zip(tm.parameters(), [b for b in bs for _ in (0, 1)])]
    dW_dbs = [np.hstack([gW, gb.reshape(-1, 1)]).reshape(-1) for gW, gb in zip(grads[::2], grads[1::2])]
    mine = np.array([p.grad for p in model.parameters()])
    np.testing.assert_allclose(mine, np.concatenate(dW_dbs), rtol=1e-9, atol=1e-14)


def test_backward_twice_from_different_outputs_keeps_no_stale_gradient():
    rng = np.random.default_rng(0)
    xs = [Value(x) for x in rng.normal(size=(4, 3))]
    acts = map_nodes(ops.RELU, xs)
    pooled = pool_nodes(ops.MAX_VALUES, acts, [(0, 1), (2, 3)])
    pooled[0].sum().backward()
    first = [x.grad.copy() for x in xs]
    for x in xs:
        x.grad = 0.0
    pooled[1].sum().backward()  # members of the first pass hold stale gradients: they must not count
    with detect_anomaly():
        ys = [Value(x.data) for x in xs]
        plain = pool_nodes(ops.MAX_VALUES, map_nodes(ops.RELU, ys), [(0, 1), (2, 3)])
        plain[1].sum().backward()
    for x, y in zip(xs, ys):
        np.testing.assert_array_equal(x.grad, y.grad)
    assert any(np.any(g) for g in first[:2])


def test_create_graph_through_fused_layers_uses_the_table_rules():
    xs = [Value(np.array([0.3, -0.2])), Value(np.array([0.5, 0.1]))]
    outs = pool_nodes(ops.MEAN, map_nodes(ops.TANH, xs), [(0, 1)])
    g = (outs[0] * outs[0]).sum()
    g.backward(create_graph=True)
    gx = xs[0].grad  # d/dx0 of (mean(tanh x0, tanh x1))² summed over lanes, as a Value
    assert isinstance(gx, Value)
    t0, t1 = np.tanh(xs[0].data), np.tanh(xs[1].data)
    np.testing.assert_allclose(gx.data, (t0 + t1) / 2 * (1 - t0**2), rtol=1e-12)


def test_no_grad_gives_plain_leaves():
    xs = [Value(np.array([1.0, -1.0])), Value(np.array([2.0, 3.0]))]
    with no_grad():
        outs = pool_nodes(ops.MAX_VALUES, map_nodes(ops.RELU, xs), [(0, 1)])
    assert outs[0].is_leaf and outs[0].data.tolist() == [2.0, 3.0]


def test_bad_pool_and_map_arguments_are_refused():
    from autograd_core import ShapeError

    xs = [Value(np.ones(2))]
    with pytest.raises(ShapeError, match="pool_nodes"):
        pool_nodes(ops.MAX_VALUES, xs, [(0, 1)])
    with pytest.raises(ShapeError, match="max_values or mean"):
        pool_nodes(ops.RELU, xs, [(0,)])
    with pytest.raises(ShapeError, match="one-input"):
        map_nodes(ops.MUL, xs)
