"""``backprop train --model cnn``: a small convolutional network of scalar nodes on images.

The images are the 8x8 digits (``--data digits``) or a CSV file whose rows are square
single-channel images (64 features: 8x8, 256: 16x16, ...). The network is ``--filters`` blocks
of ``Conv2d(3x3, padding 1) -> activation -> MaxPool2d(2)``, then ``Flatten``, the ``--hidden``
dense layers (none by default) and one dense output per class, trained with softmax
cross-entropy and Adam on a cosine learning-rate schedule. Every output pixel of every
convolution is one node (``autograd_core.conv``), one matrix product per layer on lanes.

Example:
    >>> model = build_cnn((1, 8, 8), [4, 8], [], 10, seed=0)
    >>> [layer.describe() for layer in model.layers[:4]]
    ['Conv2d(1, 4, 3, padding=1)', 'relu', 'MaxPool2d(2)', 'Conv2d(4, 8, 3, padding=1)']
    >>> model.output_shape
    (10,)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core import AutogradError
from autograd_core.errors import excerpt

CNN_EPOCHS = 15  # what --model cnn trains when --epochs is not given
CNN_TEST_SIZE = 0.25  # the held-out fraction of --model cnn when --test-size is not given
CNN_LR = 0.01
MAX_FILTERS = 256  # per block: a larger number is a typo, not a small CNN

MODEL_HELP = "mlp (default) or cnn: conv blocks on square images such as the 8x8 digits (see --filters)"
FILTERS_HELP = "cnn: filters of each conv block (3x3 conv, padding 1, activation, 2x2 max pool), default 16,32"


class CnnError(AutogradError, ValueError):
    """A CNN run that cannot work with these options or this data (names what and why)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options ``backprop train`` gains for CNNs: ``--model`` and ``--filters``.

    Example:
        >>> p = argparse.ArgumentParser(); add_arguments(p)
        >>> p.parse_args(["--model", "cnn"]).filters
        '16,32'
    """
    p.add_argument("--model", default="mlp", choices=("mlp", "cnn"), help=MODEL_HELP)
    p.add_argument("--filters", default="16,32", help=FILTERS_HELP)


def parse_filters(text: str) -> list[int]:
    """``"8,16"`` -> ``[8, 16]``: one conv block per number (1 to MAX_FILTERS filters each).

    Example:
        >>> parse_filters("8, 16"), parse_filters("4")
        ([8, 16], [4])
    """
    parts = [part.strip() for part in str(text).split(",")]
    if not parts or any(not part.isdigit() for part in parts):
        raise CnnError(f"--filters must be numbers of filters separated by commas, e.g. 8,16; got {excerpt(text)}")
    counts = [int(part) for part in parts]
    if any(not 1 <= c <= MAX_FILTERS for c in counts):
        raise CnnError(f"--filters: every block needs 1 to {MAX_FILTERS} filters, got {excerpt(text)}")
    return counts


def image_shape(n_features: int, name: str) -> tuple[int, int, int]:
    """(1, s, s) for s·s features: the images a CNN run can read (row by row, as the digits are).

    Example:
        >>> image_shape(64, "digits")
        (1, 8, 8)
    """
    side = math.isqrt(n_features)
    if side * side != n_features or side < 2:
        raise CnnError(
            f"--model cnn needs square images, one per row (64 features for 8x8, 256 for 16x16); "
            f"{name} has {n_features} features per sample"
        )
    return (1, side, side)


def build_cnn(
    shape: tuple[int, int, int],
    filters: Sequence[int],
    hidden: Sequence[int],
    classes: int,
    activation: str = "relu",
    seed: int | None = 0,
) -> Any:
    """The run's network: per entry of ``filters`` a conv block, then Flatten, dense layers, the output.

    A block is ``Conv2d(3x3, padding=1) -> activation -> MaxPool2d(2)``; the pooling is left out
    once the image is a single pixel. The output layer is linear (the loss applies the softmax).

    Example:
        >>> print(build_cnn((1, 8, 8), [8], [], 10).summary().splitlines()[0])
        Sequential: (1, 8, 8) -> (10,)
    """
    from nn import Conv2d, Flatten, Layer, MaxPool2d, Sequential

    layers: list[Any] = []
    channels, height, width = shape
    for count in filters:
        layers += [Conv2d(channels, count, 3, padding=1), activation]
        channels = count
        if height >= 2 and width >= 2:
            layers.append(MaxPool2d(2))
            height, width = height // 2, width // 2
    layers.append(Flatten())
    width_in = channels * height * width
    for h in hidden:
        layers.append(Layer(width_in, h, activation))
        width_in = h
    layers.append(Layer(width_in, classes, "linear"))
    return Sequential(*layers, input_shape=shape, seed=seed)


def estimate_memory(model: Any, n_samples: int, batch_size: int | None) -> int:
    """Bytes a CNN run needs (an upper estimate), with the per-node costs of ``viz.dataset``.

    Every layer's outputs are nodes (a Flatten adds none); a convolution also keeps its im2col
    matrix (C·kh·kw numbers per output pixel and sample) and its gradient during backward.

    Example:
        >>> model = build_cnn((1, 8, 8), [8, 16], [], 10)
        >>> round(estimate_memory(model, 1797, 32) / 2**20, 1)  # MiB
        136.0
    """
    from nn import Conv2d, Flatten

    from . import dataset

    nodes = im2col = 0
    for layer, out_shape in zip(model.layers, model._shapes):
        if isinstance(layer, Flatten):
            continue
        size = math.prod(out_shape)
        nodes += size
        if isinstance(layer, Conv2d):
            kh, kw = layer.kernel_size
            im2col += layer.in_channels * kh * kw * (size // layer.out_channels)
    params = len(model.parameters())
    batch = n_samples if batch_size is None else min(batch_size, n_samples)
    features = model.nin
    return (
        dataset.BYTES_PER_PARAMETER * params
        + batch * (dataset.BYTES_PER_BATCH_UNIT * nodes + 16 * im2col)
        + n_samples * (dataset.BYTES_PER_EVAL_UNIT * nodes + 8 * im2col)
        + dataset.BYTES_PER_NUMBER * n_samples * (features + 1)
    )


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run NumPy's matrix products on one thread (when threadpoolctl is installed).

    A layer's products are small; on a busy machine BLAS threads waiting for each other cost
    several times the product itself.

    Example:
        >>> with one_blas_thread():
        ...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
        4.0
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def cmd_train_cnn(args: argparse.Namespace) -> int:
    """``backprop train --model cnn``: train, print what was built, the accuracy and the time; write files.

    Example:
        >>> import tempfile
        >>> from viz.cli import main
        >>> main(["train", "--model", "cnn", "--data", "xor", "--out", tempfile.mkdtemp()])
        2
    """
    from nn import activations as acts
    from nn import losses as _losses
    from nn.data import train_test_split

    from . import cli, cli_train
    from .dataset import check_memory, decide_task

    filters = parse_filters(args.filters)
    hidden = cli.parse_hidden(args.hidden) if args.hidden is not None else []
    acts.canonical_name(args.activation)
    loss = "cross_entropy" if args.loss == "auto" else _losses.canonical_name(args.loss)
    if loss != "cross_entropy":
        raise CnnError(f"--model cnn trains with --loss cross_entropy (softmax over the classes), not {loss}")
    epochs = args.epochs if args.epochs is not None else CNN_EPOCHS
    test_size = args.test_size if args.test_size is not None else CNN_TEST_SIZE
    lr = args.lr if args.lr is not None else CNN_LR
    planned = cli.planned_size(args.data, args.samples)
    if planned is not None:  # a named data set: check its images and the memory before loading it
        n, d, k = planned
        shape = image_shape(d, args.data)
        check_memory(estimate_memory(build_cnn(shape, filters, hidden, max(k, 2)), n, args.batch_size), args.max_memory)
    X, y, key, header_note = cli.load_data(args.data, args.samples, args.noise, args.seed, args.header)
    shape = image_shape(X.shape[1], key)
    task = decide_task(y, "cross_entropy", "classification" if args.task == "auto" else args.task)
    if task.kind != "classification":
        raise CnnError("--model cnn is for classification (class labels in the last column), not --task regression")
    y, k = task.codes, task.k
    model = build_cnn(shape, filters, hidden, k, args.activation, args.seed)
    check_memory(estimate_memory(model, len(X), args.batch_size), args.max_memory)
    mean = std = None
    if args.standardize:
        from nn.data import standardize

        X, mean, std = standardize(X)
    stratify = int(np.min(np.bincount(y))) >= 2
    if test_size > 0:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, seed=args.seed, stratify=stratify)
    else:
        Xtr, Xte, ytr, yte = X, X[:0], y, y[:0]
    out = cli._prepare_out(args.out or os.path.join("runs", Path(args.data).stem + "-cnn"))
    C, H, W = shape
    print(f"data: {key} ({len(X)} samples as {C}x{H}x{W} images, {k} classes); {len(Xtr)} train / {len(Xte)} test")
    if header_note:
        print(header_note)
    print(model.summary())
    batch = args.batch_size or "full"
    print(f"loss {loss}, optimizer {args.optimizer} (lr {lr:g}, cosine schedule), {epochs} epochs, batch size {batch}")
    start, cpu = time.perf_counter(), time.process_time()
    with one_blas_thread():
        history = cli_train.fit_run(
            model,
            (Xtr, ytr),
            (Xte, yte),
            args,
            loss=loss,
            lr=lr,
            epochs=epochs,
            schedule="cosine",
            schedule_options={"T_max": epochs},
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        results = [("train", cli._accuracy_line(model, Xtr, ytr, loss))]
        if len(Xte):
            results.append(("test", cli._accuracy_line(model, Xte, yte, loss)))
    print(f"trained in {seconds:.1f} s ({cpu:.1f} s of CPU): final training loss {history.loss[-1]:.4g}")
    for name, r in results:
        print(f"{name}: accuracy {r['accuracy']:.1%}, loss {r['loss']:.4g}")
    cli_train.save_model(out / "model.json", model, task, loss, mean, std)  # what backprop predict reads
    record = history.to_dict()
    record["seconds_total"], record["cpu_seconds"] = seconds, cpu
    (out / "history.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    written = [out / "model.json", out / "history.json"]
    notes: list[str] = []
    written += _pictures(out, model, history, Xtr, ytr, shape, notes)
    for note in notes:
        print(note)
    for path in written:
        print(f"wrote {path}")
    return 0


def _pictures(
    out: Path, model: Any, history: Any, X: np.ndarray, y: np.ndarray, shape: Any, notes: list[str]
) -> list[Path]:
    """loss.png, filters.png, receptive_field.png and .svg into ``out``; a missing tool is a note."""
    from .conv_view import filter_grid, filter_neuron
    from .graph import GraphvizNotFoundError, render
    from .plots import PlotDependencyError, loss_curve

    written = []
    view = filter_neuron(model, X[0], int(y[0]))  # the first training image; the pixel with the largest |dL/dz|
    try:
        loss_curve(history, out / "loss.png", title="training loss (cross_entropy)")
        filter_grid(model, path=out / "filters.png")
        view.figure(out / "receptive_field.png")
        written += [out / "loss.png", out / "filters.png", out / "receptive_field.png"]
    except PlotDependencyError as err:
        notes.append(f"skipped loss.png, filters.png and receptive_field.png: {err}")
    try:
        written.append(render(_subgraph(view), out / "receptive_field.svg"))
    except GraphvizNotFoundError as err:
        notes.append(f"skipped receptive_field.svg: {err}")
    notes.append(
        f"receptive_field: {view.name} on training image 0 (label {view.label}) sees the image's rows "
        f"{_span(view.field.any(axis=1))} and columns {_span(view.field.any(axis=0))}; "
        f"z = {float(view.node.data):.4g}, dL/dz = {float(view.node.grad):.4g}"
    )
    return written


def _subgraph(view: Any) -> Any:
    from .graph import subgraph_of

    return subgraph_of(view.node, depth=1)


def _span(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    return f"{idx[0]}-{idx[-1]}" if len(idx) else "none"
