"""The NumPy convolution/pooling reference checked on its own: central differences, and PyTorch.

The reference (``nn.reference.conv2d_*``, ``pool2d_*``, ``cnn_*``) is the oracle the engine's
convolutions are tested against (tests/test_nn_conv.py), so it is checked here first, by
nothing but finite differences of its own forward pass (and by torch.nn.functional when torch is
installed, including max pooling's tie rule).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import reference


def central(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, entry by entry (x is changed in place and restored)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + eps
        up = f()
        x[i] = keep - eps
        down = f()
        x[i] = keep
        g[i] = (up - down) / (2 * eps)
    return g


@st.composite
def conv_problems(draw: st.DrawFn) -> dict:
    m, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh, kw = draw(st.integers(1, min(4, H + 2 * ph))), draw(st.integers(1, min(4, W + 2 * pw)))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return dict(
        X=rng.normal(size=(m, C, H, W)),
        W=rng.normal(size=(F, C, kh, kw)),
        b=rng.normal(size=F),
        stride=(sh, sw),
        padding=(ph, pw),
        R=None,
        rng=rng,
    )


@settings(max_examples=25, deadline=None)
@given(conv_problems())
def test_conv_backward_equals_central_differences(p: dict) -> None:
    X, W, b, s, pad = p["X"], p["W"], p["b"], p["stride"], p["padding"]
    Z = reference.conv2d_forward(X, W, b, s, pad)
    R = p["rng"].normal(size=Z.shape)  # L = Σ R ⊙ Z, so dZ = R

    def loss() -> float:
        return float(np.sum(R * reference.conv2d_forward(X, W, b, s, pad)))

    dX, dW, db = reference.conv2d_backward(R, X, W, s, pad)
    np.testing.assert_allclose(dW, central(loss, W), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, central(loss, b), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dX, central(loss, X), rtol=1e-6, atol=1e-7)


def test_conv_forward_by_hand() -> None:
    """One 3x3 image, a 2x2 filter, stride 2, padding 1: every output written out."""
    X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # 1 2 3 / 4 5 6 / 7 8 9
    W = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    Z = reference.conv2d_forward(X, W, np.array([0.0]), stride=2, padding=1)
    # padded rows/cols -1..3; windows start at -1 and 1: (-1,-1) sees only x[0,0] under w[1,1], ...
    assert Z[0, 0].tolist() == [[4 * 1.0, 3 * 2 + 4 * 3], [2 * 4 + 4 * 7, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9]]


@st.composite
def pool_problems(draw: st.DrawFn) -> dict:
    m, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, H)), draw(st.integers(1, W))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # distinct values 0.01 apart: no ties, and a step of 1e-6 never changes a window's argmax
    X = rng.permutation(m * C * H * W).reshape(m, C, H, W) * 0.01 + rng.normal() * 0.1
    return dict(X=X, kernel=(kh, kw), stride=stride, rng=rng)


@settings(max_examples=40, deadline=None)
@given(pool_problems(), st.sampled_from(["max", "avg"]))
def test_pool_backward_equals_central_differences(p: dict, kind: str) -> None:
    X, k, s = p["X"], p["kernel"], p["stride"]
    P = reference.pool2d_forward(kind, X, k, s)
    R = p["rng"].normal(size=P.shape)

    def loss() -> float:
        return float(np.sum(R * reference.pool2d_forward(kind, X, k, s)))

    np.testing.assert_allclose(reference.pool2d_backward(kind, R, X, k, s), central(loss, X), rtol=1e-6, atol=1e-7)


def test_max_pool_sends_a_tie_to_the_first_largest_in_row_major_order() -> None:
    X = np.array([[[[1.0, 7.0, 7.0], [7.0, 2.0, 7.0]]]])
    dX = reference.pool2d_backward("max", np.ones((1, 1, 1, 1)), X, (2, 3))
    assert dX[0, 0].tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


@st.composite
def cnn_problems(draw: st.DrawFn) -> dict:
    """conv -> activation -> pool -> flatten -> dense -> loss, the tutorials' CNN, small and random."""
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 5)), draw(st.integers(2, 5))
    F, k, pad = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 1))
    k = min(k, H + 2 * pad, W + 2 * pad)
    oh, ow = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    pk = draw(st.integers(1, min(oh, ow, 2)))
    n = F * (oh // pk) * (ow // pk)
    classes, m = draw(st.integers(2, 3)), draw(st.integers(1, 4))
    act = draw(st.sampled_from(["tanh", "sigmoid", "softplus"]))
    pool = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    config = {
        "input_shape": [C, H, W],
        "layers": [
            {"type": "Conv2d", "in_channels": C, "out_channels": F, "kernel_size": [k, k], "stride": [1, 1],
             "padding": [pad, pad]},
            {"type": "Activation", "activation": act},
            {"type": pool, "kernel_size": [pk, pk], "stride": [pk, pk]},
            {"type": "Flatten"},
            {"type": "Layer", "nin": n, "nout": classes, "activation": "linear"},
        ],
    }  # fmt: skip
    Ws = [rng.normal(size=(F, C, k, k)), rng.normal(size=(classes, n))]
    bs = [rng.normal(size=F), rng.normal(size=classes)]
    X = rng.normal(size=(m, C * H * W))
    y = rng.integers(0, classes, m)
    return dict(config=config, Ws=Ws, bs=bs, X=X, y=y, loss=draw(st.sampled_from(["cross_entropy", "mse"])))


@settings(max_examples=15, deadline=None)
@given(cnn_problems())
def test_reference_cnn_gradients_equal_central_differences(p: dict) -> None:
    config, Ws, bs, X, y, loss = p["config"], p["Ws"], p["bs"], p["X"], p["y"], p["loss"]
    if loss == "mse":
        y = np.eye(Ws[-1].shape[0])[y]

    def value() -> float:
        return reference.cnn_gradients_from_layers(config, Ws, bs, X, y, loss)[0]

    _, dWs, dbs, dX = reference.cnn_gradients_from_layers(config, Ws, bs, X, y, loss)
    for got, arrays in ((dWs, Ws), (dbs, bs)):
        for g, a in zip(got, arrays, strict=True):
            np.testing.assert_allclose(g, central(value, a), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dX, central(value, X), rtol=1e-5, atol=1e-7)


def test_reference_rejects_a_window_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        reference.conv2d_forward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        reference.pool2d_forward("min", np.zeros((1, 1, 2, 2)), 2)


# --- the reference against PyTorch (skipped without torch) ----------------------------------


@settings(max_examples=15, deadline=None)
@given(conv_problems())
def test_conv_reference_equals_torch(p: dict) -> None:
    torch = pytest.importorskip("torch")
    X = torch.tensor(p["X"], requires_grad=True)
    W = torch.tensor(p["W"], requires_grad=True)
    b = torch.tensor(p["b"], requires_grad=True)
    Z = torch.nn.functional.conv2d(X, W, b, stride=p["stride"], padding=p["padding"])
    np.testing.assert_allclose(
        reference.conv2d_forward(p["X"], p["W"], p["b"], p["stride"], p["padding"]), Z.detach().numpy(), atol=1e-12
    )
    R = p["rng"].normal(size=tuple(Z.shape))
    Z.backward(torch.tensor(R))
    dX, dW, db = reference.conv2d_backward(R, p["X"], p["W"], p["stride"], p["padding"])
    for ours, theirs in ((dX, X), (dW, W), (db, b)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(pool_problems(), st.sampled_from(["max", "avg"]), st.booleans())
def test_pool_reference_equals_torch_ties_included(p: dict, kind: str, ties: bool) -> None:
    torch = pytest.importorskip("torch")
    X = np.round(p["X"] * 20) / 20 if ties else p["X"]  # few distinct values: many ties
    Xt = torch.tensor(X, requires_grad=True)
    fn = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    P = fn(Xt, p["kernel"], p["stride"])
    np.testing.assert_allclose(reference.pool2d_forward(kind, X, p["kernel"], p["stride"]), P.detach().numpy())
    R = p["rng"].normal(size=tuple(P.shape))
    P.backward(torch.tensor(R))
    dX = reference.pool2d_backward(kind, R, X, p["kernel"], p["stride"])
    np.testing.assert_allclose(dX, Xt.grad.numpy(), atol=1e-12)
