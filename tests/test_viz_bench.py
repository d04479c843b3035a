"""``backprop bench`` (viz.bench): it runs, every engine agrees before timing, the outputs are well formed.

No timing assertions: the machine is small and shared; only the checks and the shapes of the
results are tested. The optional baselines (micrograd, torch, scikit-learn) are used when
installed, and one test hides them to show the bench runs without them.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest

from viz import bench
from viz.bench import (
    BenchCheckError,
    BenchResult,
    Check,
    Row,
    Settings,
    add_arguments,
    command,
    format_table,
    plot_scaling,
    run_bench,
    settings_for,
    to_json,
)

TINY = Settings(
    rounds=1,
    fast_reps=2,
    mid_reps=1,
    node_chain=50,
    node_chains=2,
    memory_chain=2_000,
    chain_sizes=(1_000, 3_000),
    digits_train=96,
    digits_test=100,
    digits_epochs=1,
    scaling_batches=(1, 16, 64),
    scaling_widths=(4, 8),
    scaling_reps=1,
    quick=True,
)


@pytest.fixture(scope="module")
def result() -> BenchResult:
    return run_bench(quick=True, settings=TINY, seed=0)


def test_every_loss_check_passes(result: BenchResult) -> None:
    assert result.checks
    assert all(c.ok for c in result.checks), [(c.name, c.values) for c in result.checks if not c.ok]
    names = [c.name for c in result.checks]
    assert "moons step: loss from the same weights" in names
    assert "moons step: max |weight difference| after one step" in names
    assert any(n.startswith("deep chain 1,000") for n in names)
    loss_check = result.checks[names.index("moons step: loss from the same weights")]
    expected = {"lanes", "per_sample", "expanded", "numpy"}
    if bench._available("micrograd"):
        expected.add("micrograd")
    if bench._torch() is not None:
        expected |= {"torch_batched", "torch_0d"}
    assert set(loss_check.values) == expected
    if bench._available("sklearn"):
        digits = result.checks[names.index("digits: held-out cross-entropy from the same weights")]
        assert {"ours", "numpy reference", "scikit-learn"} <= set(digits.values)


def test_rows_and_table(result: BenchResult) -> None:
    table = format_table(result)
    for name in (
        "moons step: lanes vs micrograd",
        "moons step: lanes vs NumPy",
        "moons step: per-sample vs micrograd",
        "moons step: expanded vs micrograd",
        "node cost: build",
        "node cost: backward",
        "memory: bytes per node (y = y*c + d)",
        "deep chain 1,000: build + backward",
        "deep chain 3,000: build + backward",
        "scaling: lanes 16 -> 64, log-log slope",
    ):
        assert name in table
        result.row(name)  # present as a Row too
    assert table.splitlines()[0].split() == ["benchmark", "ours", "baseline", "ratio", "target", "status"]
    assert f"checks: {len(result.checks)}/{len(result.checks)} passed" in table
    assert result.row("moons step: lanes vs NumPy").target == "≤5x slower"
    assert result.row("moons step: lanes vs micrograd").target == "≥2000x faster"
    assert result.row("moons step: per-sample vs micrograd").target == "≥30x faster"
    loop = result.row("micrograd's update loop: Parameters vs plain Values")
    assert loop.target == "not slower than plain Values" and loop.status in ("PASS", "MISS")
    assert result.row("moons step: lanes vs NumPy").status in ("PASS", "MISS")
    for row in result.rows:
        assert (row.ours is not None and math.isfinite(row.ours) and row.ours > 0) or row.unit == "slope", row
        assert row.status in ("PASS", "MISS", "-")
    if bench._available("sklearn"):
        for name in ("digits: fit, 64-32-10", "digits: MLPClassifier.fit, 64-32-10", "digits: fit, 64-256-256-10"):
            assert result.row(name).baseline_name == "scikit-learn", name
        assert result.row("digits: fit, 64-32-10").target == "≤1.5x slower"
        assert result.row("digits: MLPClassifier.fit, 64-32-10").target == "≤1.5x slower"
        assert result.row("digits: fit, 64-256-256-10").target.startswith("≤ the 64-32-10 ratio")
        for name in ("fit", "MLPClassifier.fit"):
            assert 0.0 <= result.row(f"digits: held-out accuracy after 1 epoch(s), {name}").ours <= 1.0


def test_to_json_is_serialisable(result: BenchResult) -> None:
    data = json.loads(json.dumps(to_json(result), allow_nan=False))
    assert set(data) == {"meta", "rows", "checks", "scaling", "raw", "notes"}
    assert len(data["rows"]) == len(result.rows)
    assert all(c["ok"] for c in data["checks"])
    assert data["scaling"]["batch_sizes"] == [1, 16, 64]
    assert len(data["scaling"]["seconds_per_step_by_batch"]["lanes"]) == 3
    assert set(data["raw"]["moons_step"]["per_round_seconds"]) >= {"lanes", "numpy", "per_sample", "expanded"}
    assert data["meta"]["quick"] is True and data["meta"]["seed"] == 0


def test_plot_scaling_writes_png(result: BenchResult, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    out = plot_scaling(result, tmp_path / "scaling.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no scaling curves"):
        plot_scaling(BenchResult(), tmp_path / "empty.png")


def test_runs_without_the_optional_baselines(monkeypatch: pytest.MonkeyPatch) -> None:
    real = bench._available
    monkeypatch.setattr(bench, "_available", lambda m: False if m in ("micrograd", "torch", "sklearn") else real(m))
    monkeypatch.setattr(bench, "_torch", lambda: None)
    r = run_bench(settings=TINY, sections=["moons", "nodes", "chain", "digits"])
    assert all(c.ok for c in r.checks)
    row = r.row("moons step: lanes vs micrograd")
    assert row.baseline is None and row.ratio is None and row.status == "-"
    assert r.row("moons step: lanes vs NumPy").ratio is not None
    assert any("digits: skipped" in n for n in r.notes)
    assert any("micrograd is not importable" in n for n in r.notes)
    assert "micrograd: n/a" in format_table(r)


def test_numpy_step_matches_the_reference_module() -> None:
    from nn import MLP, reference
    from nn.data import make_moons

    X, y = make_moons(30, noise=0.1, seed=3)
    y = 2.0 * y - 1.0
    Ws, bs = MLP(2, [5, 4, 1], seed=3).weights()
    loss, dWs, dbs = reference.gradients_from_weights(Ws, bs, ["relu", "relu", "linear"], X, y, loss="hinge")
    reg = sum(float(np.sum(W * W) + np.sum(b * b)) for W, b in zip(Ws, bs, strict=True))
    step = bench._NumpyMLP(Ws, bs)
    assert step.step(X, y, 0.1) == pytest.approx(loss + bench.ALPHA * reg, rel=1e-12)
    for W, dW, new in zip(Ws, dWs, step.Ws, strict=True):
        np.testing.assert_allclose(new, W - 0.1 * (dW + 2 * bench.ALPHA * W), rtol=1e-12, atol=1e-15)
    for b, db, new in zip(bs, dbs, step.bs, strict=True):
        np.testing.assert_allclose(new, b - 0.1 * (db + 2 * bench.ALPHA * b), rtol=1e-12, atol=1e-15)


def test_a_disagreeing_engine_stops_the_bench() -> None:
    assert not Check("loss", "numpy", {"numpy": 1.0, "lanes": 1.0 + 1e-6}).ok
    assert not Check("loss", "numpy", {"numpy": 1.0, "lanes": math.nan}).ok
    with pytest.raises(BenchCheckError, match="lanes"):
        bench._check(BenchResult(), "loss", "numpy", {"numpy": 1.0, "lanes": 1.1})


def test_interleaving_rotates_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    collected: list[int] = []
    monkeypatch.setattr(bench, "_settle", lambda: None)
    monkeypatch.setattr(bench.gc, "collect", lambda *a: collected.append(1) or 0)
    times = bench._interleave({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3, {"b": 2})
    assert calls == ["a", "b", "b", "b", "b", "a", "a", "b", "b"]
    assert len(collected) == len(calls)  # garbage collected before every timed call
    assert [len(t) for t in times.values()] == [3, 3]


def test_settings() -> None:
    quick = settings_for(quick=True)
    assert quick.quick and quick.rounds <= 3 and max(quick.chain_sizes) <= 100_000
    assert settings_for().chain_sizes[-1] == 1_000_000
    assert settings_for(quick=True, rounds=1).rounds == 1
    with pytest.raises(ValueError, match="rounds"):
        settings_for(rounds=0)
    with pytest.raises(ValueError, match="unknown section"):
        run_bench(sections=["nope"])


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_writes_json_and_plot(result, tmp_path, monkeypatch, capsys) -> None:
    pytest.importorskip("matplotlib")
    seen = {}

    def fake_run(quick, rounds, seed, progress=None):
        seen.update(quick=quick, rounds=rounds, seed=seed)
        return result

    monkeypatch.setattr(bench, "run_bench", fake_run)
    out_json, out_png = tmp_path / "b.json", tmp_path / "s.png"
    assert (
        command(_args("--quick", "--rounds", "2", "--seed", "4", "--json", str(out_json), "--plot", str(out_png))) == 0
    )
    assert seen == {"quick": True, "rounds": 2, "seed": 4}
    assert json.loads(out_json.read_text())["rows"]
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert "moons step: lanes vs NumPy" in capsys.readouterr().out


def test_command_errors(tmp_path, monkeypatch, capsys) -> None:
    assert command(_args("--rounds", "0")) == 2
    assert command(_args("--json", str(tmp_path / "missing" / "b.json"))) == 2

    def broken(*a, **k):
        raise BenchCheckError("moons step: lanes differs")

    monkeypatch.setattr(bench, "run_bench", broken)
    assert command(_args("--quick")) == 1
    err = capsys.readouterr().err
    assert "check failed" in err and "lanes differs" in err


def test_row_formatting() -> None:
    rows = [
        Row("t", 2e-4, 0.7, "s", "micrograd", 2e-4 / 0.7, "≥1000x faster", True),
        Row("m", 150.0, 700.0, "B/node", "micrograd", 150 / 700, "≤200 B/node", True),
        Row("a", 0.97, 0.98, "acc", "scikit-learn", 0.97 / 0.98),
        Row("x", 1.0, None, "s", "torch 0-d"),
    ]
    table = format_table(BenchResult(rows=rows))
    assert "200 µs" in table and "micrograd 700 ms" in table and "3500x faster" in table
    assert "4.67x smaller" in table and "97.0%" in table and "torch 0-d: n/a" in table
