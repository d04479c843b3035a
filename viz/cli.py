"""The ``backprop`` command line.

Each subcommand is a pair of functions: ``_<name>_arguments(parser)`` declares its options and
``cmd_<name>(args) -> int`` runs it; ``COMMANDS`` lists the registered ones. Every error a
user can cause ends as ONE line on stderr, ``backprop: error: ...``, and exit status 2
(never a traceback); an unexpected internal error is one line and status 1 (set
``BACKPROP_DEBUG=1`` to see its traceback).

Example:
    >>> main(["graph", "x*w", "x=2", "w=-3", "-o", "/nonexistent-dir/g.svg"])
    2
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core import AutogradError, __version__, grads_array
from autograd_core.errors import excerpt, excerpt_path

from . import bench, cli_check, cli_cnn, cli_export, cli_predict, cli_train
from .dataset import MAX_CSV_BYTES, read_csv, read_table  # noqa: F401  (viz.cli.read_csv stays importable)

PROG = "backprop"
EXIT_USAGE = 2


class CliError(AutogradError, ValueError):
    """A bad command line (a malformed NAME=VALUE, a missing folder, ...)."""


class _UsageError(Exception):
    """argparse's complaint, turned into our one-line error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, an epilog with an example, and its two functions."""

    name: str
    help: str
    epilog: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- backprop graph ------------------------------------------------------------------------------

GRAPH_EPILOG = """\
examples:
  backprop graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
  backprop graph "sigmoid(x)*log(y)" x=0.5 y=2 --rankdir TB -o g.png
  backprop graph -- "-x**2" x=3        (use -- when the expression starts with -)

The expression may use numbers, names, + - * / **, parentheses and one-argument calls of
tanh, exp, log, sqrt, sigmoid, relu, softplus, abs, sin, cos. It is parsed safely (never
evaluated by Python). The picture's format follows the file extension: .svg, .png, .pdf need
Graphviz's dot program; .dot writes the graph source and needs nothing. Names starting with x
are drawn as inputs and the others as parameters (the legend says so); --inputs x,t marks the
inputs yourself.
"""


def _graph_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help='the expression, e.g. "tanh(x*w + b)" (quote it)')
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", default=[], help="a number for every name, e.g. x=2 w=-3")
    p.add_argument(
        "-o", "--output", default="graph.svg", help="picture to write: .svg .png .pdf .dot (default graph.svg)"
    )
    p.add_argument("--no-grad", action="store_true", help="do not run backward: show values only")
    p.add_argument(
        "--rankdir",
        default="auto",
        choices=("auto", "LR", "TB", "RL", "BT"),
        help="layout direction (default auto: LR while it fits a screen, else TB)",
    )
    p.add_argument("--precision", type=int, default=4, choices=range(0, 13), metavar="N", help="digits (default 4)")
    p.add_argument(
        "--inputs",
        default=None,
        metavar="NAMES",
        help="names drawn as inputs, e.g. x,y; the other names are parameters (default: names starting with x)",
    )


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``; refuse anything malformed with CliError.

    Example:
        >>> parse_assignments(["x=2", "w=-3.5"])
        {'x': 2.0, 'w': -3.5}
    """
    from .expr import NAME

    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq:
            raise CliError(f"expected NAME=VALUE, got {excerpt(item)}")
        if not NAME.match(name) or name.startswith("__"):
            raise CliError(f"bad name in {excerpt(item)}: names are letters, digits and '_' (not starting with '__')")
        if name in values:
            raise CliError(f"{excerpt(name)} is given twice")
        try:
            number = float(text)
        except ValueError:
            raise CliError(f"the value of {excerpt(name)} is not a number: {excerpt(text)}") from None
        if not math.isfinite(number):
            raise CliError(f"the value of {excerpt(name)} must be a finite number, got {excerpt(text)}")
        values[name] = number
    return values


def cmd_graph(args: argparse.Namespace) -> int:
    """Parse EXPR, evaluate it with the values, back-propagate, print a table, write the picture.

    Example:
        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "g.dot")
        >>> main(["graph", "x*w", "x=2", "w=-3", "-o", out])
        x*w
        name               value            grad
        x                 2.0000         -3.0000
        w                -3.0000          2.0000
        output           -6.0000          1.0000
        wrote ...g.dot
        0
    """
    from .expr import parse_expr
    from .graph import _fmt, draw_dot, format_of, write_picture

    expr = parse_expr(args.expr)
    values = parse_assignments(args.values)
    path = Path(args.output)
    fmt = format_of(path)
    if not path.parent.is_dir():
        raise CliError(
            f"cannot write {excerpt_path(path, quote=True)}: "
            f"the folder {excerpt_path(path.parent, quote=True)} does not exist"
        )
    out, leaves = expr.evaluate(values)
    if not math.isfinite(out.data):  # float arithmetic overflowed (or inf - inf) on the way
        raise CliError(f"the expression evaluates to {out.data} with these values: a number overflowed float64")
    if not args.no_grad:
        out.backward()
    marked = None if args.inputs is None else [n.strip() for n in args.inputs.split(",") if n.strip()]
    dg = draw_dot(out, rankdir=args.rankdir, show_grad=not args.no_grad, precision=args.precision, inputs=marked)
    write_picture(dg, path, fmt)

    p = args.precision
    rows = [(name, leaf) for name, leaf in leaves.items()] + [("output", out)]
    width = max(8, *(len(name) for name, _ in rows))
    header = f"{'name':<{width}}  {'value':>14}" + ("" if args.no_grad else f"  {'grad':>14}")
    print(args.expr.strip())
    print(header)
    for name, v in rows:
        line = f"{name:<{width}}  {_fmt(v.data, p):>14}"
        if not args.no_grad:
            line += f"  {_fmt(v.grad, p):>14}"
        print(line)
    print(f"wrote {path}")
    return 0


# --- shared by train and demo --------------------------------------------------------------------

DATASETS = ("moons", "circles", "xor", "spirals", "blobs", "digits")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {excerpt(text)}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {excerpt(text)}")
    return n


def _number(low: float, high: float = math.inf, low_open: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {excerpt(text)}") from None
        if not math.isfinite(x) or x < low or (low_open and x == low) or x > high:
            where = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
            raise argparse.ArgumentTypeError(f"expected a number in {where.replace('inf', '∞')}, got {excerpt(text)}")
        return x

    return parse


def _size(text: str) -> int:
    from .dataset import parse_size

    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _batch_size(text: str) -> int | None:
    if text.strip().lower() in ("full", "all", "none"):
        return None
    return _positive_int(text)


def parse_hidden(text: str) -> list[int]:
    """``"16,16"`` -> ``[16, 16]`` (hidden layer widths); ``""`` or ``"none"`` -> ``[]``.

    Example:
        >>> parse_hidden("16, 8"), parse_hidden("none")
        ([16, 8], [])
        >>> parse_hidden("16,x")
        Traceback (most recent call last):
        ...
        viz.cli.CliError: --hidden: 'x' is not a layer width; expected whole numbers >= 1 ...
    """
    text = text.strip()
    if text.lower() in ("", "none", "0"):
        return []
    widths = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1 or int(part) > 4096:
            raise CliError(
                f"--hidden: {excerpt(part)} is not a layer width; expected whole numbers >= 1 separated by commas, "
                "e.g. 16,16"
            )
        widths.append(int(part))
    return widths


def load_data(
    name: str, samples: int, noise: float | None, seed: int, header: str = "auto"
) -> tuple[np.ndarray, np.ndarray, str, str | None]:
    """A data set by name (or a CSV file): (X, y, its name, the CSV header decision or None).

    Example:
        >>> X, y, key, note = load_data("xor", 100, None, 0); X.shape, key, note
        ((4, 2), 'xor', None)
    """
    from nn import data

    key = name.strip().lower()
    if key == "moons":
        X, y = data.make_moons(samples, noise=0.1 if noise is None else noise, seed=seed)
    elif key == "circles":
        X, y = data.make_circles(samples, noise=0.05 if noise is None else noise, factor=0.5, seed=seed)
    elif key == "xor":
        X, y = data.make_xor()
    elif key == "spirals":
        X, y = data.make_spirals(samples, classes=3, noise=0.2 if noise is None else noise, seed=seed)
    elif key == "blobs":
        X, y = data.make_blobs(samples, centers=3, std=1.0 if noise is None else noise, seed=seed)
    elif key == "digits":
        X, y = data.load_digits()
    elif key.endswith(".csv") or Path(name).exists():
        table = read_table(name, header)
        return table.X, table.y, Path(name).name, table.header_note
    else:
        raise CliError(f"unknown data set {excerpt(name[:60])}: choose {', '.join(DATASETS)} or a .csv file")
    return X, y, key, None


def planned_size(name: str, samples: int) -> tuple[int, int, int] | None:
    """(samples, features, outputs) of a named data set before it is made; None for a CSV file.

    Example:
        >>> planned_size("moons", 200), planned_size("digits", 5), planned_size("my.csv", 5)
        ((200, 2, 1), (1797, 64, 10), None)
    """
    key = name.strip().lower()
    sizes = {"xor": (4, 2, 1), "digits": (1797, 64, 10), "spirals": (samples, 2, 3), "blobs": (samples, 2, 3)}
    if key in sizes:
        return sizes[key]
    return (samples, 2, 1) if key in DATASETS else None


def default_loss(k: int | None) -> str:
    """The default loss: BCE with logits for 2 classes, cross_entropy for more, mse for regression.

    Example:
        >>> default_loss(2), default_loss(10), default_loss(None)
        ('binary_cross_entropy_with_logits', 'cross_entropy', 'mse')
    """
    if k is None:
        return "mse"
    return "binary_cross_entropy_with_logits" if k <= 2 else "cross_entropy"


def _output_layer(loss: str, k: int | None) -> tuple[int, str]:
    """(output width, output activation) for a canonical loss name and k classes (None: regression)."""
    if loss in ("cross_entropy", "categorical_cross_entropy"):
        if k is None or k < 2:
            raise CliError(f"--loss {loss} needs class labels (2 or more classes)")
        return k, "softmax" if loss == "categorical_cross_entropy" else "linear"
    if loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge"):
        if k is None or k > 2:
            raise CliError(f"--loss {loss} is for two classes; this data has {k or 'non-integer'} labels")
        return 1, "sigmoid" if loss == "binary_cross_entropy" else "linear"
    return 1, "linear"  # mse / mae / sse: one output (regression, or labels as numbers)


def _quiet_skip(what: str, err: Exception) -> str:
    return f"skipped {what}: {_one_line(str(err))}"


def _pictures(
    out: Path,
    model: Any,
    history: Any,
    X: np.ndarray,
    y: np.ndarray,
    loss: str,
    log: bool,
    title: str,
    classes: bool = True,
    held_out: str = "validation",
) -> tuple[list[Path], list[str]]:
    """loss.png, boundary.png (2-D data), neuron.svg and neuron-steps/ into ``out``: (written, notes)."""
    from nn.train import _prepare_targets, predict

    from .dataset import sample_losses
    from .graph import GraphvizNotFoundError
    from .neuron import MAX_INPUTS, neuron_view
    from .plots import PlotDependencyError, decision_boundary, loss_curve

    written: list[Path] = []
    notes: list[str] = []
    try:
        loss_curve(history, out / "loss.png", log=log, title=title, held_out=held_out)
        written.append(out / "loss.png")
        if classes and X.shape[1] == 2 and model.nin == 2:
            decision_boundary(model, X, y, out / "boundary.png")
            written.append(out / "boundary.png")
    except PlotDependencyError as err:
        notes.append(_quiet_skip("loss.png and boundary.png", err))
    if model.nin > MAX_INPUTS:
        notes.append(f"skipped neuron.svg: a first-layer neuron has {model.nin} inputs, too many to draw")
        return written, notes
    # The sample with the largest loss (it still teaches the network something) and its busiest neuron.
    t = _prepare_targets(y, loss, len(y), "train")
    raw = predict(model, X)
    per_sample = sample_losses(loss, raw, t)  # every loss of nn.losses; None only for others
    i = 0 if per_sample is None else int(np.argmax(per_sample))
    view = neuron_view(model, X[i], y[i], loss=loss)
    try:
        view.render(out / "neuron.svg")
        written.append(out / "neuron.svg")
        written.append(view.render_steps(out / "neuron-steps"))
    except GraphvizNotFoundError as err:
        notes.append(_quiet_skip("neuron.svg and neuron-steps/", err))
    notes.append(
        f"neuron.svg: neuron {view.name} on sample {i} (x = {', '.join(f'{v:.3g}' for v in X[i])}, "
        f"label {y[i]:g}), loss L = {view.loss.data:.4g}, dL/da = {view.a.grad:.4g}"
    )
    return written, notes


def _prepare_out(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"cannot create the folder {excerpt_path(path, quote=True)}: {err.strerror or err}") from None
    return out


# --- backprop train ------------------------------------------------------------------------------

TRAIN_EPILOG = """\
examples:
  backprop train --data moons --hidden 16,16 --epochs 100 --out runs/moons
  backprop train --data spirals --hidden 32,32 --optimizer adam --lr 0.01 --epochs 300
  backprop train --data my.csv --hidden 8 --loss hinge --out runs/mine
  backprop train --data digits --model cnn     (conv blocks; writes filters.png, receptive_field.png)

Data: moons, circles, xor, spirals (3 classes), blobs (3 classes), digits (8x8 images, needs
scikit-learn's data file), or a CSV file of numbers: the features, then the label in the last
column (a header line is optional). Labels that are whole numbers are classes; others make a
regression (mse). The default loss is binary_cross_entropy_with_logits for two classes and
cross_entropy for more. A fifth of the data (--test-size) is held out for the test accuracy.

Writes to --out: model.json (load with nn.MLP.load), history.json, loss.png, gradients.png
(each layer's gradient norm per epoch), boundary.png (2-D data), neuron.svg (one first-layer
neuron on the sample with the largest loss, every gradient real) and neuron-steps/index.html
(that neuron's backward pass, step by step).
"""


def _train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="moons", help=f"{', '.join(DATASETS)} or a .csv file (default moons)")
    p.add_argument("--samples", type=_positive_int, default=200, help="points of a generated data set (default 200)")
    p.add_argument("--noise", type=_number(0.0), default=None, help="noise of a generated data set")
    p.add_argument(
        "--hidden", default=None, help="hidden layer widths, e.g. 16,16 (default; cnn: none); 'none' for none"
    )
    p.add_argument("--activation", default="relu", help="hidden activation: relu, tanh, sigmoid, ... (default relu)")
    p.add_argument("--loss", default="auto", help="a loss name from nn.losses (default: by data set)")
    p.add_argument("--optimizer", default="adam", choices=("sgd", "adam", "rmsprop"), help="(default adam)")
    p.add_argument("--lr", type=_number(0.0, low_open=True), default=None, help="learning rate (default 0.01)")
    p.add_argument("--epochs", type=_positive_int, default=None, help="passes over the data (default 100; cnn: 15)")
    p.add_argument("--batch-size", type=_batch_size, default=32, help="samples per step, or 'full' (default 32)")
    p.add_argument("--alpha", type=_number(0.0), default=0.0, help="L2 penalty on the weights (default 0)")
    p.add_argument(
        "--test-size", type=_number(0.0, 0.9), default=None, help="held-out fraction (default 0.2; cnn: 0.25)"
    )
    p.add_argument("--standardize", action="store_true", help="scale every feature to mean 0, std 1")
    p.add_argument("--seed", type=int, default=0, help="seeds the data, the weights and the shuffles (default 0)")
    p.add_argument("--out", default=None, help="folder to write (default runs/DATA)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--task",
        default="auto",
        choices=("auto", "classification", "regression"),
        help="what to learn (default: by --loss, else by the labels: whole numbers or text are classes)",
    )
    p.add_argument(
        "--header", default="auto", choices=("auto", "yes", "no"), help="is a CSV file's first row a header (auto)"
    )
    p.add_argument(
        "--max-memory",
        type=_size,
        default=None,
        metavar="SIZE",
        help="refuse a run estimated to need more (e.g. 2G; default 80%% of the memory available)",
    )
    cli_cnn.add_arguments(p)


def _accuracy_line(model: Any, X: np.ndarray, y: np.ndarray, loss: str, metrics: Any = "auto") -> dict[str, float]:
    from nn.train import evaluate

    return evaluate(model, X, y, loss=loss, metrics=metrics)


def _metric_text(name: str, value: float) -> str:
    if name == "accuracy":
        return f"accuracy {value:.1%}"
    return f"{'R²' if name == 'r2' else name} {value:.4g}"


def cmd_train(args: argparse.Namespace) -> int:
    """Train an MLP on a data set, print a summary and write the model, history and pictures.

    Example:
        >>> import os, tempfile
        >>> out = tempfile.mkdtemp()
        >>> main(["train", "--data", "xor", "--hidden", "4", "--epochs", "2", "--test-size", "0",
        ...       "--out", out, "--no-progress"])  # doctest: +ELLIPSIS
        data: xor (4 samples, 2 features, 2 classes); 4 train / 0 test
        task: classification, 2 classes (auto: whole-number labels; ...)
        MLP: 2 -> 4 -> 1
        ...
        wrote ...model.json
        ...
        0
    """
    import json

    from nn import MLP
    from nn import activations as acts
    from nn import losses as _losses
    from nn.data import standardize, train_test_split
    from nn.train import check_scale

    from .dataset import MAX_PICTURE_CLASSES, check_memory, decide_task, estimate_memory
    from .plots import PlotDependencyError, gradient_norms

    if args.model == "cnn":
        return cli_cnn.cmd_train_cnn(args)
    hidden = parse_hidden(args.hidden if args.hidden is not None else "16,16")
    args.epochs = 100 if args.epochs is None else args.epochs
    args.test_size = 0.2 if args.test_size is None else args.test_size
    acts.canonical_name(args.activation)
    loss_arg = "auto" if args.loss == "auto" else _losses.canonical_name(args.loss)
    planned = planned_size(args.data, args.samples)
    if planned is not None:  # before a generated data set is made
        n, d, nout = planned
        check_memory(estimate_memory(n, d, [*hidden, nout], args.batch_size), args.max_memory)
    X, y, key, header_note = load_data(args.data, args.samples, args.noise, args.seed, args.header)
    task = decide_task(y, loss_arg, args.task)
    k = task.k
    if task.codes is not None:
        y = task.codes
    loss = default_loss(k) if loss_arg == "auto" else loss_arg
    nout, out_act = _output_layer(loss, k)
    check_memory(estimate_memory(len(X), X.shape[1], [*hidden, nout], args.batch_size), args.max_memory)
    mean = std = None
    if args.standardize:
        X, mean, std = standardize(X)
    check_scale(X, "a feature", key)
    if k is None:
        check_scale(y, "the targets", key)
    about = f"{key} ({len(X)} samples, {X.shape[1]} features, {f'{k} classes' if k else 'regression'})"
    if args.test_size > 0 and len(X) >= 10:  # (xor's 4 points are all needed for training)
        stratify = k is not None and int(np.min(np.bincount(y))) >= 2
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=args.test_size, seed=args.seed, stratify=stratify)
    else:
        Xtr, Xte, ytr, yte = X, X[:0], y, y[:0]
    out = _prepare_out(args.out or os.path.join("runs", Path(args.data).stem))
    model = MLP(X.shape[1], [*hidden, nout], activation=args.activation, output_activation=out_act, seed=args.seed)
    lr = args.lr if args.lr is not None else 0.01
    print(f"data: {about}; {len(Xtr)} train / {len(Xte)} test")
    if header_note:
        print(header_note)
    print(task.describe())
    print(model.summary())
    batch = args.batch_size or "full"
    print(f"loss {loss}, optimizer {args.optimizer} (lr {lr:g}), {args.epochs} epochs, batch size {batch}")
    start = time.perf_counter()
    history = cli_train.fit_run(model, (Xtr, ytr), (Xte, yte), args, loss=loss, lr=lr, epochs=args.epochs)
    seconds = time.perf_counter() - start
    # one training loss: the model's, on the training set after training (below); the per-epoch
    # means (with the L2 term) are in history.json and loss.png
    print(f"trained {history.epochs} epochs in {seconds:.2f} s")
    metrics = "auto" if k is not None else ("mse", "r2")
    results = [("train", _accuracy_line(model, Xtr, ytr, loss, metrics))]
    if len(Xte):
        results.append(("test", _accuracy_line(model, Xte, yte, loss, metrics)))
    for name, r in results:
        shown = ", ".join(_metric_text(m, v) for m, v in r.items())
        print(f"{name}: {shown}")
    cli_train.save_model(out / "model.json", model, task, loss, mean, std)
    (out / "history.json").write_text(json.dumps(history.to_dict(), indent=1) + "\n", encoding="utf-8")
    written = [out / "model.json", out / "history.json"]
    title = f"training loss ({loss})"
    drawable = k is not None and k <= MAX_PICTURE_CLASSES
    pictures, notes = _pictures(
        out, model, history, Xtr, ytr, loss, log=False, title=title, classes=drawable, held_out="test"
    )
    if k is not None and not drawable and X.shape[1] == 2:
        notes.insert(0, f"skipped boundary.png: {k} classes are more than the {MAX_PICTURE_CLASSES} it can tell apart")
    try:
        gradient_norms(history, out / "gradients.png")  # fit records the norms every epoch
        pictures.insert(1, out / "gradients.png")
    except PlotDependencyError:
        pass  # already said in the notes
    for note in notes:
        print(note)
    for path in [*written, *pictures]:
        print(f"wrote {path}")
    return 0


# --- backprop demo -------------------------------------------------------------------------------

DEMO_EPILOG = """\
example:
  backprop demo                    (writes ./backprop-demo/)
  backprop demo --out /tmp/demo

micrograd's demo: 100 points of make_moons(noise=0.1), MLP(2, [16, 16, 1]) (relu hidden, linear
output), hinge loss + 1e-4 L2 on the weights, SGD with micrograd's learning rate 1.0 - 0.9 k/100,
100 full-batch steps (the whole batch is one graph of lanes). Then the pictures: one neuron's
graph with real numbers (neuron.svg), its backward pass step by step (neuron-steps/index.html),
the loss curve (loss.png) and the decision boundary (boundary.png).
"""


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="backprop-demo", help="folder to write (default ./backprop-demo)")
    p.add_argument("--seed", type=int, default=0, help="seeds the data and the weights (default 0)")
    p.add_argument("--epochs", type=_positive_int, default=100, help="training steps (default 100, as micrograd)")


def cmd_demo(args: argparse.Namespace) -> int:
    """Train micrograd's moons demo on lanes, print the summary and write the pictures.

    Example:
        >>> import tempfile
        >>> main(["demo", "--out", tempfile.mkdtemp(), "--epochs", "3"])  # doctest: +ELLIPSIS
        micrograd's moons demo: ...
        0
    """
    import json

    from nn import MLP, fit, make_moons
    from nn.train import evaluate

    out = _prepare_out(args.out)
    start = time.perf_counter()
    X, y = make_moons(100, noise=0.1, seed=args.seed)
    model = MLP(2, [16, 16, 1], seed=args.seed)
    print("micrograd's moons demo: 100 points, hinge loss + 1e-4 L2, SGD lr 1.0 - 0.9 k/100, full batch on lanes")
    print(model.summary())
    history = fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer="sgd",
        lr=1.0,
        epochs=args.epochs,
        batch_size=None,
        alpha=1e-4,
        schedule="linear",
        schedule_options={"total_iters": 100},
        progress=False,
        seed=args.seed,
    )
    seconds = time.perf_counter() - start
    result = evaluate(model, X, y, loss="hinge")
    print(
        f"trained {history.epochs} steps in {seconds:.2f} s: loss {history.loss[-1]:.4f} "
        f"(hinge {result['loss']:.4f} + L2), accuracy {result['accuracy']:.0%}"
    )
    model.save(out / "model.json")
    (out / "history.json").write_text(json.dumps(history.to_dict(), indent=1) + "\n", encoding="utf-8")
    pictures, notes = _pictures(out, model, history, X, y, "hinge", log=True, title="moons demo: hinge loss + 1e-4 L2")
    for note in notes:
        print(note)
    for path in [*pictures, out / "model.json", out / "history.json"]:
        print(f"wrote {path}")
    page = out / "neuron-steps" / "index.html"
    look = next((p for p in (page, out / "boundary.png", out / "loss.png") if p in pictures), None)
    # point only at a picture this run wrote (without dot there is no step-by-step page)
    print(
        f"done in {time.perf_counter() - start:.1f} s"
        + (f"; open {look}" if look else "")
        + (" in a browser" if look == page else "")
    )
    return 0


# --- backprop check ------------------------------------------------------------------------------

CHECK_EPILOG = """\
examples:
  backprop check
  backprop check --quick --seed 3
  backprop check --backprop my_backprop.py:backprop --losses sse,bce

For random small MLPs, every hidden activation and every loss (with the output layer it
belongs with), the engine's gradients of all weights and biases are compared with the NumPy
reference backprop (nn.reference: the seeds' dZ, dW, db formulas) and with central finite
differences (autograd_core.numerical_grad). Exit status 0 when every row passes, 1 otherwise.

With --backprop FILE.py:FUNCTION, your own backprop is checked instead (check_backprop from
autograd_core.testing; needs hypothesis): FUNCTION(Ws, bs, activations, X, Y, loss) returns
(dWs, dbs) in the tutorials' notation (X: one column per sample, W_l: n_l x n_(l-1),
dW = dZ A^T / m, db: n_l x 1); --tol is then its relative tolerance. Exit status 1 on a
wrong gradient (the smallest failing case is printed), 2 on a bad argument or a file that
does not import.
"""

CHECK_LOSSES: dict[str, tuple[int, str, str]] = {
    # loss -> (outputs, output activation, kind of target)
    "mse": (2, "linear", "real"),
    "sse": (2, "linear", "real"),
    "mae": (2, "linear", "real"),
    "binary_cross_entropy": (1, "sigmoid", "binary"),
    "binary_cross_entropy_with_logits": (1, "linear", "binary"),
    "cross_entropy": (3, "linear", "classes"),
    "categorical_cross_entropy": (3, "softmax", "classes"),
    "hinge": (1, "linear", "signs"),
}
REFERENCE_TOL = 1e-9  # the NumPy reference computes the same formulas: rounding differences only
CHECK_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu")


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seeds the random models and data (default 0)")
    p.add_argument("--quick", action="store_true", help="one model per row instead of three")
    p.add_argument(
        "--tol",
        type=_number(0.0, low_open=True),
        default=1e-6,
        help="relative tolerance against finite differences (default 1e-6; the reference must agree to 1e-9)",
    )
    cli_check.add_arguments(p)


def _targets(kind: str, k: int, m: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "real":
        return rng.normal(size=(m, k))
    if kind == "binary":
        return rng.integers(0, 2, size=m).astype(np.float64)
    if kind == "signs":
        return rng.choice([-1.0, 1.0], size=m)
    return rng.integers(0, k, size=m)


def _swap(model: Any, values: Sequence[Any]) -> list[Any]:
    """Put ``values`` in place of the model's parameter Values; return the old ones."""
    old = []
    it = iter(values)
    for layer in model.layers:
        for n in layer.neurons:
            old.extend([*n.w, n.b])
            n.w = [next(it) for _ in n.w]
            n.b = next(it)
    return old


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0


def check_case(activation: str, loss: str, seed: int) -> tuple[float, float]:
    """Max relative gradient error of the engine vs the NumPy reference and vs finite differences.

    One random MLP (3 inputs, hidden layers 4 and 3, then the loss's output layer) on 5 random
    samples as lanes.

    Example:
        >>> ref, fd = check_case("tanh", "mse", 0)
        >>> ref < 1e-12, fd < 1e-6
        (True, True)
    """
    from autograd_core import numerical_grad
    from nn import MLP, reference
    from nn import losses as _losses

    rng = np.random.default_rng(seed)
    k, out_act, kind = CHECK_LOSSES[loss]
    model = MLP(3, [4, 3, k], activation=activation, output_activation=out_act, init="xavier_normal", seed=rng)
    for p in model.parameters():  # non-zero biases, so every part of the formulas is exercised
        p.data += 0.1 * float(rng.normal())
    X = rng.normal(size=(5, 3))
    t = _targets(kind, k, 5, rng)
    loss_fn = _losses.get(loss)
    model.zero_grad()
    loss_fn(model(X), t).backward()
    engine = grads_array(model.parameters())
    _, dWs, dbs = reference.gradients(model, X, t, loss=loss)
    ref = np.concatenate([np.column_stack([dW, db]).ravel() for dW, db in zip(dWs, dbs, strict=True)])

    def f(*params: Any) -> Any:
        old = _swap(model, params)
        try:
            return loss_fn(model(X), t)
        finally:
            _swap(model, old)

    numeric = np.array(numerical_grad(f, *[p.data for p in model.parameters()], eps=1e-6), dtype=np.float64)
    return _rel_err(engine, ref), _rel_err(engine, numeric)


def cmd_check(args: argparse.Namespace) -> int:
    """Cross-check the engine's gradients against the NumPy reference and finite differences.

    Example:
        >>> main(["check", "--quick"])  # doctest: +ELLIPSIS
        activation  loss ...
        all 56 rows pass ...
        0
    """
    if args.backprop is not None:  # the user's own backprop instead of the engine's
        return cli_check.command(args)
    models = 1 if args.quick else 3
    fd_tol, ref_tol = args.tol, REFERENCE_TOL
    head = f"{'activation':<11} {'loss':<34} {'models':>6} {'vs reference':>13} {'vs finite diff':>15}  result"
    print(head)
    print("-" * len(head))
    failures = 0
    rows = 0
    for activation in CHECK_ACTIVATIONS:
        for loss in CHECK_LOSSES:
            ref_err = fd_err = 0.0
            for m in range(models):
                r, f = check_case(activation, loss, args.seed * 1000 + m)
                ref_err, fd_err = max(ref_err, r), max(fd_err, f)
            ok = ref_err <= ref_tol and fd_err <= fd_tol
            failures += not ok
            rows += 1
            print(
                f"{activation:<11} {loss:<34} {models:>6} {ref_err:>13.1e} {fd_err:>15.1e}  {'pass' if ok else 'FAIL'}"
            )
    print("-" * len(head))
    if failures:
        print(f"{failures} of {rows} rows FAIL (tolerances: reference {ref_tol:g}, finite differences {fd_tol:g})")
        return 1
    print(
        f"all {rows} rows pass (relative error at most {ref_tol:g} vs the reference, {fd_tol:g} vs finite differences)"
    )
    return 0


COMMANDS: list[Command] = [
    Command(
        "graph",
        "draw the computational graph of an expression, with its gradients",
        GRAPH_EPILOG,
        _graph_arguments,
        cmd_graph,
    ),
    Command(
        "train",
        "train an MLP on a data set; write the model, the history and pictures",
        TRAIN_EPILOG,
        _train_arguments,
        cmd_train,
    ),
    Command(
        "demo",
        "micrograd's moons demo in seconds: train, report, draw one neuron's backprop",
        DEMO_EPILOG,
        _demo_arguments,
        cmd_demo,
    ),
    Command(
        "check",
        "cross-check the engine's gradients with the NumPy reference and finite differences",
        CHECK_EPILOG,
        _check_arguments,
        cmd_check,
    ),
    Command("bench", bench.HELP, bench.EPILOG, bench.add_arguments, bench.command),
    Command("export", cli_export.HELP, cli_export.EPILOG, cli_export._export_arguments, cli_export.cmd_export),
    Command("predict", cli_predict.HELP, cli_predict.EPILOG, cli_predict._predict_arguments, cli_predict.cmd_predict),
]


# --- the program ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with every registered subcommand.

    Example:
        >>> build_parser().parse_args(["graph", "x*2", "x=1"]).values
        ['x=1']
    """
    parser = _Parser(
        prog=PROG,
        description="Pictures and checks of reverse-mode automatic differentiation (autograd-core).",
        epilog=(
            "examples:\n"
            '  backprop graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg\n'
            "  backprop demo                       (train micrograd's moons demo, write ./backprop-demo/)\n"
            "  backprop train --data moons --hidden 16,16 --epochs 100 --out runs/moons\n"
            "  backprop check --quick\n"
            "Each command has --help with more examples."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} (autograd-core) {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in COMMANDS:
        sub = subs.add_parser(
            cmd.name,
            help=cmd.help,
            description=cmd.help[0].upper() + cmd.help[1:] + ".",
            epilog=cmd.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.arguments(sub)
        sub.set_defaults(run=cmd.run)
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _nul_argument(args: argparse.Namespace) -> str | None:
    """The first argument holding a NUL byte, named as on the command line ('--out', 'EXPR'), or None."""
    for key, value in vars(args).items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in items):
            return f"--{key.replace('_', '-')}" if key not in ("expr", "values", "model") else key.upper()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``backprop`` command; return the exit status (0 ok, 2 bad input, 1 internal error).

    Example:
        >>> main(["graph", "x*", "x=1"])
        2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as err:
        print(f"{PROG}: error: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    nul = _nul_argument(args)
    if nul:  # no file name, expression or label can hold one: refuse it before any work
        print(f"{PROG}: error: {nul} contains a NUL byte", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "run", None) is None:
        names = ", ".join(cmd.name for cmd in COMMANDS)
        print(f"{PROG}: error: a command is required: {names} (see '{PROG} --help')", file=sys.stderr)
        return EXIT_USAGE
    try:
        # NumPy's floating-point warnings never reach a user: overflow and NaN are checked
        # explicitly where they matter (training raises DivergenceError, data is range-checked).
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return args.run(args)
    except BrokenPipeError:  # `backprop check | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (AutogradError, OSError) as err:
        print(f"{PROG}: error: {_one_line(str(err)) or type(err).__name__}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(
            f"{PROG}: error: out of memory; use fewer samples, smaller --hidden layers or a smaller --batch-size",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("BACKPROP_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(err).__name__}: {_one_line(str(err))[:300]} "
            "(set BACKPROP_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
