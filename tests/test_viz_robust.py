"""Issue 14 item 9 (viz part): NUL bytes, lone surrogates, dot's stderr, ``python -m viz``, pictures via symlinks."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import graphviz
import pytest

from autograd_core import Value
from viz import RenderError, draw_dot, render
from viz.cli import main
from viz.graph import pipe

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["graph", "x*2", "x=1", "-o", "a\x00b.svg"], "--output"),
        (["graph", "x*2\x00", "x=1"], "EXPR"),
        (["graph", "x*2", "x=1\x00"], "VALUES"),
    ],
)
def test_a_nul_byte_in_an_argument_is_one_line_and_status_2(argv, name, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"backprop: error: {name} contains a NUL byte"]
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_a_nul_byte_in_the_path_with_our_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="cannot contain a NUL byte"):
        render(Value(1.0), str(tmp_path / "a\x00.dot"))


def test_a_lone_surrogate_in_a_label_is_drawn_escaped(tmp_path: Path) -> None:
    y = Value(1.0, label="x\ud800") * 2
    y.label = "\udcffy"
    source = draw_dot(y).source
    source.encode("utf-8")
    assert "x\\ud800" in source and "\\udcffy" in source
    assert render(y, tmp_path / "g.dot").read_text(encoding="utf-8") == source
    if shutil.which("dot"):
        assert b"x\\ud800" in render(y, tmp_path / "g.svg").read_bytes()


@needs_dot
def test_dot_errors_become_one_line_and_dot_writes_nothing_to_stderr(capfd) -> None:
    broken = graphviz.Digraph()
    broken.body.append("a -> ;\n b [label=<<B>unclosed>];\n }}}\n")
    with pytest.raises(RenderError, match="dot failed to draw the graph") as info:
        pipe(broken, "svg")
    assert "\n" not in str(info.value) and len(str(info.value)) < 300
    assert capfd.readouterr().err == ""


def test_python_m_viz_runs_the_cli(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "viz"]
    ok = subprocess.run([*run, "graph", "x*2", "x=1", "-o", str(tmp_path / "g.dot")], capture_output=True, text=True)
    assert ok.returncode == 0 and (tmp_path / "g.dot").exists(), ok.stderr
    bad = subprocess.run([*run, "graph", "x*"], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_a_picture_is_written_through_a_symlink_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "real.dot"
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "g.dot"
    link.symlink_to(target)
    render(Value(1.0, label="x") * 2, link)
    assert link.is_symlink() and target.read_text().startswith("digraph")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_backprop_train_refuses_a_fifo_a_folder_and_a_device_without_reading(tmp_path: Path, capsys) -> None:
    import threading

    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    for data, kind in [(fifo, "a FIFO (named pipe)"), (tmp_path, "a directory"), ("/dev/zero", "a character device")]:
        status: list[int] = []
        worker = threading.Thread(
            target=lambda d=data, s=status: s.append(main(["train", "--data", str(d), "--out", str(tmp_path / "o")])),
            daemon=True,
        )
        worker.start()
        worker.join(timeout=30)
        assert status == [2], f"{data}: did not return 2 in time"
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"backprop: error: {data}: is {kind}, not a CSV file"]
