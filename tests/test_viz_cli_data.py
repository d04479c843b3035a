"""backprop train's data path: runaway numbers, memory, CSV header rule, task decision, predict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Value
from nn import losses
from viz.cli import CHECK_LOSSES, _targets, main
from viz.dataset import (
    _SEP,
    DataError,
    _parse_slow,
    decide_task,
    estimate_memory,
    max_classes,
    read_table,
    sample_losses,
)

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


# --- 14.6: the header rule -----------------------------------------------------------------


def test_a_headerless_first_row_with_an_empty_cell_is_data_and_named(tmp_path):
    (tmp_path / "gap.csv").write_text("1,,0\n2,3,1\n4,5,0\n6,7,1\n8,9,0\n")
    with pytest.raises(DataError, match=r"gap.csv, line 1, column 2: empty cell"):
        read_table(tmp_path / "gap.csv")
    proc = run(["train", "--data", "gap.csv", "--out", "r"], tmp_path)
    one_line_error(proc, "line 1, column 2: empty cell")


def test_a_numeric_header_is_read_with_header_yes(tmp_path):
    (tmp_path / "num.csv").write_text("1,2,3\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(8)))
    auto = read_table(tmp_path / "num.csv")
    assert len(auto.X) == 9 and auto.columns is None and auto.header_note.startswith("header: no (auto")
    yes = read_table(tmp_path / "num.csv", header="yes")
    assert len(yes.X) == 8 and yes.columns == ["1", "2", "3"]
    assert yes.header_note == "header: yes (--header yes), 8 samples, 2 features"
    no = read_table(tmp_path / "num.csv", header="no")
    assert len(no.X) == 9
    proc = run(["train", "--data", "num.csv", "--header", "yes", "--epochs", "1", "--out", "r"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "header: yes (--header yes), 8 samples, 2 features" in proc.stdout


def test_a_text_header_is_found_and_the_run_says_so(tmp_path):
    (tmp_path / "h.csv").write_text("x1;x2;label\n" + "".join(f"{i};{i * 2};{i % 2}\n" for i in range(5)))
    t = read_table(tmp_path / "h.csv")
    assert t.columns == ["x1", "x2", "label"] and t.X.shape == (5, 2)
    assert t.header_note == "header: yes (auto: 'x1' in the first row is not a number), 5 samples, 2 features"


SEPARATORS = st.sampled_from([",", ";", "\t", " ", ", ", " ; "])
CELLS = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100)


@settings(max_examples=40)
@given(
    st.integers(4, 12).flatmap(
        lambda n: st.integers(2, 5).flatmap(
            lambda d: st.lists(st.lists(CELLS, min_size=d, max_size=d), min_size=n, max_size=n)
        )
    ),
    SEPARATORS,
    st.booleans(),
    st.booleans(),
)
def test_numbers_round_trip_and_the_header_rule_decides(tmp_path_factory, rows, sep, with_header, text_labels):
    d = len(rows[0])
    names = [f"f{j}" for j in range(d - 1)] + ["label"]
    lines = [sep.join(names)] if with_header else []
    labels = [f"c{i % 2}" if text_labels else repr(float(i % 3)) for i in range(len(rows))]
    lines += [sep.join([*(repr(v) for v in row[:-1]), lab]) for row, lab in zip(rows, labels, strict=True)]
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    t = read_table(path)
    assert (t.columns is not None) == with_header
    assert t.X.tolist() == [row[:-1] for row in rows]
    assert t.y.tolist() == ([lab for lab in labels] if text_labels else [float(lab) for lab in labels])
    X_slow, y_slow = _parse_slow(_SEP.sub(",", "\n".join(lines[int(with_header) :])), d, range(len(rows)), "t")
    assert X_slow.tolist() == t.X.tolist() and y_slow.tolist() == t.y.tolist()  # the fast path agrees


def test_the_file_size_cap_is_named(tmp_path, monkeypatch):
    import viz.dataset as dataset

    (tmp_path / "big.csv").write_text("1,2,0\n" * 100)
    monkeypatch.setattr(dataset, "MAX_CSV_BYTES", 500)
    with pytest.raises(DataError, match=r"limit of CSV files \(viz.dataset.MAX_CSV_BYTES\)"):
        read_table(tmp_path / "big.csv")


# --- 14.3: classes and pictures --------------------------------------------------------------


def test_an_absurd_number_of_classes_is_refused_naming_the_numbers(tmp_path):
    (tmp_path / "many.csv").write_text("".join(f"{i / 7},{i % 5},{i}\n" for i in range(300)))
    proc = run(["train", "--data", "many.csv", "--out", "r"], tmp_path)
    line = one_line_error(proc, "300 classes in 300 samples is too many: at most 150")
    assert "--task regression" in line and not (tmp_path / "r").exists()
    assert max_classes(10**6) == 1000


def test_many_classes_skip_the_boundary_picture_with_a_note(tmp_path):
    (tmp_path / "k25.csv").write_text("".join(f"{(i % 25) + 0.1 * (i % 3)},{i % 4},{i % 25}\n" for i in range(100)))
    args = ["train", "--data", "k25.csv", "--hidden", "4", "--epochs", "1", "--out", "r", "--test-size", "0"]
    proc = run(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped boundary.png: 25 classes are more than the 20" in proc.stdout
    assert (tmp_path / "r" / "loss.png").exists() and not (tmp_path / "r" / "boundary.png").exists()


@settings(max_examples=30)
@given(st.sampled_from(sorted(CHECK_LOSSES)), st.integers(0, 2**31))
def test_sample_losses_match_the_engine_sample_by_sample(loss, seed):
    from nn.train import _prepare_targets

    rng = np.random.default_rng(seed)
    k, _, kind = CHECK_LOSSES[loss]
    out = (
        rng.uniform(0.05, 0.95, size=(6, k))
        if loss.startswith(("binary_cross", "categorical"))
        else rng.normal(size=(6, k))
    )
    if loss == "binary_cross_entropy_with_logits":
        out = rng.normal(size=(6, k))
    raw = out[:, 0] if k == 1 else out
    t = _prepare_targets(_targets(kind, k, 6, rng), loss, 6, "t")
    fast = sample_losses(loss, raw, t)
    fn = losses.get(loss)
    for i in range(6):
        pred = Value(float(raw[i])) if k == 1 else [Value(float(v)) for v in raw[i]]
        target = float(t[i]) if t.ndim == 1 else t[i].tolist()
        assert fast[i] == pytest.approx(fn(pred, target).data, rel=1e-9, abs=1e-12)


# --- 15.1: the task --------------------------------------------------------------------------


def test_a_regression_loss_never_turns_whole_number_targets_into_classes(tmp_path):
    rows = [f"{i / 50},{(i * 7) % 11},{(i * 37) % 200 - 85}" for i in range(200)]
    (tmp_path / "r.csv").write_text("a,b,target\n" + "\n".join(rows) + "\n")
    proc = run(["train", "--data", "r.csv", "--loss", "mse", "--hidden", "4", "--epochs", "2", "--out", "o"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "r.csv (200 samples, 2 features, regression)" in out and "classes" not in out
    assert "task: regression (--loss mse)" in out and "MLP: 2 -> 4 -> 1" in out
    assert re.search(r"test: loss [\d.e+-]+, mse [\d.e+-]+, R² -?[\d.e+-]+", out)


def test_task_decisions_and_conflicts():
    whole = np.array([0.0, 1.0, 2.0, 1.0, 0.0, 2.0])
    assert decide_task(whole, "auto", "auto").k == 3
    assert decide_task(whole, "auto", "regression").kind == "regression"
    assert decide_task(whole, "mse", "auto").describe() == "task: regression (--loss mse)"
    assert decide_task(whole, "hinge", "auto").kind == "classification"
    assert decide_task(whole + 0.5, "auto", "auto").kind == "regression"
    with pytest.raises(DataError, match="class labels must be whole numbers or text"):
        decide_task(whole + 0.5, "auto", "classification")
    with pytest.raises(DataError, match="needs numbers in the last column, but it holds text"):
        decide_task(np.array(["a", "b", "a", "b"]), "mse", "auto")
    with pytest.raises(DataError, match="--loss cross_entropy is a classification loss, but --task is regression"):
        decide_task(whole, "cross_entropy", "regression")


# --- 14.8: memory ----------------------------------------------------------------------------


def test_a_run_that_does_not_fit_in_memory_is_refused_before_it_starts(tmp_path):
    proc = run(["train", "--data", "moons", "--samples", "1000000000", "--out", "r"], tmp_path)
    line = one_line_error(proc, "needs about")
    assert "GiB of memory" in line and not (tmp_path / "r").exists()
    proc = run(["train", "--hidden", "4096,4096", "--max-memory", "1G", "--out", "r"], tmp_path)
    one_line_error(proc, "needs about 9.5 GiB of memory, more than the 1.0 GiB it may use (--max-memory)")


def test_the_memory_estimate_bounds_a_measured_run():
    import tracemalloc

    from nn import MLP, fit
    from nn.data import make_moons

    X, y = make_moons(400, noise=0.1, seed=0)
    fit(MLP(2, [2, 1], seed=0), X[:8], y[:8], loss="bce_with_logits", epochs=1, progress=False)  # imports, caches
    for h, batch in [(32, 32), (128, None)]:
        tracemalloc.start()
        model = MLP(2, [h, h, 1], seed=0)
        fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=1, batch_size=batch, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < estimate_memory(400, 2, [h, h, 1], batch)
