"""The PyTorch bridge for convolutional Sequentials: to_torch, from_torch, ONNX and `backprop export`.

Random models (channels, kernel sizes, strides, paddings, image sizes, pooling, activations)
are built here and compared with the torch.nn.Sequential that ``to_torch`` makes: outputs,
the loss and every parameter gradient to 1e-12; both round trips bit for bit. Skipped, with
the reason, without torch (and the ONNX tests without onnx and onnxruntime).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_core.conv import output_size
from nn import (
    MLP,
    SGD,
    AvgPool2d,
    Conv2d,
    ConversionError,
    Flatten,
    Layer,
    MaxPool2d,
    Sequential,
    export_onnx,
    from_torch,
    mse,
    to_torch,
)
from viz.cli import main

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_ONNX = HAS_TORCH and all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
pytestmark = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed: pip install 'autograd-core[torch]'")
needs_onnx = pytest.mark.skipif(
    not HAS_ONNX, reason="onnx and onnxruntime are not installed: pip install onnx onnxruntime"
)

HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus"]
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny convolutions: PyTorch's thread pool only adds waiting on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- strategies ---------------------------------------------------------------------------


@st.composite
def conv_models(draw: st.DrawFn) -> Sequential:
    """A random Sequential: 1-2 blocks of Conv2d [activation] [pooling], then Flatten [Linear [activation]].

    Every number is drawn: channels 1-3, image 3-7 x 3-7, kernels 1-3 (each side), strides 1-2,
    paddings 0-1, max or average pooling with window 1-2 and stride 1-2; weights and biases
    are random normals (non-zero biases, so a bias bug shows).
    """
    shape = (draw(st.integers(1, 3)), draw(st.integers(3, 7)), draw(st.integers(3, 7)))
    start, layers = shape, []
    for _ in range(draw(st.integers(1, 2))):
        C, H, W = shape
        ph, pw = draw(st.integers(0, 1)), draw(st.integers(0, 1))
        kh, kw = draw(st.integers(1, min(3, H + 2 * ph))), draw(st.integers(1, min(3, W + 2 * pw)))
        sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        F = draw(st.integers(1, 3))
        layers.append(Conv2d(C, F, (kh, kw), (sh, sw), (ph, pw)))
        shape = (F, output_size(H, kh, sh, ph), output_size(W, kw, sw, pw))
        act = draw(st.sampled_from([None, *HIDDEN]))
        if act:
            layers.append(act)
        pool = draw(st.sampled_from([None, MaxPool2d, AvgPool2d]))
        if pool is not None:
            wh, ww = draw(st.integers(1, min(2, shape[1]))), draw(st.integers(1, min(2, shape[2])))
            qh, qw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
            layers.append(pool((wh, ww), (qh, qw)))
            shape = (shape[0], output_size(shape[1], wh, qh), output_size(shape[2], ww, qw))
    layers.append(Flatten())
    if draw(st.booleans()):
        layers.append(Layer(int(np.prod(shape)), draw(st.integers(1, 3)), draw(st.sampled_from(["linear", *HIDDEN]))))
    model = Sequential(*layers, input_shape=start)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    Ws, bs = model.weights()
    model.set_weights([rng.normal(size=W.shape) for W in Ws], [rng.normal(size=b.shape) for b in bs])
    return model


def _batch(model: Sequential, seed: int, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, model.nin)), rng.normal(size=(n, int(np.prod(model.output_shape))))


def _ours(model: Sequential, X: np.ndarray) -> list:
    out = model(X)
    return out if isinstance(out, list) else [out]


def _our_loss(model: Sequential, X: np.ndarray, Y: np.ndarray):
    outs = _ours(model, X)
    return mse(outs, Y if len(outs) > 1 else Y[:, 0])


def _torch_grads(net) -> np.ndarray:
    """Every parameter gradient of the torch model in our parameters() order.

    Ours: a filter's weights in (in-channel, row, column) order then its bias, filter by
    filter; a neuron's weights then its bias, neuron by neuron.
    """
    import torch

    out = []
    for m in net:
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            w = m.weight.grad.reshape(m.weight.shape[0], -1).numpy()
            out.append(np.hstack([w, m.bias.grad.numpy()[:, None]]).reshape(-1))
    return np.concatenate(out)


# --- to_torch -------------------------------------------------------------------------------


@FAST
@given(conv_models(), st.integers(0, 2**16))
def test_conv_outputs_and_every_gradient_agree_with_torch(model: Sequential, seed: int) -> None:
    import torch

    X, Y = _batch(model, seed)
    net = model.to_torch()
    assert type(net[0]) is torch.nn.Unflatten and all(p.dtype == torch.float64 for p in net.parameters())
    ours = np.stack([o.data for o in _ours(model, X)], axis=1)
    theirs = net(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(theirs.reshape(len(X), -1), ours, rtol=0, atol=1e-12)
    images = X.reshape(len(X), *model.input_shape)  # (n, C, H, W): net[1:] takes PyTorch's own layout
    np.testing.assert_allclose(net[1:](torch.from_numpy(images)).detach().numpy(), theirs, rtol=0, atol=0)

    model.zero_grad()
    loss = _our_loss(model, X, Y)
    loss.backward()
    tloss = torch.nn.functional.mse_loss(net(torch.from_numpy(X)).reshape(len(X), -1), torch.from_numpy(Y))
    tloss.backward()
    assert abs(loss.data - tloss.item()) <= 1e-12
    ours_grad = np.array([p.grad for p in model.parameters()])
    np.testing.assert_allclose(_torch_grads(net), ours_grad, rtol=0, atol=1e-12)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_models(), st.integers(0, 2**16))
def test_three_sgd_steps_of_a_conv_model_agree_with_torch_optim_sgd(model: Sequential, seed: int) -> None:
    import torch

    X, Y = _batch(model, seed)
    net = model.to_torch()
    opt, topt = SGD(model.parameters(), lr=0.01, momentum=0.9), torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        _our_loss(model, X, Y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.mse_loss(net(torch.from_numpy(X)).reshape(len(X), -1), torch.from_numpy(Y)).backward()
        topt.step()
    for a, b in zip(model.weights()[0], from_torch(net).weights()[0], strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)  # weights may grow to 1e3: rounding scales


def test_to_torch_of_a_sequential_names_the_modules_and_their_arguments() -> None:
    import torch

    model = Sequential(
        Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), "tanh", AvgPool2d(2, 1), MaxPool2d((2, 1)),
        Flatten(), Layer(12, 3, "relu"), "softmax", input_shape=(2, 5, 6),
    )  # fmt: skip
    net = to_torch(model)
    kinds = ["Unflatten", "Conv2d", "Tanh", "AvgPool2d", "MaxPool2d", "Flatten", "Linear", "ReLU", "Softmax"]
    assert [type(m).__name__ for m in net] == kinds
    assert net[0].unflattened_size == (2, 5, 6)
    conv = net[1]
    geometry = (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups)
    assert geometry == ((3, 2), (2, 1), (1, 0), (1, 1), 1)
    assert tuple(net[3].kernel_size) == (2, 2) and tuple(net[3].stride) == (1, 1)
    assert net[4].kernel_size == (2, 1) and net[4].stride == (2, 1)
    W, b = model.layers[0].weights()
    assert np.array_equal(conv.weight.detach().numpy(), W) and np.array_equal(conv.bias.detach().numpy(), b)
    with torch.no_grad():
        conv.weight.add_(1.0)  # the copy is independent
    assert np.array_equal(model.layers[0].weights()[0], W)
    vector = Sequential(Layer(3, 2, "tanh"), "sigmoid", input_shape=(3,))  # a vector input: no Unflatten
    assert [type(m).__name__ for m in to_torch(vector)] == ["Linear", "Tanh", "Sigmoid"]


# --- round trips --------------------------------------------------------------------------


@FAST
@given(conv_models())
def test_conv_round_trip_is_bit_for_bit(model: Sequential) -> None:
    import torch

    net = model.to_torch()
    back = from_torch(net)
    assert isinstance(back, Sequential) and back.input_shape == model.input_shape
    assert back.output_shape == model.output_shape and back.config() == model.config()
    for ours, theirs in zip(model.weights(), back.weights(), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert a.tobytes() == b.tobytes()
    assert back.state_dict() == model.state_dict()
    again = back.to_torch()
    assert [type(m) for m in again] == [type(m) for m in net]
    for (k, t), (k2, t2) in zip(net.state_dict().items(), again.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(t, t2)


def test_a_linear_takes_the_activation_after_it_and_other_activations_are_items() -> None:
    model = Sequential(Conv2d(1, 2, 2), "relu", Flatten(), Layer(8, 3, "linear"), "tanh", input_shape=(1, 3, 3))
    back = from_torch(to_torch(model))
    assert [layer.config()["type"] for layer in back.layers] == ["Conv2d", "Activation", "Flatten", "Layer"]
    assert back.layers[3].activation == "tanh"  # Layer(8, 3, "linear"), "tanh" computes Layer(8, 3, "tanh")
    X = np.random.default_rng(0).normal(size=(4, 9))
    np.testing.assert_array_equal(np.stack([o.data for o in back(X)]), np.stack([o.data for o in model(X)]))


def test_from_torch_reads_pytorch_models_as_pytorch_users_write_them() -> None:
    import torch

    T = torch.nn
    torch.manual_seed(0)
    net = T.Sequential(
        T.Sequential(T.Conv2d(1, 4, 3, padding="same"), T.ReLU()), T.MaxPool2d(2), T.Conv2d(4, 2, 3, padding="valid"),
        T.AvgPool2d(1, count_include_pad=False), T.Identity(), T.Flatten(), T.Linear(8, 3), T.Softmax(dim=1),
    )  # fmt: skip
    model = from_torch(net, input_shape=(1, 8, 8))  # float32 weights, widened exactly
    assert model.summary().splitlines()[0] == "Sequential: (1, 8, 8) -> (3,)"
    assert model.layers[0].padding == (1, 1) and model.layers[3].padding == (0, 0)
    assert np.array_equal(model.layers[0].weights()[0], net[0][0].weight.detach().double().numpy())
    X = np.random.default_rng(0).normal(size=(5, 64))
    theirs = net.double()(torch.from_numpy(X).reshape(5, 1, 8, 8)).detach().numpy()
    np.testing.assert_allclose(np.stack([o.data for o in model(X)], axis=1), theirs, rtol=0, atol=1e-12)
    flat = from_torch(T.Sequential(T.Flatten(), T.Linear(6, 2)))  # Flatten first: rows of 6 go in
    assert isinstance(flat, Sequential) and flat.input_shape == (6,)
    assert isinstance(from_torch(T.Sequential(T.Linear(2, 3), T.ReLU())), MLP)  # no image module: an MLP, as before


def _refusals():
    import torch

    T = torch.nn
    shape = (1, 6, 6)
    return [
        (T.Sequential(T.Conv2d(1, 2, 3, dilation=2)), r"module '0' \(Conv2d\(1, 2.*dilation=\(2, 2\) is not supported"),
        (T.Sequential(T.Conv2d(2, 2, 3, groups=2)), r"module '0' .*groups=2 is not supported"),
        (T.Sequential(T.Conv2d(1, 2, 3, padding=1, padding_mode="reflect")), r"padding_mode='reflect' is not"),
        (T.Sequential(T.Conv2d(1, 2, 3, bias=False)), r"module '0' .*no bias"),
        (T.Sequential(T.Conv2d(1, 2, 2, padding="same")), r"padding='same' with the even kernel \(2, 2\)"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.MaxPool2d(2, ceil_mode=True)), r"module '1' .*ceil_mode=True is not"),
        (T.Sequential(T.MaxPool2d(2, padding=1)), r"module '0' \(MaxPool2d.*padding=1 is not supported"),
        (T.Sequential(T.MaxPool2d(2, dilation=2)), r"dilation=2 is not supported"),
        (T.Sequential(T.MaxPool2d(2, return_indices=True)), r"return_indices=True is not supported"),
        (T.Sequential(T.AvgPool2d(3, padding=1, count_include_pad=False)), r"AvgPool2d.*padding=1 is not supported"),
        (T.Sequential(T.AvgPool2d(2, divisor_override=3)), r"divisor_override=3 is not supported"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Flatten(0)), r"module '1' .*start_dim=0 is not supported"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Unflatten(1, (2, 4, 4))), r"module '1' .*only supported as the first"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Linear(32, 2)), r"module '1' .*gets an image of shape \(2, 4, 4\)"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Conv2d(3, 1, 1)), r"module '1' .*takes 3 input channels"),
        (T.Sequential(T.Conv2d(1, 2, 7)), r"module '0' .*a 7x7 kernel .* does not fit"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Flatten(), T.Linear(31, 2)), r"module '2' .*takes 31 inputs but gets 32"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Softmax(dim=1), T.Flatten()), r"module '1' .*softmax is only supported"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.Dropout2d(0.1)), r"module '1' \(Dropout2d.*cannot be imported"),
        (T.Sequential(T.Conv2d(1, 2, 3), T.BatchNorm2d(2)), r"module '1' \(BatchNorm2d.*cannot be imported"),
        (T.Sequential(T.ConvTranspose2d(1, 2, 3)), r"module '0' \(ConvTranspose2d.*cannot be imported"),
    ], shape


def test_from_torch_refuses_unsupported_options_by_name_and_builds_nothing() -> None:
    import torch

    cases, shape = _refusals()
    for net, pattern in cases:
        with pytest.raises(ConversionError, match=pattern):
            from_torch(net, input_shape=shape)
    T = torch.nn
    with pytest.raises(ConversionError, match=r"module '0' \(Conv2d.* comes first, so the image size is not known"):
        from_torch(T.Sequential(T.Conv2d(1, 2, 3)))
    with pytest.raises(ConversionError, match=r"input_shape=\(1, 5, 5\) but module '0' .* gives \(1, 6, 6\)"):
        from_torch(T.Sequential(T.Unflatten(1, (1, 6, 6)), T.Conv2d(1, 2, 3)), input_shape=(1, 5, 5))
    with pytest.raises(ConversionError, match="input_shape= goes with a module"):
        from_torch(T.Sequential(T.Conv2d(1, 2, 3)).state_dict(), input_shape=shape)


# --- ONNX and the command line ----------------------------------------------------------------


def _onnx_outputs(path: Path, X: np.ndarray) -> np.ndarray:
    import onnx
    import onnxruntime

    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": X})[0]


def _cnn(seed: int = 0) -> Sequential:
    return Sequential(
        Conv2d(1, 4, 3, padding=1), "relu", MaxPool2d(2), Conv2d(4, 3, 2), "tanh", AvgPool2d(1), Flatten(),
        Layer(27, 3, "linear"), "softmax", input_shape=(1, 8, 8), seed=seed,
    )  # fmt: skip


@needs_onnx
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_export_onnx_of_a_conv_model_is_checked_and_runs_in_onnxruntime(tmp_path: Path) -> None:
    import onnx

    model = _cnn()
    info = export_onnx(model, tmp_path / "cnn.onnx")
    assert info["checked"] and info["inputs"] == {"input": 64} and info["outputs"] == {"output": 3}
    X = np.random.default_rng(0).normal(size=(6, 64))
    got = _onnx_outputs(tmp_path / "cnn.onnx", X.astype(np.float32))
    assert got.dtype == np.float32 and got.shape == (6, 3)
    np.testing.assert_allclose(got, np.stack([o.data for o in model(X)], axis=1), rtol=1e-5, atol=1e-6)
    info = export_onnx(model, tmp_path / "exact.onnx", dtype="float64")  # onnxruntime has no float64 Conv
    assert info["checked"]
    ops = {node.op_type for node in onnx.load(str(tmp_path / "exact.onnx")).graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "Gemm", "Softmax"} <= ops
    pooled = Sequential(MaxPool2d(2), Flatten(), input_shape=(2, 4, 4))  # MaxPool does run in float64: exact
    export_onnx(pooled, tmp_path / "pool.onnx", dtype="float64")
    Xp = X[:, :32]
    np.testing.assert_array_equal(_onnx_outputs(tmp_path / "pool.onnx", Xp), np.stack([o.data for o in pooled(Xp)], 1))


@needs_onnx
def test_cli_export_of_a_saved_conv_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _cnn(seed=3)
    model.save(tmp_path / "cnn.json")
    assert main(["export", str(tmp_path / "cnn.json"), "-o", str(tmp_path / "cnn.onnx")]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out.startswith(
        f"wrote {tmp_path / 'cnn.onnx'}: Sequential (1, 8, 8) -> (3,), input 'input' (batch, 64 = 1x8x8 flattened) "
        "float32 -> output 'output' (batch, 3), checked by onnx.checker"
    )
    X = np.random.default_rng(1).normal(size=(4, 64))
    got = _onnx_outputs(tmp_path / "cnn.onnx", X.astype(np.float32))
    np.testing.assert_allclose(got, np.stack([o.data for o in model(X)], axis=1), rtol=1e-5, atol=1e-6)
