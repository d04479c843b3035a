"""The CNN rows of ``backprop bench``: one training epoch of ``backprop train --model cnn``'s network.

The same network (``viz.cli_cnn.build_cnn``: two blocks of 3x3 conv, relu, 2x2 max pool, then
a dense output; 16 and 32 filters) trains one epoch on the digits (Adam, lr 0.01, batches of
32, float64) in three engines, interleaved round by round in one process:

- ours: ``nn.fit`` on lanes (every output pixel one node, one matrix product per layer);
- PyTorch: ``torch.nn`` with the same layers and weights, when torch is importable;
- scikit-learn: ``MLPClassifier`` (64-32-10, no convolution: the estimator users compare
  with) for one epoch with the same optimizer settings.

Before anything is timed, our loss and PyTorch's from the same weights must agree (1e-9).

Example:
    >>> from viz.bench import BenchResult, settings_for
    >>> result = BenchResult()
    >>> bench_cnn(result, settings_for(quick=True), 0, lambda msg: None)  # doctest: +SKIP
    >>> [r.name for r in result.rows][:1]  # doctest: +SKIP
    ['cnn epoch (16-32 filters): ours vs PyTorch']
"""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_core import no_grad

FILTERS = (16, 32)  # backprop train --model cnn's default network
LR = 0.01
BATCH = 32
QUICK_SAMPLES = 96  # --quick: three batches per "epoch"


def _torch_cnn(torch: Any, model: Any) -> Any:
    """PyTorch's Sequential with the same layers as our CNN and its weights copied (float64)."""
    from nn import Conv2d, Flatten, Layer, MaxPool2d

    layers: list[Any] = []
    for layer in model.layers:
        if isinstance(layer, Conv2d):
            conv = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride)
            conv.padding = layer.padding
            layers.append(conv)
        elif isinstance(layer, MaxPool2d):
            layers.append(torch.nn.MaxPool2d(layer.kernel_size, layer.stride))
        elif isinstance(layer, Flatten):
            layers.append(torch.nn.Flatten())
        elif isinstance(layer, Layer):
            layers.append(torch.nn.Linear(layer.nin, layer.nout))
        else:  # the activation between them
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).double()
    Ws, bs = model.weights()
    mods = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for mod, W, b in zip(mods, Ws, bs, strict=True):
            mod.weight.copy_(torch.tensor(W))
            mod.bias.copy_(torch.tensor(b))
    return net


def bench_cnn(result: Any, s: Any, seed: int, say: Callable[[str], None]) -> None:
    """Add the CNN epoch rows (and the loss check) to ``result``; see the module docstring.

    Example:
        >>> from viz.bench import BenchResult, Settings
        >>> r = BenchResult(); bench_cnn(r, Settings(rounds=1, digits_train=64, quick=True), 0, print)  # doctest: +SKIP
    """
    from . import bench

    if not bench._available("sklearn"):
        result.notes.append("cnn: skipped (scikit-learn, which ships the digits, is not importable)")
        return
    from sklearn.neural_network import MLPClassifier

    from nn import fit, losses
    from nn.data import load_digits, train_test_split

    from .cli_cnn import build_cnn, one_blas_thread

    X, y = load_digits()
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.25, seed=seed, stratify=True)
    if s.digits_train is not None:  # --quick: a few batches show the ratios, a full epoch is for the full run
        n = QUICK_SAMPLES if s.quick else s.digits_train
        Xtr, ytr = Xtr[:n], ytr[:n]
    torch = bench._torch()
    order = np.random.default_rng(seed).permutation(len(Xtr))

    # the check: from the same weights, our loss on a batch and PyTorch's agree
    probe = build_cnn((1, 8, 8), FILTERS, [], 10, seed=seed)
    with no_grad():
        ours_loss = losses.cross_entropy(probe(Xtr[:BATCH]), ytr[:BATCH]).data
    values = {"ours": ours_loss}
    if torch is not None:
        net = _torch_cnn(torch, probe)
        with torch.no_grad():
            out = net(torch.tensor(Xtr[:BATCH]).reshape(-1, 1, 8, 8))
            values["PyTorch"] = float(torch.nn.functional.cross_entropy(out, torch.tensor(ytr[:BATCH])))
    bench._check(result, "cnn: cross-entropy of a batch from the same weights", "ours", values)

    def ours() -> None:
        model = build_cnn((1, 8, 8), FILTERS, [], 10, seed=seed)
        with one_blas_thread():
            fit(model, Xtr, ytr, loss="cross_entropy", optimizer="adam", lr=LR, epochs=1, batch_size=BATCH,
                seed=seed, progress=False)  # fmt: skip

    engines: dict[str, Callable[[], Any]] = {"ours": ours}
    if torch is not None:
        Xt, yt = torch.tensor(Xtr).reshape(-1, 1, 8, 8), torch.tensor(ytr)

        def pytorch() -> None:
            net = _torch_cnn(torch, probe)  # the untrained network's layers and weights (a fresh build's)
            opt = torch.optim.Adam(net.parameters(), lr=LR)
            for lo in range(0, len(order), BATCH):
                idx = torch.tensor(order[lo : lo + BATCH])
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx]).backward()
                opt.step()

        engines["torch"] = pytorch
        pytorch()  # PyTorch's first epoch in a process sets up its kernels and Adam (seconds): not timed

    def sklearn() -> None:
        settings = bench._sklearn_settings((32,), 1, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one epoch: the max_iter warning is by design
            MLPClassifier(**settings).fit(Xtr, ytr)

    engines["sklearn"] = sklearn
    say(f"cnn: {s.rounds} rounds of one epoch on {len(Xtr)} digits: {', '.join(engines)}")
    times = bench._interleave(engines, s.rounds)
    result.raw["cnn"] = {"per_epoch_seconds": times, "train_samples": len(Xtr), "filters": list(FILTERS)}
    result.notes.append(
        f"cnn: one epoch of {len(Xtr)} digits, conv {FILTERS[0]} -> relu -> pool -> conv {FILTERS[1]} -> relu -> "
        f"pool -> dense 10 (Adam, lr {LR:g}, batch {BATCH}, float64); scikit-learn: MLPClassifier 64-32-10"
    )
    name = f"cnn epoch ({FILTERS[0]}-{FILTERS[1]} filters)"
    result.rows.append(bench._time_row(f"{name}: ours vs PyTorch", times, "ours", "torch", "PyTorch"))
    result.rows.append(bench._time_row(f"{name}: ours vs MLPClassifier", times, "ours", "sklearn", "scikit-learn"))
    result.raw["cnn"]["median_seconds"] = {k: statistics.median(v) for k, v in times.items()}
