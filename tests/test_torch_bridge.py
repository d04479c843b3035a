"""The PyTorch bridge: to_torch, from_torch, export_onnx and `backprop export`.

Without torch the tests that need it are skipped (with the reason); the tests of what happens
without torch simulate its absence in a subprocess (``sys.modules['torch'] = None``).
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, SGD, ConversionError, Layer, from_torch, mse, to_torch
from viz.cli import main

ROOT = Path(__file__).resolve().parents[1]
INSTALL = "pip install 'autograd-core[torch]'"
NO_TORCH = f"PyTorch is not installed: {INSTALL}"
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_ONNX = HAS_TORCH and all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason=NO_TORCH)
needs_onnx = pytest.mark.skipif(
    not HAS_ONNX, reason="onnx and onnxruntime are not installed: pip install onnx onnxruntime"
)

HIDDEN = ["linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus"]
OUTPUT = [*HIDDEN, "softmax"]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


# --- without torch (no torch needed) ----------------------------------------------------------


def test_importing_nn_and_the_cli_never_imports_torch() -> None:
    proc = _run("import sys, nn, nn.torch_bridge, viz, viz.cli, viz.cli_export; print('torch' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_without_torch_every_bridge_function_says_how_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    code = f"""
import sys
sys.modules["torch"] = None  # import torch now raises ImportError, as when it is not installed
import nn
from nn import torch_bridge
model = nn.MLP(2, [3, 1], seed=0)
calls = {{
    "to_torch": lambda: nn.to_torch(model),
    "method": lambda: model.to_torch(),
    "from_torch": lambda: nn.from_torch({{}}),
    "export_onnx": lambda: torch_bridge.export_onnx(model, {str(tmp_path / "m.onnx")!r}),
}}
for name, call in calls.items():
    try:
        call()
    except ImportError as err:
        print(name, "|", err)
    else:
        print(name, "| no error")
from viz.cli import main
print("cli", main(["export", {str(path)!r}]))
"""
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split(" |")[0] for line in lines[:4]] == ["to_torch", "method", "from_torch", "export_onnx"]
    for line in lines[:4]:
        assert INSTALL in line, line
    assert lines[4] == "cli 2"
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and INSTALL in err[0] and err[0].startswith("backprop: error: export_onnx needs PyTorch")
    assert not (tmp_path / "m.onnx").exists()


# --- strategies ---------------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> MLP:
    """A random MLP: 1-4 inputs, 1-3 layers of width 1-5, any hidden and output activations."""
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in nouts[:-1]]
    out = draw(st.sampled_from(OUTPUT))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    sizes = [nin, *nouts]
    Ws = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(nouts))]
    bs = [rng.normal(size=n) for n in nouts]  # non-zero biases, so a bias bug shows
    return MLP.from_weights(Ws, bs, [*hidden, out])


def _batch(model: MLP, seed: int, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, model.nin)), rng.normal(size=(n, model.nouts[-1]))


def _ours(model: MLP, X: np.ndarray) -> list:
    out = model(X)
    return out if isinstance(out, list) else [out]


def _our_loss(model: MLP, X: np.ndarray, Y: np.ndarray):
    outs = _ours(model, X)
    return mse(outs, Y if len(outs) > 1 else Y[:, 0])


def _our_grads(model: MLP) -> list[np.ndarray]:
    """Per layer, the (nout, nin + 1) matrix [dW | db], from parameters() order."""
    return [np.array([p.grad for p in layer.parameters()]).reshape(layer.nout, layer.nin + 1) for layer in model.layers]


def _torch_grads(net) -> list[np.ndarray]:
    import torch

    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    return [np.hstack([m.weight.grad.numpy(), m.bias.grad.numpy()[:, None]]) for m in linears]


def _torch_loss(net, X: np.ndarray, Y: np.ndarray):
    import torch

    return torch.nn.functional.mse_loss(net(torch.from_numpy(X)), torch.from_numpy(Y))


# --- to_torch -------------------------------------------------------------------------------


@needs_torch
@settings(max_examples=25)
@given(networks(), st.integers(0, 2**16))
def test_to_torch_outputs_and_gradients_agree(model: MLP, seed: int) -> None:
    import torch

    X, Y = _batch(model, seed)
    net = model.to_torch()
    assert all(p.dtype == torch.float64 for p in net.parameters())
    ours = np.stack([o.data for o in _ours(model, X)], axis=1)
    theirs = net(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)

    model.zero_grad()
    loss = _our_loss(model, X, Y)
    loss.backward()
    tloss = _torch_loss(net, X, Y)
    tloss.backward()
    assert abs(loss.data - tloss.item()) <= 1e-12
    for g, tg in zip(_our_grads(model), _torch_grads(net), strict=True):
        np.testing.assert_allclose(tg, g, rtol=0, atol=1e-12)


@needs_torch
def test_to_torch_layers_and_a_single_layer() -> None:
    model = MLP(3, [4, 4, 2], activation=["leaky_relu", "softplus"], output_activation="softmax", seed=1)
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "LeakyReLU", "Linear", "Softplus", "Linear", "Softmax"]
    assert net[1].negative_slope == 0.01 and net[3].beta == 1.0 and net[3].threshold == 40.0 and net[5].dim == -1
    layer = Layer(2, 3, "tanh", weights=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], biases=[0.5, 0.25, 0.125])
    single = to_torch(layer)
    assert single[0].weight.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert single[0].bias.tolist() == [0.5, 0.25, 0.125]


@needs_torch
def test_softplus_agrees_far_out_where_torch_linearises() -> None:
    import torch

    model = MLP.from_weights([[[1.0]]], [[0.0]], "softplus")
    X = np.array([[-800.0], [-30.0], [0.0], [25.0], [39.0], [41.0], [800.0]])
    theirs = model.to_torch()(torch.from_numpy(X)).detach().numpy()[:, 0]
    np.testing.assert_allclose(theirs, model(X).data, rtol=1e-15, atol=1e-300)


@needs_torch
def test_to_torch_refuses_a_custom_activation_naming_the_layer() -> None:
    model = MLP(2, [3, 1], activation=lambda v: v * 2.0, seed=0)
    with pytest.raises(ConversionError, match=r"to_torch: layer 0 \(Layer\) has the custom activation '<lambda>'"):
        model.to_torch()
    with pytest.raises(ConversionError, match=r"a (Value|Parameter) cannot be converted"):
        to_torch(model.parameters()[0])


@needs_torch
def test_the_torch_copy_is_independent() -> None:
    import torch

    model = MLP(2, [2, 1], seed=0)
    net = model.to_torch()
    before = model.weights()[0][0].copy()
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert np.array_equal(model.weights()[0][0], before)


# --- round trips --------------------------------------------------------------------------


@needs_torch
@settings(max_examples=25)
@given(networks())
def test_round_trip_is_bit_for_bit(model: MLP) -> None:
    import torch

    net = model.to_torch()
    back = from_torch(net)
    assert back.activations == model.activations and back.nouts == model.nouts and back.nin == model.nin
    for ours, theirs in zip(model.weights(), back.weights(), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert a.tobytes() == b.tobytes()
    again = back.to_torch()
    for (k, t), (k2, t2) in zip(net.state_dict().items(), again.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(t, t2)
    linears = [str(i) for i, m in enumerate(net) if isinstance(m, torch.nn.Linear)]
    assert list(net.state_dict()) == [f"{i}.{w}" for i in linears for w in ("weight", "bias")]
    from_state = from_torch(
        net.state_dict(),
        sizes=[model.nin, *model.nouts],
        activation=model.activations[:-1],
        output_activation=model.activations[-1],
    )
    assert from_state.state_dict() == model.state_dict()


@needs_torch
@settings(max_examples=20)
@given(networks(), st.integers(0, 2**16), st.sampled_from([0.0, 0.9]), st.sampled_from([0.01, 0.1]))
def test_three_sgd_steps_agree_with_torch_optim_sgd(model: MLP, seed: int, momentum: float, lr: float) -> None:
    import torch

    X, Y = _batch(model, seed)
    net = model.to_torch()
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    topt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for _ in range(3):
        opt.zero_grad()
        _our_loss(model, X, Y).backward()
        opt.step()
        topt.zero_grad()
        _torch_loss(net, X, Y).backward()
        topt.step()
    trained = from_torch(net)
    for ours, theirs in zip(model.weights(), trained.weights(), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            # relative too: lr=0.1 on a linear net can grow weights to ~1e5, where 1e-12 is below one ulp
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-12)


# --- from_torch -----------------------------------------------------------------------------


@needs_torch
def test_from_torch_widens_float32_exactly_and_flattens_nested_sequentials() -> None:
    import torch

    torch.manual_seed(0)
    inner = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ELU())
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Identity(), inner, torch.nn.Linear(3, 2))
    model = from_torch(net)  # float32 weights
    assert model.activations == ["tanh", "elu", "linear"] and model.nouts == [4, 3, 2]
    assert np.array_equal(model.weights()[0][1], net[3][0].weight.detach().double().numpy())
    X = np.random.default_rng(0).normal(size=(6, 2))
    theirs = net.double()(torch.from_numpy(X)).detach().numpy()
    ours = np.stack([o.data for o in model(X)], axis=1)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)
    assert from_torch(torch.nn.Linear(3, 2)).activations == ["linear"]


def _refusals():
    import torch

    T = torch.nn
    return [
        (T.Sequential(T.Linear(2, 3), T.ReLU(), T.Dropout(0.5), T.Linear(3, 1)), r"module '2' \(Dropout\(p=0.5"),
        (T.Sequential(T.Conv2d(1, 2, 3)), r"module '0' \(Conv2d\(1, 2"),
        (T.Sequential(T.Linear(2, 3), T.Sequential(T.Linear(3, 3), T.GELU())), r"module '1.1' \(GELU"),
        (T.Sequential(T.Linear(2, 3), T.LeakyReLU(0.2)), r"module '1' .*only negative_slope=0.01"),
        (T.Sequential(T.Linear(2, 3), T.ELU(alpha=0.5)), r"module '1' .*only alpha=1.0"),
        (T.Sequential(T.Linear(2, 3), T.Softplus(beta=2.0)), r"module '1' .*only beta=1.0"),
        (T.Sequential(T.Linear(2, 3), T.Softmax(dim=0)), r"module '1' .*dim=0"),
        (T.Sequential(T.Linear(2, 3, bias=False)), r"module '0' .*no bias"),
        (T.Sequential(T.ReLU(), T.Linear(2, 3)), r"module '0' \(ReLU\(\)\) does not follow a Linear"),
        (T.Sequential(T.Linear(2, 3), T.ReLU(), T.Tanh()), r"module '2' \(Tanh\(\)\) does not follow a Linear"),
        (T.Sequential(T.Linear(2, 3), T.Linear(4, 1)), r"module '1' .* takes 4 inputs but the layer before it gives 3"),
        (T.Sequential(T.Linear(2, 3), T.Softmax(dim=-1), T.Linear(3, 1)), r"layer 0: softmax is only supported"),
        (T.Sequential(), "the Sequential is empty"),
        (T.Sequential(T.Identity()), "no Linear layer"),
        (T.Module(), "not a torch.nn.Sequential"),
    ]


@needs_torch
def test_from_torch_refuses_naming_the_first_module_it_cannot_import() -> None:
    for net, pattern in _refusals():
        with pytest.raises(ConversionError, match=pattern):
            from_torch(net)
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Sequential or a state_dict, got list"):
        from_torch([1, 2])


@needs_torch
def test_from_torch_state_dict_checks_its_entries_and_sizes() -> None:
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    state = net.state_dict()
    model = from_torch(state, sizes=[2, 3, 1], activation="tanh")
    assert model.activations == ["tanh", "linear"]
    assert from_torch(state).nouts == [3, 1]  # sizes are read from the shapes when not given
    with pytest.raises(ConversionError, match=r"sizes=\[2, 4, 1\] but the state_dict's layers are \[2, 3, 1\]"):
        from_torch(state, sizes=[2, 4, 1])
    with pytest.raises(ConversionError, match="got 2 hidden activations for 1 hidden layers"):
        from_torch(state, activation=["tanh", "relu"])
    bn = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)).state_dict()
    with pytest.raises(ConversionError, match=r"entry '1.running_mean' cannot be imported"):
        from_torch(bn)
    swapped = {"0.bias": state["0.bias"], "0.weight": state["0.weight"]}
    with pytest.raises(ConversionError, match=r"entry '0.bias' cannot be imported; expected '<layer>.weight'"):
        from_torch(swapped)
    bad = dict(state)
    bad["2.weight"] = torch.full((1, 3), float("nan"))
    with pytest.raises(ConversionError, match=r"state_dict\['2.weight'\] holds a non-finite number"):
        from_torch(bad)
    with pytest.raises(ConversionError, match="sizes= goes with a state_dict"):
        from_torch(net, sizes=[2, 3, 1])


# --- ONNX and the command line ----------------------------------------------------------------


def _onnx_outputs(path: Path, X: np.ndarray) -> np.ndarray:
    import onnx
    import onnxruntime

    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": X})[0]


@needs_onnx
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_export_onnx_float64_is_exact_and_float32_runs_every_activation(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(7, 3))
    exact = MLP(3, [5, 4, 2], activation=["relu", "tanh"], output_activation="softmax", seed=0)
    info = nn.export_onnx(exact, tmp_path / "exact.onnx", dtype="float64")
    assert info["checked"] and info["inputs"] == {"input": 3} and info["outputs"] == {"output": 2}
    ours = np.stack([o.data for o in exact(X)], axis=1)
    np.testing.assert_allclose(_onnx_outputs(tmp_path / "exact.onnx", X), ours, rtol=0, atol=1e-12)

    every = MLP(3, [4, 4, 4, 1], activation=["leaky_relu", "elu", "softplus"], output_activation="sigmoid", seed=1)
    nn.export_onnx(every, tmp_path / "every.onnx")
    got = _onnx_outputs(tmp_path / "every.onnx", X.astype(np.float32))
    assert got.dtype == np.float32 and got.shape == (7, 1)
    np.testing.assert_allclose(got[:, 0], every(X).data, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConversionError, match="dtype must be one of float32, float64"):
        nn.export_onnx(every, tmp_path / "x.onnx", dtype="float16")


@needs_onnx
def test_cli_export_writes_a_checked_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = MLP(2, [8, 1], activation="tanh", output_activation="sigmoid", seed=0)
    model.save(tmp_path / "model.json")
    assert main(["export", str(tmp_path / "model.json"), "-o", str(tmp_path / "out.onnx")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"wrote {tmp_path / 'out.onnx'}: MLP 2 -> 8 -> 1, input 'input' (batch, 2) float32")
    assert "checked by onnx.checker" in out.out and out.err == ""
    X = np.random.default_rng(1).normal(size=(4, 2))
    got = _onnx_outputs(tmp_path / "out.onnx", X.astype(np.float32))
    np.testing.assert_allclose(got[:, 0], model(X).data, rtol=1e-5, atol=1e-6)
    assert main(["export", str(tmp_path / "model.json"), "--dtype", "float64"]) == 0  # default -o: model.onnx
    capsys.readouterr()
    np.testing.assert_allclose(_onnx_outputs(tmp_path / "model.onnx", X)[:, 0], model(X).data, rtol=0, atol=1e-12)


def test_cli_export_bad_input_is_one_line_and_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text('{"format": "autograd-core-model", "version": 1, "config"')
    other = {"format": "autograd-core-model", "version": 1, "config": {"type": "Neuron"}, "state": {}}
    (tmp_path / "neuron.json").write_text(json.dumps(other))
    cases = [
        ([str(tmp_path / "missing.json")], "No such file"),
        ([str(tmp_path / "bad.json")], "not valid JSON"),
        ([str(tmp_path / "neuron.json")], "holds a 'Neuron'; export reads MLP, Sequential, Layer models"),
        ([str(tmp_path / "bad.json"), "--dtype", "float16"], "invalid choice: 'float16'"),
    ]
    for argv, message in cases:
        assert main(["export", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("backprop: error:") and message in err[0], err
    assert not any(p.suffix == ".onnx" for p in tmp_path.iterdir())


# --- the README session ---------------------------------------------------------------------


@needs_torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_readme_taking_a_model_to_pytorch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's section is doctested here (the README's own doctest leaves it out: see conftest.py)."""
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    span = root_conftest.section_lines("\n".join(lines))
    assert len(span) > 5, "README.md has no 'Taking a model to PyTorch' section"
    text = "\n".join(lines[span.start : span.stop])
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest(text, {}, "README: Taking a model to PyTorch", "README.md", span.start)
    assert len(test.examples) >= 5
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
