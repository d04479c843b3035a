"""The engine's convolutions (Conv2d, MaxPool2d, AvgPool2d, Sequential) against the NumPy reference.

Random networks of one or two convolutions (random channels, kernels, strides, paddings),
activations and poolings, then Flatten and a dense layer, on random batches. Every path of
``dot_patches`` is taken: lanes (one matrix product per layer), one image at a time (plain dot
nodes of floats), detect_anomaly (plain dot nodes on lanes), no_grad, and parameters that are
not leaves. The forward pass and every gradient (weights, biases, inputs) must equal
``nn.reference`` to 1e-9, and a few entries central differences of the engine's own loss.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    DomainError,
    OperandTypeError,
    ShapeError,
    Value,
    detect_anomaly,
    no_grad,
    sum_values,
    topological_order,
)
from autograd_core.conv import dot_patches
from nn import AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, Sequential, losses, reference

ACTS = ["linear", "tanh", "sigmoid", "relu", "softplus", "leaky_relu", "elu"]


@st.composite
def networks(draw: st.DrawFn, convs: tuple[int, int] = (1, 2), max_batch: int = 4) -> dict:
    """A random Sequential (weights drawn too), a batch X (m, C·H·W) and targets for its loss."""
    C, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    shape = (C, H, W)
    layers: list = []
    for _ in range(draw(st.integers(*convs))):
        c, h, w = shape
        ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        kh, kw = draw(st.integers(1, min(3, h + 2 * ph))), draw(st.integers(1, min(3, w + 2 * pw)))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        conv = Conv2d(c, draw(st.integers(1, 3)), (kh, kw), stride, (ph, pw))
        layers.append(conv)
        shape = conv.output_shape(shape)
        act = draw(st.sampled_from(ACTS))
        if act != "linear":
            layers.append(act)
        if draw(st.booleans()):
            c, h, w = shape
            kernel = (draw(st.integers(1, min(2, h))), draw(st.integers(1, min(2, w))))
            stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 2), st.integers(1, 2))))
            pool = draw(st.sampled_from([MaxPool2d, AvgPool2d]))(kernel, stride)
            layers.append(pool)
            shape = pool.output_shape(shape)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    loss = draw(st.sampled_from(["cross_entropy", "mse", "image"]))
    if loss != "image":  # else the loss is the MSE of the last image itself
        k = draw(st.integers(2, 3))
        layers += [Flatten(), Layer(int(np.prod(shape)), k, "linear")]
    model = Sequential(*layers, input_shape=(C, H, W))
    Ws, bs = model.weights()
    model.set_weights([rng.normal(0.0, 0.7, W.shape) for W in Ws], [rng.normal(0.0, 0.5, b.shape) for b in bs])
    m = draw(st.integers(1, max_batch))
    X = rng.normal(size=(m, C * H * W))
    k = model.output_shape[0] if len(model.output_shape) == 1 else int(np.prod(model.output_shape))
    y = rng.integers(0, k, m) if loss == "cross_entropy" else rng.normal(size=(m, k))
    return dict(model=model, X=X, y=y, loss="mse" if loss == "image" else loss)


def loss_of(out, y, name: str):
    return losses.get(name)(out if isinstance(out, list) else [out], y)


def engine_grads(model: Sequential) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every layer's parameter gradients in the layouts of ``model.weights()``."""
    dWs, dbs = [], []
    Ws, _ = model.weights()
    owners = [layer for layer in model.layers if isinstance(layer, (Conv2d, Layer))]
    for layer, W in zip(owners, Ws, strict=True):
        g = np.array([p.grad for p in layer.parameters()], dtype=np.float64).reshape(W.shape[0], -1)
        dWs.append(g[:, :-1].reshape(W.shape))
        dbs.append(g[:, -1])
    return dWs, dbs


def assert_close(got, want, what: str) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        scale = max(1.0, float(np.abs(w).max(initial=0.0)))
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12 * scale, err_msg=f"{what} {i}")


def check_against_reference(p: dict, per_image: bool = False) -> None:
    model, X, y, name = p["model"], p["X"], p["y"], p["loss"]
    model.zero_grad()
    if per_image:  # one scalar graph per image: every pixel a plain dot node of floats
        xs = [[Value(v) for v in row] for row in X]
        parts = [loss_of(model(x), y[i], name) for i, x in enumerate(xs)]
        loss = sum_values(parts) * (1.0 / len(parts))
        loss.backward()
        dX = np.array([[v.grad for v in x] for x in xs])
    else:
        xs = [Value(col.copy()) for col in X.T]
        loss = loss_of(model(xs), y, name)
        loss.backward()
        dX = np.stack([x.grad for x in xs], axis=1)
    ref_loss, dWs, dbs, ref_dX = reference.cnn_gradients(model, X, y, name)
    np.testing.assert_allclose(loss.data, ref_loss, rtol=1e-9, atol=1e-12)
    got_W, got_b = engine_grads(model)
    assert_close(got_W, dWs, "dW of layer")
    assert_close(got_b, dbs, "db of layer")
    assert_close([dX], [ref_dX], "dX")


@settings(max_examples=40, deadline=None)
@given(networks())
def test_lanes_match_the_reference(p: dict) -> None:
    check_against_reference(p)


@settings(max_examples=12, deadline=None)
@given(networks(max_batch=2))
def test_one_image_at_a_time_matches_the_reference(p: dict) -> None:
    check_against_reference(p, per_image=True)


@settings(max_examples=12, deadline=None)
@given(networks(max_batch=3))
def test_anomaly_mode_matches_the_reference(p: dict) -> None:
    with detect_anomaly():
        check_against_reference(p)


@settings(max_examples=15, deadline=None)
@given(networks(convs=(2, 2)))
def test_two_stacked_convolutions_match_the_reference(p: dict) -> None:
    check_against_reference(p)


@settings(max_examples=15, deadline=None)
@given(networks())
def test_forward_and_no_grad_forward_equal_the_reference(p: dict) -> None:
    model, X = p["model"], p["X"]
    want = reference.cnn_forward(model.config(), *model.weights(), X)
    out = model(X)
    got = np.array([v.data for v in (out if isinstance(out, list) else [out])])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    with no_grad():
        out = model(X)
    outs = out if isinstance(out, list) else [out]
    assert all(not v._args for v in outs)  # nothing recorded
    np.testing.assert_allclose(np.array([v.data for v in outs]), want, rtol=1e-10, atol=1e-12)
    one = model(X[0].tolist())  # one image: a scalar graph
    np.testing.assert_allclose([v.data for v in (one if isinstance(one, list) else [one])], want[:, 0], rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(networks(convs=(1, 1), max_batch=3), st.integers(0, 2**32 - 1))
def test_non_leaf_filters_match_the_reference(p: dict, seed: int) -> None:
    """Filters computed from leaves (w = 2·u, b = u_b + 1): the dot nodes carry the chain rule back to u."""
    conv, X = p["model"].layers[0], p["X"]
    F, C, kh, kw = conv.weights()[0].shape
    images = X.reshape(len(X), *p["model"].input_shape)
    rng = np.random.default_rng(seed)
    U, ub = rng.normal(size=(F, C, kh, kw)), rng.normal(size=F)
    us = [[Value(v) for v in row] for row in U.reshape(F, -1)]
    ubs = [Value(v) for v in ub]
    filters = [[2.0 * u for u in row] for row in us]
    biases = [u + 1.0 for u in ubs]
    xs = [Value(col.copy()) for col in X.T]
    zs = dot_patches(filters, biases, xs, images.shape[1:], *conv._geometry())
    Z = reference.conv2d_forward(images, 2 * U, ub + 1, conv.stride, conv.padding)
    R = rng.normal(size=Z.shape)
    G = R.reshape(len(X), -1).T  # (F·oh·ow, m) in the engine's (filter, row, column) order
    sum_values([(z * g).sum() for z, g in zip(zs, G)]).backward()
    np.testing.assert_allclose(np.array([z.data for z in zs]), Z.reshape(len(X), -1).T, rtol=1e-10, atol=1e-12)
    dX, dW, db = reference.conv2d_backward(R, images, 2 * U, conv.stride, conv.padding)
    assert_close([np.array([[u.grad for u in row] for row in us])], [2 * dW.reshape(F, -1)], "dU")
    assert_close([np.array([u.grad for u in ubs])], [db], "dub")
    assert_close([np.stack([x.grad for x in xs], axis=1)], [dX.reshape(len(X), -1)], "dX")


@settings(max_examples=15, deadline=None)
@given(networks(max_batch=3), st.integers(0, 2**32 - 1))
def test_a_few_gradients_equal_central_differences(p: dict, seed: int) -> None:
    """The engine's own loss, nudged: independent of the reference."""
    model, X, y, name = p["model"], p["X"], p["y"], p["loss"]
    params = model.parameters()
    model.zero_grad()
    loss_of(model(X), y, name).backward()
    rng = np.random.default_rng(seed)
    eps = 1e-6
    for i in rng.choice(len(params), size=min(4, len(params)), replace=False):
        w = params[i]
        analytic, keep = w.grad, w.data
        with no_grad():
            w.data = keep + eps
            up = loss_of(model(X), y, name).data
            w.data = keep - eps
            down = loss_of(model(X), y, name).data
        w.data = keep
        numeric = (up - down) / (2 * eps)
        assert abs(analytic - numeric) <= 1e-6 + 1e-4 * abs(numeric), (w.label, analytic, numeric)


@pytest.mark.parametrize(("pool", "batch"), [(MaxPool2d, 3), (AvgPool2d, 3), (MaxPool2d, 1)])
def test_second_order_hessian_vector_product_equals_differences_of_the_reference(pool, batch: int) -> None:
    """backward(create_graph=True) through conv, tanh, pooling and a dense layer, on lanes and on one
    image (a scalar graph): H·v by the engine equals (∇L(w + h v) - ∇L(w - h v)) / 2h of the reference."""
    rng = np.random.default_rng(7)
    model = Sequential(Conv2d(2, 2, 2, padding=1), "tanh", pool(2), Flatten(), Layer(8, 2, "linear"),
                       input_shape=(2, 3, 3), seed=3)  # fmt: skip
    X, y = rng.normal(size=(batch, 18)), np.array([0, 1, 1])[:batch]
    params = model.parameters()
    v = rng.normal(size=len(params))
    loss = losses.cross_entropy(model(X) if batch > 1 else model(X[0].tolist()), y if batch > 1 else int(y[0]))
    loss.backward(create_graph=True)
    grads = [p.grad for p in params]
    assert all(isinstance(g, Value) for g in grads)
    model.zero_grad()
    sum_values([g * float(c) for g, c in zip(grads, v)]).backward()
    hv = np.array([p.grad for p in params])

    def flat_grad(w: np.ndarray) -> np.ndarray:
        Ws, bs = model.weights()
        k, Ws2, bs2 = 0, [], []
        for W, b in zip(Ws, bs):
            n = W.size + b.size
            block = w[k : k + n].reshape(W.shape[0], -1)
            Ws2.append(block[:, :-1].reshape(W.shape))
            bs2.append(block[:, -1])
            k += n
        _, dWs, dbs, _ = reference.cnn_gradients_from_layers(model.config(), Ws2, bs2, X, y, "cross_entropy")
        return np.concatenate([np.column_stack([dW.reshape(dW.shape[0], -1), db]).ravel() for dW, db in zip(dWs, dbs)])

    w0 = np.array([p.data for p in params])
    h = 1e-5
    numeric = (flat_grad(w0 + h * v) - flat_grad(w0 - h * v)) / (2 * h)
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-7)


def test_max_pool_ties_go_to_the_first_largest_as_in_pytorch() -> None:
    """Equal maxima: the engine and the reference both pick the first in row-major window order
    (PyTorch's CPU max_pool2d keeps the first maximum it meets; tests/test_nn_conv_reference.py
    checks the reference against torch on ties)."""
    X = np.array([[1.0, 7.0, 7.0, 7.0, 2.0, 7.0], [7.0, 7.0, 0.0, 7.0, 7.0, 1.0]])  # two images 1x2x3
    model = Sequential(MaxPool2d((2, 3)), Flatten(), input_shape=(1, 2, 3))
    xs = [Value(col.copy()) for col in X.T]
    out = model(xs)
    out.sum().backward()
    got = np.stack([x.grad for x in xs], axis=1)
    want = reference.pool2d_backward("max", np.ones((2, 1, 1, 1)), X.reshape(2, 1, 2, 3), (2, 3)).reshape(2, 6)
    assert got.tolist() == want.tolist() == [[0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]
    one = [Value(v) for v in X[0]]  # the scalar path too
    model(one).backward()
    assert [v.grad for v in one] == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_an_output_pixel_sees_exactly_its_receptive_field() -> None:
    """C0.F1.z[0,1] of a 3x3 kernel with padding 1 on a 4x4 image: the filter's 9 weights, its bias and
    the 6 pixels inside the image (the padding adds no parents)."""
    model = Sequential(Conv2d(1, 2, 3, padding=1), input_shape=(1, 4, 4), seed=0)
    image = [Value(float(i)) for i in range(16)]
    for i, v in enumerate(image):
        v.label = f"x{i}"
    out = model(image)
    z = out[1 * 16 + 0 * 4 + 1]
    assert z.label == "C0.F1.z[0,1]"
    labels = [a.label for a in z._args if isinstance(a, Value)]
    assert [a for a in labels if a.startswith("C0")] == [
        f"C0.F1.w0.{i}.{j}" for i in range(3) for j in range(3) if i > 0
    ] + ["C0.F1.b"]
    assert [a for a in labels if a.startswith("x")] == ["x0", "x1", "x2", "x4", "x5", "x6"]


@pytest.mark.parametrize("batch", [1, 3])
def test_a_few_training_steps_lower_the_loss(batch: int) -> None:
    from nn.optim import Adam

    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 2, 3, padding=1), "relu", AvgPool2d(2), Flatten(), Layer(8, 2, "linear"),
                       input_shape=(1, 4, 4), seed=0)  # fmt: skip
    X, y = rng.normal(size=(batch, 16)), rng.integers(0, 2, batch)
    opt = Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(10):
        opt.zero_grad()
        loss = losses.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        first = loss.data if first is None else first
    assert losses.cross_entropy(model(X), y).data < first


def test_labels_follow_the_position_in_the_sequential() -> None:
    """Sequential numbers its layers through their public ``relabel`` hooks: C0.F3.w0.1.2, P2.C1[y,x],
    L4.N1.w0/.z/.a, and the same labels on one image and on lanes."""
    dense = Layer(8, 2, "tanh")  # built as layer 0 (L0...), placed at position 4
    model = Sequential(Conv2d(1, 2, 3, padding=1), "relu", MaxPool2d(2), Flatten(), dense, input_shape=(1, 4, 4))
    assert model.layers[0].filters[1].w[0][2][1].label == "C0.F1.w0.2.1"
    assert [p.label for p in dense.parameters()][:2] == ["L4.N0.w0", "L4.N0.w1"]
    assert dense.neurons[1].b.label == "L4.N1.b" and dense.index == 4
    for x in (np.zeros(16).tolist(), np.zeros((3, 16))):
        out = model(x)
        assert [a.label for a in out] == ["L4.N0.a", "L4.N1.a"]
        assert [p.label for p in out[1].parents] == ["L4.N1.z"]
        z = out[1].parents[0]
        pooled = [p.label for p in z.parents if p.label.startswith("P")]
        assert pooled[:2] == ["P2.C0[0,0]", "P2.C0[0,1]"] and pooled[-1] == "P2.C1[1,1]"
        relu = next(p for p in topological_order(out[0]) if p.label == "C0.F1.a[3,2]")
        assert relu.parents[0].label == "C0.F1.z[3,2]"
    assert [p.label for p in Sequential.from_config(model.config()).parameters()] == [
        p.label for p in model.parameters()
    ]


def test_save_and_load_keep_weights_labels_and_outputs(tmp_path) -> None:
    model = Sequential(Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1), "tanh", AvgPool2d(2), Flatten(),
                       Layer(6, 2, "linear"), input_shape=(2, 5, 4), seed=4)  # fmt: skip
    model.save(tmp_path / "cnn.json")
    again = Sequential.load(tmp_path / "cnn.json")
    X = np.random.default_rng(1).normal(size=(3, 40))
    assert [p.label for p in again.parameters()] == [p.label for p in model.parameters()]
    np.testing.assert_array_equal([v.data for v in again(X)], [v.data for v in model(X)])
    assert again.summary() == model.summary()


@settings(max_examples=20, deadline=None)
@given(networks(convs=(1, 1), max_batch=3))
def test_calling_a_conv_or_pool_layer_on_images_equals_the_reference(p: dict) -> None:
    """conv(x) and pool(x) on an (n, C, H, W) batch (lanes) and on one (C, H, W) image (a scalar graph)."""
    # atol: a sum that nearly cancels keeps only an absolute accuracy (the order of the terms differs)
    model, X = p["model"], p["X"]
    images = X.reshape(len(X), *model.input_shape)
    conv = model.layers[0]
    W, b = conv.weights()
    want = reference.conv2d_forward(images, W, b, conv.stride, conv.padding)
    np.testing.assert_allclose(
        np.array([z.data for z in conv(images)]), want.reshape(len(X), -1).T, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose([z.data for z in conv(images[0])], want[0].ravel(), rtol=1e-12, atol=1e-12)
    for pool, kind in ((MaxPool2d(1, 2), "max"), (AvgPool2d((1, 1)), "avg")):
        pooled = reference.pool2d_forward(kind, images, pool.kernel_size, pool.stride)
        np.testing.assert_allclose(np.array([v.data for v in pool(images)]), pooled.reshape(len(X), -1).T)


def test_calling_a_layer_on_a_bad_array_names_the_layer_and_the_shape() -> None:
    with pytest.raises(ShapeError, match=r"Conv2d\(2, 1, 3\) takes 2 input channels, got an input of shape"):
        Conv2d(2, 1, 3)(np.zeros((5, 1, 4, 4)))
    with pytest.raises(ShapeError, match=r"MaxPool2d\(3\): a 3x3 window does not fit an input of shape \(1, 2, 5\)"):
        MaxPool2d(3)(np.zeros((1, 2, 5)))
    with pytest.raises(ShapeError, match=r"expected an image \(C, H, W\) or a batch \(n, C, H, W\), got shape \(16,\)"):
        Conv2d(1, 1, 3)(np.zeros(16))
    with pytest.raises(DomainError, match="not finite"):
        AvgPool2d(2)(np.full((1, 2, 2), np.nan))
    with pytest.raises(OperandTypeError, match="array of numbers"):
        AvgPool2d(2)([[["a", "b"]]])


@settings(max_examples=15, deadline=None)
@given(networks(max_batch=3))
def test_every_input_form_gives_the_same_outputs(p: dict) -> None:
    """A batch as (n, C·H·W) or (n, C, H, W); one image as (C, H, W), C·H·W numbers or Values."""
    model, X = p["model"], p["X"]
    images = X.reshape(len(X), *model.input_shape)

    def data(out) -> np.ndarray:
        return np.array([v.data for v in (out if isinstance(out, list) else [out])])

    flat = data(model(X))
    np.testing.assert_array_equal(data(model(images)), flat)
    for one in (images[0], X[0], X[0].tolist(), [Value(v) for v in X[0]]):
        np.testing.assert_allclose(data(model(one)), flat[:, 0], rtol=1e-12, atol=1e-14)


def test_a_sequential_of_dense_layers_matches_the_mlp_reference() -> None:
    """input_shape=(features,): the CNN reference's vector path equals the MLP reference."""
    model = Sequential(Layer(4, 3, "tanh"), "relu", Layer(3, 2, "linear"), seed=2)
    X, y = np.random.default_rng(3).normal(size=(5, 4)), np.array([0, 1, 1, 0, 1])
    loss, dWs, dbs, dX = reference.cnn_gradients(model, X, y, "cross_entropy")
    Ws, bs = model.weights()
    # tanh then relu on the same layer: relu(tanh(z)), i.e. an MLP whose first activation is their composition
    Z1 = Ws[0] @ X.T + bs[0][:, None]
    A1 = np.maximum(np.tanh(Z1), 0.0)
    want_loss, (dW2,), (db2,) = reference.gradients_from_weights(Ws[1:], bs[1:], "linear", A1.T, y, "cross_entropy")
    assert loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(dWs[1], dW2, rtol=1e-12)
    np.testing.assert_allclose(dbs[1], db2, rtol=1e-12)
    xs = [Value(col.copy()) for col in X.T]
    losses.cross_entropy(model(xs), y).backward()
    got_W, got_b = engine_grads(model)
    assert_close(got_W, dWs, "dW")
    assert_close(got_b, dbs, "db")
    assert_close([np.stack([x.grad for x in xs], axis=1)], [dX], "dX")
