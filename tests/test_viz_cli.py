"""The backprop command, end to end through subprocesses (as a user runs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from viz.cli import main, parse_assignments

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
NEURON = ["graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432"]


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "viz.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("backprop: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr


@needs_dot
def test_graph_writes_svg_and_prints_the_gradient_table(tmp_path):
    proc = run([*NEURON, "-o", "neuron.svg"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == "tanh(x*w + b)"
    assert lines[1].split() == ["name", "value", "grad"]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:6]}
    assert table == {
        "x": ["2.0000", "-1.5000"],
        "w": ["-3.0000", "1.0000"],
        "b": ["6.8814", "0.5000"],
        "output": ["0.7071", "1.0000"],
    }
    assert lines[-1] == "wrote neuron.svg"
    svg = (tmp_path / "neuron.svg").read_text().replace("&#45;", "-")
    assert "<svg" in svg and "tanh" in svg and "grad -1.5000" in svg


@needs_dot
def test_default_output_and_png(tmp_path):
    assert run(NEURON, tmp_path).returncode == 0
    assert (tmp_path / "graph.svg").exists()
    assert run([*NEURON, "-o", "n.png", "--rankdir", "TB"], tmp_path).returncode == 0
    assert (tmp_path / "n.png").read_bytes().startswith(b"\x89PNG")


def test_dot_output_no_grad_and_rankdir(tmp_path):
    proc = run([*NEURON, "-o", "n.dot", "--no-grad", "--rankdir", "TB"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].split() == ["name", "value"]
    src = (tmp_path / "n.dot").read_text()
    assert "rankdir=TB" in src and ">grad " not in src and "data 2.0000" in src


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).parent / "backprop"
    if not script.exists():
        pytest.skip("the backprop console script is not installed in this environment")
    proc = subprocess.run(
        [str(script), *NEURON, "-o", "n.dot"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and (tmp_path / "n.dot").exists()


@pytest.mark.parametrize("args", [["--help"], ["graph", "--help"]])
def test_help_has_an_example(args, tmp_path):
    proc = run(args, tmp_path)
    assert proc.returncode == 0
    assert 'backprop graph "tanh(x*w + b)" x=2 w=-3 b=6.88' in proc.stdout


BAD_INPUT = [
    (["graph", "x*1e308*10", "x=2"], "overflowed float64"),
    (["graph", "x *", "x=1"], "syntax error"),
    (["graph", "x * * w", "x=1", "w=2"], "column 5"),
    (["graph", "foo(x)", "x=1"], "unknown function 'foo'"),
    (["graph", "x*w", "x=1"], "no value for 'w'"),
    (["graph", "x", "x=1", "y=2"], "unknown name 'y'"),
    (["graph", "x", "x"], "expected NAME=VALUE"),
    (["graph", "x", "x=abc"], "not a number"),
    (["graph", "x", "x=nan"], "finite"),
    (["graph", "x", "x=inf"], "finite"),
    (["graph", "x", "1x=2"], "bad name"),
    (["graph", "x", "__x=2"], "bad name"),
    (["graph", "x", "x=1", "x=2"], "given twice"),
    (["graph", "x", "x=1", "-o", "nowhere/g.svg"], "does not exist"),
    (["graph", "x", "x=1", "-o", "folder.svg"], "cannot write"),
    (["graph", "x", "x=1", "-o", "g.txt"], ".svg, .png, .pdf or .dot"),
    (["graph", "log(x)", "x=-1"], "log() needs a positive input"),
    (["graph", "x ** 5000", "x=2"], "too large"),
    (["graph", "x" + "+x" * 6000, "x=1"], "too long"),
    (["graph", "x", "x=1", "--rankdir", "UP"], "invalid choice"),
    (["graph"], "required: EXPR"),
    (["graph", "x", "x=1", "--bogus"], "unrecognized arguments"),
    (["nosuchcommand"], "invalid choice"),
    ([], "a command is required"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUT)
def test_bad_input_is_one_line_and_status_2(args, fragment, tmp_path):
    (tmp_path / "folder.svg").mkdir()
    proc = run(args, tmp_path)
    assert_one_line_error(proc, fragment)
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.svg"]  # nothing written


def test_missing_dot_says_how_to_install(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    proc = run([*NEURON, "-o", "n.svg"], tmp_path, env)
    assert_one_line_error(proc, "sudo apt-get install graphviz")
    assert "brew install graphviz" in proc.stderr
    assert not (tmp_path / "n.svg").exists()
    assert run([*NEURON, "-o", "n.dot"], tmp_path, env).returncode == 0  # .dot needs no dot program


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('touch x')",
        "exec(\"open('x', 'w')\")",
        "().__class__.__base__.__subclasses__()",
        "tanh(x).__class__",
        "[open('x','w') for _ in 'a']",
    ],
)
def test_injection_creates_nothing(attack, tmp_path):
    proc = run(["graph", attack, "-o", "out.dot"], tmp_path)
    assert_one_line_error(proc, "not allowed" if "exec" not in attack else "unknown function")
    assert list(tmp_path.iterdir()) == []


def test_main_in_process(capsys, tmp_path):
    assert main([*NEURON, "-o", str(tmp_path / "g.dot")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["graph", "x/", "x=1"]) == 2
    assert capsys.readouterr().err.startswith("backprop: error: column")
    assert parse_assignments([" x =1e-3"]) == {"x": 0.001}
