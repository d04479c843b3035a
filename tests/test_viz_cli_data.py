"""backprop train's data path: runaway numbers, memory, CSV header rule, task decision, predict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from viz.cli import main

pytest.importorskip("matplotlib")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "viz.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no RuntimeWarning, no traceback
    assert lines[0].startswith("backprop: error: ") and fragment in lines[0], lines[0]
    return lines[0]


# --- 14.2: runaway numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--data", "big.csv"], "standardise"),
        (["--data", "moons", "--noise", "1e300"], "standardise"),
        (["--data", "moons", "--lr", "1e308"], "smaller learning rate"),
        (["--data", "moons", "--lr", "1e308", "--optimizer", "sgd"], "smaller learning rate"),
    ],
)
def test_runaway_numbers_are_one_line_and_leave_no_model(tmp_path, extra, fragment):
    rows = [f"{(i % 7) * 1e300},{(i % 3) * -1e299},{i % 2}" for i in range(40)]
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n")
    proc = run(["train", *extra, "--epochs", "3", "--out", "run", "--no-progress"], tmp_path)
    one_line_error(proc, fragment)
    assert not (tmp_path / "run" / "model.json").exists()


def test_standardize_trains_on_features_near_float64s_limit(tmp_path):
    proc = run(
        ["train", "--data", "moons", "--noise", "1e300", "--standardize", "--epochs", "2", "--out", "r"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and (tmp_path / "r" / "model.json").exists()


def test_memory_error_anywhere_is_one_line_and_status_2(monkeypatch, capsys):
    import viz.cli as cli

    def boom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli, "load_data", boom)
    assert main(["train", "--data", "moons", "--out", "/nonexistent/never"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("backprop: error: out of memory")
