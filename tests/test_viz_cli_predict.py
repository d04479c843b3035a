"""`backprop predict`: train -> predict round trips through the CLI, the metadata, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nn import MLP, Conv2d, Flatten, Layer, Sequential
from nn.data import standardize
from nn.errors import ModelFileError
from nn.train import predict, predict_classes
from viz.cli import main
from viz.cli_predict import check_metadata, class_probabilities, predict_table, training_metadata
from viz.dataset import DataError, read_table

NAMES = ["setosa", "versicolor", "virginica"]


def _write_csv(path: Path, X: np.ndarray, y=None, header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        if header:
            f.write(",".join(header) + "\n")
        for i, row in enumerate(X.tolist()):
            cells = [repr(v) for v in row] + ([] if y is None else [str(y[i])])
            f.write(",".join(cells) + "\n")
    return path


def _blobs(n: int = 60, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % k
    centers = np.array([[0.0, 0.0], [4.0, 4.0], [-4.0, 4.0]])[:k] * 10 + 50  # far from 0: standardising matters
    return centers[codes] + rng.normal(size=(n, 2)), codes


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _train(tmp_path: Path, data: Path, *extra: str) -> Path:
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), "--hidden", "6", "--epochs", "15", "--out", str(out), "--no-progress"]
    assert main([*argv, "--test-size", "0", *extra]) == 0
    return out / "model.json"


# --- round trips through the CLI -------------------------------------------------------------


def test_train_then_predict_with_text_labels_and_standardize(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    X, codes = _blobs()
    labels = np.array(NAMES)[codes]
    data = _write_csv(tmp_path / "flowers.csv", X, labels, ["a", "b", "species"])
    model_path = _train(tmp_path, data, "--standardize")
    meta = json.loads(model_path.read_text())["metadata"]
    assert meta["task"] == "classification" and meta["classes"] == NAMES and meta["loss"] == "cross_entropy"
    model = MLP.load(model_path)  # a train-written file still loads as a plain MLP
    capsys.readouterr()

    new = _write_csv(tmp_path / "new.csv", X[::7])  # features only, no header
    assert main(["predict", str(model_path), "--data", str(new), "-o", str(tmp_path / "p.csv")]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out.startswith(f"wrote {tmp_path / 'p.csv'}: 9 rows, class labels and probabilities")
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["label", "p_setosa", "p_versicolor", "p_virginica"]
    Xs = (X[::7] - meta["standardize"]["mean"]) / np.array(meta["standardize"]["std"])
    expected = np.array(NAMES)[predict_classes(model, Xs)]
    assert [r[0] for r in rows[1:]] == expected.tolist()
    P = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(np.argmax(P, axis=1), predict_classes(model, Xs))

    # The training file itself (labels last): the CSV on stdout, the accuracy on stderr.
    assert main(["predict", str(model_path), "--data", str(data)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0] == "label,p_setosa,p_versicolor,p_virginica" and len(lines) == 61
    Xall = (X - meta["standardize"]["mean"]) / np.array(meta["standardize"]["std"])
    hits = int(np.sum(predict_classes(model, Xall) == codes))
    assert out.err.strip().endswith(f"the last column holds labels: accuracy {hits / 60:.1%} ({hits} of 60)")


@pytest.mark.parametrize(
    ("loss", "out_act", "columns"),
    [("binary_cross_entropy_with_logits", "linear", 3), ("binary_cross_entropy", "sigmoid", 3), ("hinge", "linear", 1)],
)
def test_two_classes_every_binary_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture, loss: str, out_act: str, columns: int
) -> None:
    X, _ = _blobs(40, 2, seed=1)
    model = MLP(2, [4, 1], output_activation=out_act, seed=3)
    meta = training_metadata("classification", loss, ["no", "yes"], X.mean(axis=0), X.std(axis=0))
    model.save(tmp_path / "m.json", metadata=meta)
    assert main(["predict", str(tmp_path / "m.json"), "--data", str(_write_csv(tmp_path / "x.csv", X))]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert len(rows[0]) == columns and rows[0][0] == "label" and len(rows) == 41
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    assert [r[0] for r in rows[1:]] == np.array(["no", "yes"])[predict_classes(model, Xs)].tolist()
    if columns == 3:
        P = np.array([r[1:] for r in rows[1:]], dtype=float)
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-8)


def test_train_then_predict_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.25
    model_path = _train(tmp_path, _write_csv(tmp_path / "r.csv", X, [f"{v:.6f}" for v in y]), "--loss", "mse")
    capsys.readouterr()
    assert main(["predict", str(model_path), "--data", str(tmp_path / "r.csv"), "-o", str(tmp_path / "o.csv")]) == 0
    assert "regression values; the last column holds targets: MSE" in capsys.readouterr().out
    rows = _read(tmp_path / "o.csv")
    assert rows[0] == ["prediction"]
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], predict(MLP.load(model_path), X), rtol=1e-9)


def test_an_old_model_file_without_metadata_gives_raw_outputs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = MLP(2, [3, 2], seed=0)
    model.save(tmp_path / "old.json")
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    assert main(["predict", str(tmp_path / "old.json"), "--data", str(_write_csv(tmp_path / "x.csv", X))]) == 0
    out = capsys.readouterr()
    rows = list(csv.reader(out.out.splitlines()))
    assert rows[0] == ["output_0", "output_1"] and "no training metadata" in out.err
    np.testing.assert_allclose(np.array(rows[1:], dtype=float), predict(model, X), rtol=1e-9)


def test_a_convolutional_sequential_predicts_too(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = Sequential(Conv2d(1, 2, 2), "relu", Flatten(), Layer(8, 3, "linear"), input_shape=(1, 3, 3), seed=0)
    model.save(tmp_path / "cnn.json", metadata=training_metadata("classification", "cross_entropy", [3, 5, 7]))
    X = np.random.default_rng(0).normal(size=(4, 9))
    assert main(["predict", str(tmp_path / "cnn.json"), "--data", str(_write_csv(tmp_path / "x.csv", X))]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["label", "p_3", "p_5", "p_7"]
    assert [r[0] for r in rows[1:]] == [str([3, 5, 7][c]) for c in predict_classes(model, X)]


def test_train_cnn_then_predict_gives_class_labels(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`train --model cnn` saves the same metadata as the MLP path: predict names the classes and scales."""
    pytest.importorskip("matplotlib")  # the CNN run draws its pictures
    rng = np.random.default_rng(0)
    codes = np.arange(30) % 3
    X = rng.normal(size=(30, 9)) + 40 + 3.0 * codes[:, None]  # 3x3 images far from 0: standardising matters
    header = [f"p{i}" for i in range(9)] + ["species"]
    data = _write_csv(tmp_path / "images.csv", X, np.array(NAMES)[codes], header)
    out = tmp_path / "run"
    argv = ["train", "--model", "cnn", "--data", str(data), "--filters", "2", "--epochs", "2", "--test-size", "0"]
    assert main([*argv, "--standardize", "--out", str(out), "--no-progress"]) == 0
    meta = json.loads((out / "model.json").read_text())["metadata"]
    assert meta["task"] == "classification" and meta["loss"] == "cross_entropy" and meta["classes"] == NAMES
    _, mean, std = standardize(X)
    np.testing.assert_allclose(meta["standardize"]["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(meta["standardize"]["std"], std, rtol=1e-12)
    capsys.readouterr()

    new = _write_csv(tmp_path / "new.csv", X[::4])
    assert main(["predict", str(out / "model.json"), "--data", str(new), "-o", str(tmp_path / "p.csv")]) == 0
    assert "class labels and probabilities" in capsys.readouterr().out
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["label", *(f"p_{name}" for name in NAMES)] and len(rows) == 9
    model = Sequential.load(out / "model.json")
    expected = np.array(NAMES)[predict_classes(model, (X[::4] - mean) / std)]
    assert [r[0] for r in rows[1:]] == expected.tolist()


# --- the parts ----------------------------------------------------------------------------------


@settings(max_examples=50)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(-800, 800)))
def test_probabilities_are_distributions_that_agree_with_the_class_decision(Z: np.ndarray) -> None:
    for loss, out in [("cross_entropy", Z), ("binary_cross_entropy_with_logits", Z[:, 0])]:
        P = class_probabilities(out, loss)
        assert np.all(P >= 0) and np.all(np.isfinite(P))
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    P = class_probabilities(Z, "cross_entropy")
    assert np.all(P[np.arange(len(Z)), np.argmax(Z, axis=1)] == P.max(axis=1))  # the largest logit, the likeliest
    p1 = class_probabilities(Z[:, 0], "binary_cross_entropy_with_logits")[:, 1]
    assert np.array_equal(p1 > 0.5, Z[:, 0] > 0) or np.any(np.abs(Z[:, 0]) < 1e-15)
    assert class_probabilities(Z[:, 0], "hinge") is None


def test_predict_table_applies_the_scaling_and_names_the_classes() -> None:
    model = MLP.from_weights([[[1.0, 0.0], [0.0, 1.0]]], [[0.0, 0.0]], "linear")  # outputs = scaled features
    meta = training_metadata("classification", "categorical_cross_entropy", ["a", "b"], [10.0, 0.0], [2.0, 1.0])
    header, rows, labels = predict_table(model, meta, np.array([[12.0, 0.5], [10.0, 0.5]]))
    assert header == ["label", "p_a", "p_b"] and labels == ["a", "b"]  # (12-10)/2 = 1 > 0.5; 0 < 0.5
    assert rows[0] == ["a", "1", "0.5"]


def test_read_table_for_a_model_of_d_features(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("x,y,z\n1,2,3\n", encoding="utf-8")
    t = read_table(path, features=3)  # one row is enough here
    assert t.X.tolist() == [[1.0, 2.0, 3.0]] and len(t.y) == 0 and t.columns == ["x", "y", "z"]
    t = read_table(path, features=2)  # the last column is the label
    assert t.X.tolist() == [[1.0, 2.0]] and t.y.tolist() == [3.0]
    with pytest.raises(DataError, match=r"3 columns, but the model takes 5 features \(5 columns, or 6 with"):
        read_table(path, features=5)
    path.write_text("1,2,setosa\n3,4,virginica\n", encoding="utf-8")
    assert read_table(path, "no", features=2).y.tolist() == ["setosa", "virginica"]
    with pytest.raises(DataError, match=r"line 1: 'setosa' is not a number .*this file has no label column"):
        read_table(path, "no", features=3)


def test_metadata_is_checked_field_by_field() -> None:
    good = training_metadata("classification", "cross_entropy", ["a", "b", "c"], [0.0, 0.0], [1.0, 1.0])
    assert check_metadata(good, 2, 3, "m.json") == good and check_metadata(None, 2, 3, "m.json") is None
    bad = [
        ({**good, "task": "clustering"}, r"metadata.task: expected 'classification' or 'regression'"),
        ({**good, "classes": ["a", "a", "b"]}, r"metadata.classes: expected 2 to 1000 distinct class names"),
        ({**good, "classes": [1.5, 2, 3]}, r"metadata.classes: expected"),
        ({**good, "loss": "mse"}, r"metadata.loss: 'mse' is not a classification loss"),
        ({**good, "standardize": {"mean": [0.0], "std": [1.0, 1.0]}}, r"metadata.standardize.mean: expected 2"),
        ({**good, "standardize": {"mean": [0.0, 0.0], "std": [1.0, 0.0]}}, r"standardize.std: expected finite"),
        ({**good, "extra": 1}, r"metadata.extra: unknown entry"),
        ({k: v for k, v in good.items() if k != "loss"}, r"metadata.loss: missing"),
        ({**good, "task": "regression"}, r"metadata.classes: a regression has no classes"),
        ([1, 2], r"metadata must be a JSON object"),
    ]
    for meta, pattern in bad:
        with pytest.raises(ModelFileError, match=pattern):
            check_metadata(meta, 2, 3, "m.json")


# --- bad input: one line, exit 2 -----------------------------------------------------------------


def test_bad_input_is_one_line_and_status_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.json", metadata=training_metadata("classification", "hinge", ["n", "y"]))
    _write_csv(tmp_path / "ok.csv", np.zeros((3, 2)))
    (tmp_path / "wide.csv").write_text("1,2,3,4\n5,6,7,8\n")
    (tmp_path / "text.csv").write_text("1,2\n3,abc\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "notours.json").write_text(json.dumps({"weights": [1, 2, 3]}))
    (tmp_path / "garbage.json").write_bytes(b"\x80\x81 not json")
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["metadata"]["classes"] = ["a", "b", "c"]
    (tmp_path / "badmeta.json").write_text(json.dumps(doc))
    m, ok = str(tmp_path / "m.json"), str(tmp_path / "ok.csv")
    cases = [
        ([str(tmp_path / "missing.json"), "--data", ok], "No such file"),
        ([m, "--data", str(tmp_path / "missing.csv")], "no such data file"),
        ([m, "--data", str(tmp_path / "wide.csv")], "4 columns, but the model takes 2 features"),
        ([m, "--data", str(tmp_path / "text.csv")], "line 2: 'abc' is not a number"),
        ([m, "--data", str(tmp_path / "empty.csv")], "no rows of numbers"),
        ([str(tmp_path / "notours.json"), "--data", ok], "format: expected 'autograd-core-model'"),
        ([str(tmp_path / "garbage.json"), "--data", ok], "not a UTF-8 text file"),
        ([str(tmp_path / "badmeta.json"), "--data", ok], "metadata.classes: 3 classes but hinge is a two-class"),
        ([m], "the following arguments are required: --data"),
        ([m, "--data", ok, "-o", str(tmp_path / "no" / "such" / "dir.csv")], "No such file or directory"),
    ]
    for argv, message in cases:
        assert main(["predict", *argv]) == 2, argv
        out = capsys.readouterr()
        err = out.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("backprop: error:") and message in err[0], (argv, err)
        assert out.out == ""


def test_the_model_loader_accepts_metadata_only_as_an_object(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    model.save(tmp_path / "m.json", metadata={"note": "mine"})
    assert MLP.load(tmp_path / "m.json").state_dict() == model.state_dict()
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["metadata"] = "not an object"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match=r"metadata: expected a JSON object"):
        MLP.load(tmp_path / "bad.json")
    with pytest.raises(ModelFileError, match="the metadata is not plain finite JSON data"):
        model.save(tmp_path / "nan.json", metadata={"x": float("nan")})
    assert not (tmp_path / "nan.json").exists()
