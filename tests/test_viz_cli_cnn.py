"""backprop train --model cnn, end to end on a small subset of the digits (cheap: a few seconds)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from nn import Sequential
from viz.cli import main
from viz.cli_cnn import build_cnn, estimate_memory, image_shape, parse_filters

pytest.importorskip("matplotlib")
sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 digits as a CSV file: 64 pixels (0..16), then the label."""
    bunch = sklearn_datasets.load_digits()
    rows = np.column_stack([bunch.data[:300], bunch.target[:300]])
    path = tmp_path_factory.mktemp("cnn") / "digits300.csv"
    np.savetxt(path, rows, delimiter=",", fmt="%g")
    return path


def test_cnn_run_trains_and_writes_its_files(digits_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "run"
    args = ["train", "--model", "cnn", "--data", str(digits_csv), "--filters", "4,8", "--epochs", "4"]
    code = main([*args, "--lr", "0.02", "--standardize", "--out", str(out), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "as 1x8x8 images, 10 classes); 225 train / 75 test" in text  # the 25% split of CNN runs
    assert "Conv2d(1, 4, 3, padding=1)" in text and "Conv2d(4, 8, 3, padding=1)" in text
    test_acc = float(re.search(r"test: accuracy ([0-9.]+)%", text).group(1))
    assert test_acc > 50.0, text  # chance is 10%
    assert re.search(r"trained in [0-9.]+ s \([0-9.]+ s of CPU\)", text)
    names = ["model.json", "history.json", "loss.png", "filters.png", "receptive_field.png"]
    for name in names + (["receptive_field.svg"] if shutil.which("dot") else []):
        assert (out / name).stat().st_size > 0, name
        assert f"wrote {out / name}" in text
    assert re.search(
        r"receptive_field: C0\.F0\.z\[\d,\d\] on training image 0 \(label \d\) sees the image's rows", text
    )
    if shutil.which("dot"):
        assert "C0.F0.w0.1.1" in (out / "receptive_field.svg").read_text()
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 4 and history["loss"][-1] < history["loss"][0]
    model = Sequential.load(out / "model.json")
    assert [type(layer).__name__ for layer in model.layers][:3] == ["Conv2d", "Activation", "MaxPool2d"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "moons"], "needs square images"),
        (["--data", "digits", "--filters", "8,x"], "--filters must be numbers"),
        (["--data", "digits", "--filters", "0"], "1 to 256 filters"),
        (["--data", "digits", "--loss", "mse"], "trains with --loss cross_entropy"),
        (["--data", "digits", "--max-memory", "1M"], "more than the 1.0 MiB"),
    ],
)
def test_cnn_run_refuses_bad_options_in_one_line(args, fragment, tmp_path, capsys):
    assert main(["train", "--model", "cnn", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("backprop: error: ") and fragment in err[0], err


def test_helpers():
    assert parse_filters("16, 32") == [16, 32]
    assert image_shape(256, "x") == (1, 16, 16)
    model = build_cnn((1, 8, 8), [16, 32], [], 10)
    assert model.output_shape == (10,) and len(model.parameters()) == 160 + 4640 + 1290
    # a bigger batch and more samples need more memory
    assert estimate_memory(model, 1797, 64) > estimate_memory(model, 1797, 32) > estimate_memory(model, 100, 32)
