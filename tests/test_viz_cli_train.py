"""backprop train / demo / check, end to end through subprocesses (as a user runs them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn import MLP
from viz.cli import COMMANDS, main, parse_hidden, read_csv

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
pytest.importorskip("matplotlib")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "viz.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("backprop: error: ")
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


def svg_text(path: Path) -> str:
    return path.read_text().replace("&#45;", "-")


def test_every_command_is_registered_with_an_example():
    names = [c.name for c in COMMANDS]
    assert names == ["graph", "train", "demo", "check", "bench", "export", "predict"]
    assert all(c.epilog.startswith("example") and "backprop " + c.name in c.epilog for c in COMMANDS)


@needs_dot
def test_demo_writes_the_pictures_and_reports(tmp_path):
    proc = run(["demo", "--out", "out"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "MLP: 2 -> 16 -> 16 -> 1" in out and "total parameters" in out
    accuracy = int(re.search(r"accuracy (\d+)%", out).group(1))
    assert accuracy >= 95
    folder = tmp_path / "out"
    for name in ("neuron.svg", "neuron-steps/index.html", "loss.png", "boundary.png", "model.json", "history.json"):
        assert (folder / name).exists(), name
        assert f"wrote out/{name}" in out
    svg = svg_text(folder / "neuron.svg")
    neuron = re.search(r"neuron (L0\.N\d+) on sample", out).group(1)
    for label in (f"{neuron}.w0", f"{neuron}.w1", f"{neuron}.b", f"{neuron}.z", f"{neuron}.a", "x0", "x1", ">L<"):
        assert label in svg, label
    assert "rest of the network" in svg and "grad 1.0000" in svg
    page = (folder / "neuron-steps" / "index.html").read_text()
    frames = sorted(p.name for p in (folder / "neuron-steps").glob("step_*.svg"))
    assert frames and frames[0] == "step_001.svg"
    for k, name in enumerate(frames, 1):
        assert f'data-file="{name}"' in page and f"step {k} of {len(frames)}" in page
    assert f"dL/d{neuron}.z" in page  # the chain rule names L: the steps are seeded with the real dL/da
    assert out.strip().splitlines()[-1].endswith("; open out/neuron-steps/index.html in a browser")
    history = json.loads((folder / "history.json").read_text())
    assert history["epochs"] == 100
    assert MLP.load(folder / "model.json").nouts == [16, 16, 1]


def test_demo_without_dot_still_trains_and_says_what_was_skipped(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    proc = run(["demo", "--out", "d", "--epochs", "5"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "skipped neuron.svg and neuron-steps/" in proc.stdout and "apt-get install graphviz" in proc.stdout
    assert (tmp_path / "d" / "loss.png").exists() and not (tmp_path / "d" / "neuron.svg").exists()
    # it never points at a page it did not write: the last line names a picture that exists
    assert "index.html" not in proc.stdout
    last = proc.stdout.strip().splitlines()[-1]
    assert last.endswith("; open d/boundary.png") and (tmp_path / "d" / "boundary.png").exists(), last


@needs_dot
def test_train_on_moons(tmp_path):
    args = ["train", "--data", "moons", "--samples", "80", "--hidden", "8,8", "--epochs", "5", "--out", "run"]
    proc = run([*args, "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "full", "--alpha", "1e-4"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "data: moons (80 samples, 2 features, 2 classes); 64 train / 16 test" in out
    assert "MLP: 2 -> 8 -> 8 -> 1" in out and "binary_cross_entropy_with_logits" in out
    assert re.search(r"train: loss [\d.e-]+, accuracy [\d.]+%", out)
    assert re.search(r"test: loss [\d.e-]+, accuracy [\d.]+%", out)
    run_dir = tmp_path / "run"
    files = ("model.json", "history.json", "loss.png", "gradients.png", "boundary.png", "neuron.svg")
    for name in (*files, "neuron-steps/index.html"):
        assert (run_dir / name).exists(), name
        assert f"wrote run/{name}" in out
    assert json.loads((run_dir / "history.json").read_text())["epochs"] == 5
    assert len(json.loads((run_dir / "history.json").read_text())["val_loss"]) == 5


def test_train_on_a_small_csv_multiclass_with_hinge_rejected(tmp_path):
    rows = ["f1,f2,f3,label"] + [f"{i % 3},{(i * 7) % 5 - 2},{i / 10},{i % 3 + 1}" for i in range(30)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    proc = run(["train", "--data", "d.csv", "--hidden", "4", "--epochs", "3", "--out", "r"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "d.csv (30 samples, 3 features, 3 classes)" in proc.stdout
    assert "MLP: 3 -> 4 -> 3" in proc.stdout and "cross_entropy" in proc.stdout
    assert (tmp_path / "r" / "model.json").exists() and not (tmp_path / "r" / "boundary.png").exists()
    bad = run(["train", "--data", "d.csv", "--loss", "hinge", "--out", "r2"], tmp_path)
    assert_one_line_error(bad, "two classes")


def test_read_csv_header_optional_and_separators(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("# comment\n1;2;0\n\n3 ;4; 1\n5\t6\t0\n7 8 1\n")
    X, y = read_csv(p)
    assert X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]] and y.tolist() == [0, 1, 0, 1]
    assert parse_hidden(" 3 ,4") == [3, 4]


def test_check_quick_passes_and_prints_a_table(tmp_path):
    proc = run(["check", "--quick", "--seed", "1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["activation", "loss"]
    rows = [line for line in lines if line.endswith(" pass") or line.endswith(" FAIL")]
    assert len(rows) == 7 * 8
    assert {r.split()[0] for r in rows} == {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu"}
    assert lines[-1].startswith("all 56 rows pass")


def test_check_fails_with_status_1_when_a_gradient_is_wrong(monkeypatch, capsys):
    import viz.cli as cli

    monkeypatch.setattr(cli, "check_case", lambda a, loss, s: (0.0, 1.0 if loss == "mae" else 0.0))
    assert main(["check", "--quick"]) == 1
    out = capsys.readouterr().out
    assert out.count("FAIL") == 7 + 1 and "7 of 56 rows FAIL" in out


def write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)


BAD = [
    (["train", "--data", "nosuch"], "unknown data set 'nosuch'"),
    (["train", "--hidden", "16,x"], "--hidden: 'x' is not a layer width"),
    (["train", "--hidden", "16,-2"], "is not a layer width"),
    (["train", "--epochs", "-3"], "argument --epochs: expected a whole number >= 1, got '-3'"),
    (["train", "--epochs", "0"], "expected a whole number >= 1"),
    (["train", "--lr", "0"], "argument --lr"),
    (["train", "--lr", "nan"], "argument --lr"),
    (["train", "--batch-size", "x"], "argument --batch-size"),
    (["train", "--activation", "swish"], "unknown activation 'swish'"),
    (["train", "--loss", "huber"], "unknown loss 'huber'"),
    (["train", "--optimizer", "lbfgs"], "invalid choice"),
    (["train", "--data", "missing.csv"], "no such data file: 'missing.csv'"),
    (["train", "--data", "bad.csv"], "bad.csv, line 3: 'abc' is not a number"),
    (["train", "--data", "ragged.csv"], "ragged.csv, line 2: 2 values where the first row has 3"),
    (["train", "--data", "short.csv"], "need at least 4 rows"),
    (["train", "--data", "inf.csv"], "finite"),
    (["train", "--data", "binary.csv"], "not a text (UTF-8) CSV file"),
    (["train", "--out", "afile"], "cannot create the folder 'afile'"),
    (["demo", "--epochs", "x"], "argument --epochs"),
    (["check", "--tol", "-1"], "argument --tol"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD)
def test_bad_input_is_one_line_and_status_2(args, fragment, tmp_path):
    write(tmp_path, "bad.csv", "a,b,y\n1,2,0\n1,abc,1\n")
    write(tmp_path, "ragged.csv", "1,2,0\n1,1\n")
    write(tmp_path, "short.csv", "1,2,0\n1,1,1\n")
    write(tmp_path, "inf.csv", "1,2,0\n1,inf,1\n1,2,0\n1,2,1\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01garbage")
    write(tmp_path, "afile", "")
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run(args, tmp_path)
    assert_one_line_error(proc, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_in_process_train_on_xor_uses_all_four_points(capsys, tmp_path):
    args = ["train", "--data", "xor", "--hidden", "4", "--epochs", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "4 train / 0 test" in out and "test:" not in out


def test_neuron_view_shows_the_real_gradients_and_leaves_the_model_alone():
    from nn import losses
    from viz import neuron_view

    model = MLP(2, [4, 3, 1], activation="tanh", seed=1)
    x = [0.3, -0.8]
    t = -1.0 if model(x).data > 0 else 1.0  # a wrong side: the hinge loss is > 1, every gradient non-zero
    for p in model.parameters():
        p.grad = 0.25
    view = neuron_view(model, x, t, loss="hinge", neuron=2)
    assert all(p.grad == 0.25 for p in model.parameters())

    model.zero_grad()
    L = losses.hinge(model(x), t)
    L.backward()
    drawn = {v.label: v for v in view.subgraph.nodes if v.label}
    assert set(drawn) == {"x0", "x1", "L0.N2.w0", "L0.N2.w1", "L0.N2.b", "L0.N2.z", "L0.N2.a", "L"}
    n = model.layers[0].neurons[2]
    for label, p in {"L0.N2.w0": n.w[0], "L0.N2.w1": n.w[1], "L0.N2.b": n.b}.items():
        assert drawn[label].grad == pytest.approx(p.grad, rel=1e-12) and p.grad != 0
    assert view.loss.data == pytest.approx(L.data) and view.loss.grad == 1.0
    assert "rest of the network" in view.digraph().source

    deeper = neuron_view(model, x, t, loss="hinge", layer=1)  # inputs: layer 0's outputs, cut
    labels = {v.label for v in deeper.subgraph.nodes}
    assert {"L0.N0.a", "L0.N3.a", f"{deeper.name}.z", "L"} <= labels and "x0" not in labels
    assert {v.label for v in deeper.subgraph.cut} >= {"L0.N0.a", "L"}


def test_train_names_the_held_out_set_once_and_prints_one_training_loss(tmp_path, monkeypatch, capsys):
    import viz.plots

    legends: list[list[str]] = []
    real = viz.plots.loss_curve

    def spy(*args, **kwargs):
        fig = real(*args, **kwargs)
        legends.append(fig.axes[0].get_legend_handles_labels()[1])
        return fig

    monkeypatch.setattr(viz.plots, "loss_curve", spy)
    args = ["train", "--data", "moons", "--samples", "40", "--hidden", "4", "--epochs", "2", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "validation" not in out and re.search(r"^test: loss ", out, re.M)
    assert len(re.findall(r"loss [\d.e+-]+", out.split("test:")[0].split("trained")[1])) == 1  # only train:'s
    assert legends and [label.split()[0] for label in legends[0][:2]] == ["train", "test"]
