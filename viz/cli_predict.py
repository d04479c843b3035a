"""``backprop predict``: a trained model (model.json) applied to the rows of a CSV file.

``backprop train`` keeps what prediction needs in the model file's ``metadata``: the task, the
loss (which says what the outputs are: logits, probabilities, scores or values), the class
names in the order of the outputs, and the feature scaling of ``--standardize``. A model file
without it (saved by ``model.save``, or before this command existed) still loads: its raw
outputs are written.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser(); _predict_arguments(p)
    >>> p.parse_args(["model.json", "--data", "new.csv"]).output is None
    True
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core.errors import excerpt, excerpt_path
from nn.errors import ModelFileError
from nn.module import read_model_file

from .dataset import MAX_CLASSES, read_table

HELP = "apply a trained model (model.json) to the rows of a CSV file: class labels or values, and probabilities"
EPILOG = """\
examples:
  backprop train --data iris.csv --out runs/iris
  backprop predict runs/iris/model.json --data new-flowers.csv -o predictions.csv
  backprop predict runs/iris/model.json --data iris.csv          (CSV on stdout; accuracy on stderr)

FILE.csv has the model's features in its columns, in the order of training, read as `backprop
train` reads them (same separators, header rule and size limit); a last extra column is taken
as the known labels (or targets), and the accuracy (or MSE) on them is reported. The output CSV
has one row per input row: for a classifier the class label (the names of the training CSV,
e.g. versicolor) and one probability column per class (p_<class>; none for a hinge loss, whose
scores are not probabilities); for a regression the predicted value.
"""

CHUNK_ROWS = 10_000  # rows predicted at once (one graph of lanes), so memory stays bounded
_BINARY_LOSSES = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge")
_MULTI_LOSSES = ("cross_entropy", "categorical_cross_entropy")
_META_KEYS = ("task", "loss", "classes", "standardize")


def _predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a model file written by backprop train (model.json)")
    p.add_argument("--data", required=True, metavar="FILE.csv", help="the rows to predict (features, in order)")
    p.add_argument("-o", "--output", default=None, help="the CSV file to write (default: standard output)")
    p.add_argument(
        "--header", default="auto", choices=("auto", "yes", "no"), help="is the CSV file's first row a header (auto)"
    )


# --- what train keeps --------------------------------------------------------------------


def _json_label(label: Any) -> str | int:
    """A class label as JSON: text stays text, a whole number becomes an int."""
    if isinstance(label, (str, np.str_)):
        return str(label)
    return int(label)


def training_metadata(
    task: str,
    loss: str,
    classes: Sequence[Any] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> dict[str, Any]:
    """What ``backprop predict`` needs, for ``model.save(path, metadata=...)``.

    Example:
        >>> training_metadata("classification", "cross_entropy", np.array(["b", "a", "c"]))
        {'task': 'classification', 'loss': 'cross_entropy', 'classes': ['b', 'a', 'c'], 'standardize': None}
    """
    scaling = None
    if mean is not None and std is not None:
        scaling = {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    labels = None if classes is None else [_json_label(c) for c in classes]
    return {"task": task, "loss": loss, "classes": labels, "standardize": scaling}


def check_metadata(meta: Any, nin: int, nout: int, path: str | Path) -> dict[str, Any] | None:
    """The checked ``metadata`` of a model file (None when there is none); ModelFileError naming the field.

    Example:
        >>> check_metadata({"task": "regression", "loss": "mse", "classes": None, "standardize": None}, 2, 1, "m")
        {'task': 'regression', 'loss': 'mse', 'classes': None, 'standardize': None}
        >>> check_metadata({"task": "classification", "loss": "cross_entropy", "classes": ["a", "b", "c"],
        ...                 "standardize": None}, 2, 2, "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: metadata.classes: 3 classes but the model has 2 outputs (cross_entropy)
    """
    if meta is None:
        return None

    def fail(field: str, what: str) -> None:
        raise ModelFileError(f"{excerpt_path(path)}: metadata.{field}: {what}")

    if not isinstance(meta, Mapping):
        raise ModelFileError(f"{excerpt_path(path)}: metadata must be a JSON object, got {type(meta).__name__}")
    for key in _META_KEYS:
        if key not in meta:
            fail(key, "missing")
    extra = sorted(set(meta) - set(_META_KEYS))
    if extra:
        fail(str(extra[0])[:40], f"unknown entry; expected {', '.join(_META_KEYS)}")
    task, loss, classes, scaling = (meta[k] for k in _META_KEYS)
    if task not in ("classification", "regression"):
        fail("task", f"expected 'classification' or 'regression', got {excerpt(task, 40)}")
    if not isinstance(loss, str) or not loss or len(loss) > 60:
        fail("loss", f"expected a loss name, got {excerpt(loss, 40)}")
    if task == "regression":
        if classes is not None:
            fail("classes", "a regression has no classes (expected null)")
    else:
        if loss not in (*_BINARY_LOSSES, *_MULTI_LOSSES):
            fail("loss", f"{excerpt(loss, 40)} is not a classification loss")
        ok = isinstance(classes, list) and 2 <= len(classes) <= MAX_CLASSES
        if not ok or not all(type(c) in (str, int) for c in classes) or len(set(map(str, classes))) != len(classes):
            fail(
                "classes",
                f"expected 2 to {MAX_CLASSES} distinct class names (text or integers), got {excerpt(classes, 60)}",
            )
        want = 1 if loss in _BINARY_LOSSES else len(classes)
        if loss in _BINARY_LOSSES and len(classes) != 2:
            fail("classes", f"{len(classes)} classes but {loss} is a two-class loss")
        if nout != want:
            fail("classes", f"{len(classes)} classes but the model has {nout} outputs ({loss})")
    if scaling is not None:
        good = isinstance(scaling, Mapping) and set(scaling) == {"mean", "std"}
        for key in ("mean", "std"):
            v = scaling.get(key) if good else None
            if not (isinstance(v, list) and len(v) == nin and all(type(x) in (int, float) for x in v)):
                fail(f"standardize.{key}" if good else "standardize", f"expected {nin} numbers (one per feature)")
            if not all(math.isfinite(x) and (key == "mean" or x > 0) for x in v):
                fail(f"standardize.{key}", "expected finite numbers (std > 0)")
    return dict(meta)


# --- prediction ------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def class_probabilities(out: np.ndarray, loss: str) -> np.ndarray | None:
    """Per row, the probability of every class, from the raw outputs and the loss (None for hinge).

    Example:
        >>> class_probabilities(np.array([0.0, 2.0]), "binary_cross_entropy_with_logits").round(3).tolist()
        [[0.5, 0.5], [0.119, 0.881]]
    """
    if loss == "hinge":
        return None
    if loss in _BINARY_LOSSES:
        p1 = _sigmoid(out) if loss == "binary_cross_entropy_with_logits" else np.clip(out, 0.0, 1.0)
        return np.stack([1.0 - p1, p1], axis=1)
    return _softmax(out) if loss == "cross_entropy" else out


def _outputs(model: Any, X: np.ndarray) -> np.ndarray:
    from nn.train import predict

    parts = [predict(model, X[i : i + CHUNK_ROWS]) for i in range(0, len(X), CHUNK_ROWS)]
    return np.concatenate(parts, axis=0)


def _number(v: float) -> str:
    return f"{v:.10g}"


def predict_table(model: Any, meta: dict[str, Any] | None, X: np.ndarray) -> tuple[list[str], list[list[Any]], Any]:
    """(header, rows, predictions) for the feature rows X: labels and probabilities, or values.

    Example:
        >>> from nn import MLP
        >>> model = MLP.from_weights([[[1.0]]], [[0.0]], "linear")
        >>> meta = training_metadata("classification", "hinge", ["no", "yes"])
        >>> predict_table(model, meta, np.array([[2.0], [-1.0]]))[:2]
        (['label'], [['yes'], ['no']])
    """
    if meta is not None and meta["standardize"] is not None:
        X = (X - np.array(meta["standardize"]["mean"])) / np.array(meta["standardize"]["std"])
    out = _outputs(model, X)
    if meta is None or meta["task"] == "regression":
        name = "output" if meta is None else "prediction"
        if out.ndim == 1:
            return [name], [[_number(v)] for v in out.tolist()], out
        header = [f"{name}_{j}" for j in range(out.shape[1])]
        return header, [[_number(v) for v in row] for row in out.tolist()], out
    classes = meta["classes"]
    P = class_probabilities(out, meta["loss"])
    codes = (out > 0).astype(np.int64) if P is None else np.argmax(P, axis=1)
    labels = [classes[c] for c in codes.tolist()]
    if P is None:
        return ["label"], [[label] for label in labels], labels
    header = ["label", *(f"p_{c}" for c in classes)]
    return header, [[label, *map(_number, p)] for label, p in zip(labels, P.tolist())], labels


def _known(meta: dict[str, Any] | None, predicted: Any, y: np.ndarray) -> str:
    """A note on how the predictions match a label column of the file (empty without one)."""
    if not len(y):
        return ""
    if meta is None:
        return "; the last column was ignored (the model file has no training metadata to compare it with)"
    if meta["task"] == "regression":
        if y.dtype.kind in "US" or np.ndim(predicted) != 1:
            return "; the last column was ignored"
        return f"; the last column holds targets: MSE {float(np.mean((np.asarray(predicted) - y) ** 2)):.4g}"
    key = (lambda v: str(v)) if y.dtype.kind in "US" else (lambda v: float(v) if not isinstance(v, str) else v)
    hits = sum(key(p) == key(t) for p, t in zip(predicted, y.tolist()))
    return f"; the last column holds labels: accuracy {hits / len(y):.1%} ({hits} of {len(y)})"


def cmd_predict(args: argparse.Namespace) -> int:
    """Load MODEL, predict every row of --data, write the CSV (or print it) and one line about it.

    Example:
        >>> import os, tempfile
        >>> from nn import MLP
        >>> folder = tempfile.mkdtemp(); path = os.path.join(folder, "m.json")
        >>> MLP.from_weights([[[1.0, 1.0]]], [[0.0]], "linear").save(path,
        ...     metadata=training_metadata("classification", "hinge", ["no", "yes"]))
        >>> _ = open(os.path.join(folder, "x.csv"), "w").write("1,2\\n-3,1\\n")
        >>> cmd_predict(argparse.Namespace(model=path, data=os.path.join(folder, "x.csv"), output=None, header="no"))
        label
        yes
        no
        0
    """
    from .cli_export import load_model

    doc = read_model_file(args.model)
    model = load_model(args.model)
    nin, nout = _widths(model)
    meta = check_metadata(doc.get("metadata"), nin, nout, args.model)
    table = read_table(args.data, args.header, features=nin)
    header, rows, predicted = predict_table(model, meta, table.X)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if meta is None:
        what = "raw outputs (the model file has no training metadata: saved by model.save, or by an older version)"
    elif meta["task"] == "regression":
        what = "regression values"
    else:
        probs = "" if meta["loss"] == "hinge" else " and probabilities"
        what = f"class labels{probs} ({len(meta['classes'])} classes: {_names(meta['classes'])})"
    summary = f"{len(rows)} rows, {what}{_known(meta, predicted, table.y)}"
    if args.output is None:
        sys.stdout.write(text.getvalue())
        print(f"predicted {summary}", file=sys.stderr)
    else:
        Path(args.output).write_text(text.getvalue(), encoding="utf-8")
        print(f"wrote {args.output}: {summary}")
    return 0


def _widths(model: Any) -> tuple[int, int]:
    from nn import MLP, Sequential

    if isinstance(model, MLP):
        return model.nin, model.nouts[-1]
    if isinstance(model, Sequential):
        return model.nin, math.prod(model.output_shape)
    return model.nin, model.nout


def _names(classes: Sequence[Any], n: int = 5) -> str:
    shown = ", ".join(str(c)[:20] for c in classes[:n])
    return shown + (", ..." if len(classes) > n else "")
