"""The data path of ``backprop train`` and ``backprop predict``: CSV files, the task, the limits.

- ``read_table`` reads a CSV file of numbers (a text label in the last column is allowed) with
  NumPy in one pass, after deciding whether the first row is a header (``HEADER_RULE``).
- ``decide_task`` decides classification or regression from ``--task``, then the loss, then
  the labels, and refuses an absurd number of classes.
- ``estimate_memory`` tells how many bytes a run needs before it starts; ``check_memory``
  refuses a run that does not fit.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(path, "w").write("x1,x2,label\\n0.5,1,0\\n-1,2,1\\n0,0,0\\n3,1e-3,1\\n")
    >>> t = read_table(path); t.X.shape, t.y.tolist(), t.columns
    ((4, 2), [0.0, 1.0, 0.0, 1.0], ['x1', 'x2', 'label'])
    >>> t.header_note
    "header: yes (auto: 'x1' in the first row is not a number), 4 samples, 2 features"
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograd_core import AutogradError
from autograd_core.errors import excerpt, excerpt_path
from nn.files import read_regular

MAX_CSV_BYTES = 50 * 2**20  # the largest CSV file read (50 MiB): about a million rows of a few numbers
MAX_CLASSES = 1000  # the most classes a run accepts ...
MIN_SAMPLES_PER_CLASS = 2  # ... and it needs at least this many samples per class on average
MAX_PICTURE_CLASSES = 20  # beyond this many classes the decision-boundary picture is skipped
HEADER_RULE = (
    "the first row is a header when one of its cells is text that is not a number in a column whose "
    "second row holds a number (so 'x1,x2,label' is a header, '1,2,0' and '1,,0' are data); "
    "--header yes or --header no overrides the rule"
)

# Separators: a comma, semicolon or tab (with optional spaces around it), or runs of spaces.
_SEP = re.compile(r" *[,;\t] *| +")


class DataError(AutogradError, ValueError):
    """A data file or data set the run cannot use (names the file, the line and the field).

    Example:
        >>> issubclass(DataError, ValueError)
        True
    """


@dataclass
class Table:
    """A CSV file as read: features X (n, d), labels y (n,) (floats, or strings for text labels).

    ``columns`` are the header's names (None without a header); ``header_note`` says what was
    decided, e.g. ``"header: no (auto: ...), 5 samples, 3 features"``.
    """

    X: np.ndarray
    y: np.ndarray
    columns: list[str] | None
    header_note: str


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unquote(cell: str) -> str:
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def _decide_header(first: list[str], second: list[str] | None, header: str) -> tuple[bool, str]:
    """(is the first row a header, why), by ``HEADER_RULE`` or the user's --header yes|no."""
    if header in ("yes", "no"):
        return header == "yes", f"--header {header}"
    for j, cell in enumerate(first):
        later = second[j] if second is not None and j < len(second) else None
        if cell.strip() and not _is_number(cell) and (later is None or _is_number(later)):
            return True, f"auto: {_unquote(cell)[:20]!r} in the first row is not a number"
    if any(not cell.strip() for cell in first):
        return False, "auto: the first row has an empty cell but no text, so it is data"
    return False, "auto: the first row is data (use --header yes if it names the columns)"


def read_table(path: str | os.PathLike[str], header: str = "auto", features: int | None = None) -> Table:
    """Read a CSV file: features, then the label (a number or a text class name) in the last column.

    ``features=d`` reads a file for a model of d features (``backprop predict``): it has d
    columns, or d + 1 with the label last (then read as above); ``y`` is empty without a label
    column, and one row is enough.

    Separators are commas, semicolons, tabs or spaces; empty lines and lines starting with
    ``#`` are skipped; nothing is evaluated. ``header`` is "auto" (``HEADER_RULE``), "yes" or
    "no". Files over ``MAX_CSV_BYTES`` are refused before reading. Errors (``DataError``) name
    the file, the line and the field.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "iris.csv")
        >>> _ = open(path, "w").write("5.1,3.5,setosa\\n7.0,3.2,versicolor\\n6.3,3.3,virginica\\n4.9,3,setosa\\n")
        >>> t = read_table(path); t.y.tolist(), t.header_note.split(" (")[0]
        (['setosa', 'versicolor', 'virginica', 'setosa'], 'header: no')
    """
    path = Path(path)
    if header not in ("auto", "yes", "no"):
        raise DataError(f"--header must be auto, yes or no, got {excerpt(header)}")
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"no such data file: {excerpt_path(path, quote=True)}") from None
    if path.is_file() and size > MAX_CSV_BYTES:
        raise DataError(
            f"{excerpt_path(path.name, quote=True)} is {size / 2**20:.1f} MiB, "
            f"larger than the {MAX_CSV_BYTES // 2**20} MiB "
            "limit of CSV files (viz.dataset.MAX_CSV_BYTES); use a sample of the rows"
        )
    raw = read_regular(path, MAX_CSV_BYTES, "CSV", DataError)  # a FIFO, folder or device is refused unread
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{excerpt_path(path.name, quote=True)} is not a text (UTF-8) CSV file") from None
    numbers: list[int] = []
    lines: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            numbers.append(lineno)
            lines.append(line)
    del text
    name = path.name[:80]
    if not lines:
        raise DataError(f"{name}: no rows of numbers")
    cells = [_SEP.split(line) for line in lines[:2]]
    is_header, why = _decide_header(cells[0], cells[1] if len(cells) > 1 else None, header)
    columns = [_unquote(c)[:40] for c in cells[0]] if is_header else None
    if is_header:
        numbers, lines = numbers[1:], lines[1:]
    if not lines:
        raise DataError(f"{name}: a header but no rows of numbers")
    width = len(_SEP.split(lines[0]))
    label = features is None or width == features + 1
    if features is not None and width not in (features, features + 1):
        raise DataError(
            f"{name}: {width} columns, but the model takes {features} features ({features} columns, or "
            f"{features + 1} with the label last)"
        )
    if width < 2 and label:
        raise DataError(f"{name}: need at least two columns (features, then the label)")
    body = _commas("\n".join(lines))
    del lines
    X, y = _parse_fast(body, width, label)
    if X is None:
        X, y = _parse_slow(body, width, numbers, name, label)
    least = 4 if features is None else 1
    if len(X) < least:
        raise DataError(f"{name}: need at least {least} rows of numbers, found {len(X)}")
    bad = ~np.isfinite(X).all(axis=1)
    if y.dtype.kind == "f" and len(y):
        bad |= ~np.isfinite(y)
    if bad.any():
        raise DataError(f"{name}, line {numbers[int(np.argmax(bad))]}: every value must be a finite number")
    note = f"header: {'yes' if is_header else 'no'} ({why}), {len(X)} samples, {X.shape[1]} features"
    return Table(X, y, columns, note)


def _commas(text: str) -> str:
    """Every separator as one comma (str.replace when there are no spaces: ~10x faster than the regex)."""
    if " " in text:
        return _SEP.sub(",", text)
    return text.replace(";", ",").replace("\t", ",")


def _parse_fast(body: str, width: int, label: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """NumPy's C reader: all numbers, or numeric features and a text label; (None, _) on any problem."""
    try:
        data = np.loadtxt(body.splitlines(), delimiter=",", dtype=np.float64, ndmin=2, comments=None)
        if data.shape[1] == width:
            return (data[:, :-1], data[:, -1]) if label else (data, np.zeros(0))
    except ValueError:
        pass
    if not label:
        return None, np.zeros(0)
    try:
        lines = body.splitlines()
        X = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, usecols=range(width - 1), comments=None)
        y = np.loadtxt(lines, delimiter=",", dtype=str, usecols=width - 1, comments=None, quotechar='"', ndmin=1)
        if all(len(line.split(",")) == width for line in lines):
            return X, y
    except ValueError:
        pass
    return None, np.zeros(0)


def _parse_slow(
    body: str, width: int, numbers: Sequence[int], name: str, label: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Field by field in Python: finds and names the first bad field (or reads what NumPy refused)."""
    nx = width - 1 if label else width
    rows: list[list[float]] = []
    labels: list[str] = []
    for lineno, line in zip(numbers, body.split("\n"), strict=True):
        fields = line.split(",")
        if len(fields) != width:
            raise DataError(f"{name}, line {lineno}: {len(fields)} values where the first row has {width}")
        for j, f in enumerate(fields):
            if not f:
                raise DataError(
                    f"{name}, line {lineno}, column {j + 1}: empty cell (a missing value); fill it in or drop the row"
                )
            if j < nx and not _is_number(f):
                where = "a text class name may stand in the last column" if label else "this file has no label column"
                raise DataError(
                    f"{name}, line {lineno}: {excerpt(f)} is not a number (only numbers after the header; {where})"
                )
        rows.append([float(f) for f in fields[:nx]])
        labels.append(_unquote(fields[-1]))
    X = np.array(rows, dtype=np.float64).reshape(len(rows), nx)
    if not label:
        return X, np.zeros(0)
    if all(_is_number(s) for s in labels):
        return X, np.array([float(s) for s in labels])
    return X, np.array(labels, dtype=str)


def read_csv(path: str | os.PathLike[str], header: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """``read_table``'s features and labels: (X, y).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
        >>> _ = open(path, "w").write("a,b,label\\n0.5,1,0\\n-1,2,1\\n0,0,0\\n3,1e-3,1\\n")
        >>> X, y = read_csv(path); X.tolist(), y.tolist()
        ([[0.5, 1.0], [-1.0, 2.0], [0.0, 0.0], [3.0, 0.001]], [0.0, 1.0, 0.0, 1.0])
    """
    t = read_table(path, header)
    return t.X, t.y


# --- the task -------------------------------------------------------------------------------------


@dataclass
class Task:
    """What a run does: "classification" (with ``classes`` and integer ``codes``) or "regression".

    ``reason`` says why, for the run's output.
    """

    kind: str
    reason: str
    classes: np.ndarray | None = None
    codes: np.ndarray | None = None

    @property
    def k(self) -> int | None:
        """The number of classes (None for a regression)."""
        return None if self.classes is None else len(self.classes)

    def describe(self) -> str:
        """One line for the run's output.

        Example:
            >>> decide_task(np.array([0.0, 1.0, 1.0, 0.0]), "auto", "auto").describe()
            'task: classification, 2 classes (auto: whole-number labels; --task regression fits them as numbers)'
        """
        if self.kind == "regression":
            return f"task: regression ({self.reason})"
        return f"task: classification, {self.k} classes ({self.reason})"


def _short(values: np.ndarray, n: int = 3) -> str:
    shown = ", ".join(repr(v)[:20] if isinstance(v, str) else f"{v:g}" for v in values[:n].tolist())
    return shown + (", ..." if len(values) > n else "")


def max_classes(n_samples: int) -> int:
    """The most classes ``n_samples`` can train: MAX_CLASSES, and 2 samples per class on average.

    Example:
        >>> max_classes(4), max_classes(200), max_classes(10**6)
        (2, 100, 1000)
    """
    return max(2, min(MAX_CLASSES, n_samples // MIN_SAMPLES_PER_CLASS))


def decide_task(y: np.ndarray, loss: str, task: str, classification_losses: Sequence[str] = ()) -> Task:
    """Classification or regression: ``task`` if given, else the loss if given, else the labels.

    A regression never turns its targets into classes; text labels are always classes; a
    classification with more classes than ``max_classes(len(y))`` is refused.

    Example:
        >>> decide_task(np.array([-85.0, 3.0, 114.0, 7.0]), "mse", "auto").describe()
        'task: regression (--loss mse)'
        >>> decide_task(np.array(["a", "b", "a", "b"]), "auto", "auto").classes.tolist()
        ['a', 'b']
    """
    from nn.train import CLASSIFICATION_LOSSES

    class_losses = tuple(classification_losses) or CLASSIFICATION_LOSSES
    text = y.dtype.kind in "US"
    if task not in ("auto", "classification", "regression"):
        raise DataError(f"--task must be classification or regression, got {excerpt(task)}")
    if task != "auto":
        kind, reason = task, f"--task {task}"
        if loss != "auto" and (loss in class_losses) != (task == "classification"):
            other = "a classification" if loss in class_losses else "a regression"
            raise DataError(f"--loss {loss} is {other} loss, but --task is {task}")
    elif loss != "auto":
        kind = "classification" if loss in class_losses else "regression"
        reason = f"--loss {loss}"
    elif text:
        kind, reason = "classification", "auto: the labels are text"
    elif np.all(np.mod(y, 1) == 0):
        kind, reason = "classification", "auto: whole-number labels; --task regression fits them as numbers"
    else:
        kind, reason = "regression", "auto: the targets are not whole numbers"
    if kind == "regression":
        if text:
            raise DataError(
                f"{reason} needs numbers in the last column, but it holds text ({_short(np.unique(y))}); "
                "use a classification loss or --task classification"
            )
        return Task("regression", reason)
    if not text and not np.all(np.mod(y, 1) == 0):
        bad = y[np.mod(y, 1) != 0]
        raise DataError(
            f"{reason}: class labels must be whole numbers or text, but the last column holds {_short(bad)}; "
            "use --task regression for real-valued targets"
        )
    classes, codes = np.unique(y, return_inverse=True)
    k, n, limit = len(classes), len(y), max_classes(len(y))
    if k < 2:
        raise DataError(f"a classification needs at least 2 classes; every label is {_short(classes, 1)}")
    if k > limit:
        raise DataError(
            f"{k} classes in {n} samples is too many: at most {limit} (at most {MAX_CLASSES}, and "
            f"{MIN_SAMPLES_PER_CLASS} samples per class on average); if the last column holds quantities, "
            "use --task regression or --loss mse"
        )
    return Task("classification", reason, classes, codes.reshape(-1).astype(np.int64))


# --- memory ---------------------------------------------------------------------------------------

# Measured with tracemalloc on MLPs of 337..265k parameters (see the README's limits): a
# parameter Value with its gradient, optimizer state and graph share costs under 600 bytes; a
# training graph under 150 bytes per sample of the batch per neuron; evaluating the whole data
# set at once (no graph kept) under 32 bytes per sample per neuron; the data itself with its
# copies (split, standardised, shuffled) under 64 bytes per number.
BYTES_PER_PARAMETER = 600
BYTES_PER_BATCH_UNIT = 150
BYTES_PER_EVAL_UNIT = 32
BYTES_PER_NUMBER = 64


def estimate_memory(n_samples: int, n_features: int, widths: Sequence[int], batch_size: int | None) -> int:
    """Bytes a training run needs (an upper estimate): parameters, the batch's graph, evaluation, data.

    Example:
        >>> round(estimate_memory(200, 2, [16, 16, 1], 32) / 1e6, 2)  # the default moons run: MB
        0.61
        >>> estimate_memory(10**9, 2, [16, 16, 1], 32) > 10**12
        True
    """
    sizes = [n_features, *widths]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    units = sum(widths)
    batch = n_samples if batch_size is None else min(batch_size, n_samples)
    return (
        BYTES_PER_PARAMETER * params
        + BYTES_PER_BATCH_UNIT * batch * units
        + BYTES_PER_EVAL_UNIT * n_samples * units
        + BYTES_PER_NUMBER * n_samples * (n_features + 1)
    )


def available_memory() -> int:
    """Bytes this process may use now: Linux's MemAvailable, else the physical memory, else 4 GiB.

    Example:
        >>> available_memory() > 0
        True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 4 * 2**30


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``.

    Example:
        >>> format_bytes(3 * 2**30), format_bytes(512)
        ('3.0 GiB', '512 B')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def parse_size(text: str) -> int:
    """``"2G"``, ``"500M"``, ``"1.5GiB"``, ``"800000"`` -> bytes.

    Example:
        >>> parse_size("2G"), parse_size("512M"), parse_size("100")
        (2147483648, 536870912, 100)
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not m:
        raise ValueError(f"expected a size like 2G or 500M, got {excerpt(text)}")
    value = float(m.group(1)) * 1024 ** "_kmgt".index(m.group(2) or "_")
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"expected a size like 2G or 500M, got {excerpt(text)}")
    return int(value)


def check_memory(need: int, limit: int | None = None, what: str = "this run") -> None:
    """Refuse (DataError) when ``need`` bytes exceed ``limit`` (default: 80% of ``available_memory()``).

    Example:
        >>> check_memory(10**6)
        >>> check_memory(5 * 2**30, limit=2**30)
        Traceback (most recent call last):
        ...
        viz.dataset.DataError: this run needs about 5.0 GiB of memory, more than the 1.0 GiB it may use ...
    """
    budget = int(0.8 * available_memory()) if limit is None else limit
    if need > budget:
        source = "--max-memory" if limit is not None else "80% of the memory available now"
        raise DataError(
            f"{what} needs about {format_bytes(need)} of memory, more than the {format_bytes(budget)} it may use "
            f"({source}); use fewer samples, smaller --hidden layers or a smaller --batch-size"
        )


# --- per-sample losses (for picking the sample a picture shows) --------------------------------------


def sample_losses(loss: str, out: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Every sample's loss at once, from raw outputs (n,) or (n, k) and prepared targets; None if unknown.

    The formulas are those of ``nn.losses`` (mean over outputs where the loss averages them).

    Example:
        >>> sample_losses("mse", np.array([1.0, 3.0]), np.array([1.0, 1.0])).tolist()
        [0.0, 4.0]
    """
    n = len(out)
    o = out.reshape(n, -1)
    eps = 1e-12
    if loss in ("cross_entropy", "categorical_cross_entropy") and t.ndim == 1:
        pick = o[np.arange(n), t.astype(np.int64)]
        if loss == "categorical_cross_entropy":
            return -np.log(np.maximum(pick, eps))
        top = o.max(axis=1)
        return top + np.log(np.sum(np.exp(o - top[:, None]), axis=1)) - pick
    y = t.reshape(n, -1)
    if y.shape != o.shape:
        return None
    if loss == "mse":
        return np.mean((o - y) ** 2, axis=1)
    if loss == "sse":
        return 0.5 * np.sum((o - y) ** 2, axis=1)
    if loss == "mae":
        return np.mean(np.abs(o - y), axis=1)
    if loss == "binary_cross_entropy":
        p = np.clip(o, eps, 1 - eps)
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=1)
    if loss == "binary_cross_entropy_with_logits":
        return np.mean(np.logaddexp(0.0, o) - y * o, axis=1)
    if loss == "hinge":
        return np.mean(np.maximum(0.0, 1.0 - y * o), axis=1)
    return None
