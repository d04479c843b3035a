"""The CNN rows of backprop bench: the loss check first, then one epoch per engine, interleaved."""

from __future__ import annotations

import pytest

from viz import bench, bench_cnn
from viz.bench import BenchCheckError, BenchResult, Settings, format_table

pytest.importorskip("sklearn")
TINY = Settings(rounds=1, digits_train=64, quick=True)


def test_cnn_rows_compare_one_epoch_with_pytorch_and_scikit_learn():
    result = BenchResult()
    with bench._quiet_machine(result):
        bench_cnn.bench_cnn(result, TINY, 0, lambda msg: None)
    check = result.checks[0]
    assert check.name == "cnn: cross-entropy of a batch from the same weights" and check.ok
    names = [r.name for r in result.rows]
    assert names == ["cnn epoch (16-32 filters): ours vs PyTorch", "cnn epoch (16-32 filters): ours vs MLPClassifier"]
    sk = result.row(names[1])
    assert sk.baseline_name == "scikit-learn" and sk.ratio is not None and sk.ratio > 0
    torch_row = result.row(names[0])
    if bench._torch() is not None:
        assert set(check.values) == {"ours", "PyTorch"} and torch_row.ratio is not None
    else:
        assert torch_row.baseline is None and "not measured" in torch_row.note
    assert result.raw["cnn"]["train_samples"] == bench_cnn.QUICK_SAMPLES
    assert "cnn epoch (16-32 filters): ours vs PyTorch" in format_table(result)


def test_a_network_that_differs_from_ours_is_refused_before_timing(monkeypatch):
    torch = bench._torch()
    if torch is None:
        pytest.skip("needs torch")
    real = bench_cnn._torch_cnn

    def off_by_a_little(torch, model):  # a planted bug: one bias 1e-6 off
        net = real(torch, model)
        with torch.no_grad():
            net[0].bias[0] += 1e-6
        return net

    monkeypatch.setattr(bench_cnn, "_torch_cnn", off_by_a_little)
    with pytest.raises(BenchCheckError, match="cnn: cross-entropy"):
        bench_cnn.bench_cnn(BenchResult(), TINY, 0, lambda msg: None)
