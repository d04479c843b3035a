"""``backprop bench``: side-by-side speed ratios of the engine against its baselines.

What runs (each engine from the SAME weights, its loss checked against the others before any
time is compared):

- moons step: micrograd's demo (100 points, ``MLP(2, [16, 16, 1])``, hinge + 1e-4 L2, one SGD
  step including forward, zero_grad, backward and update) per sample (one ``dot`` node per
  neuron), expanded (micrograd's graph shape), on batch lanes, as a hand-vectorised NumPy
  step, and in micrograd, PyTorch 0-d and PyTorch batched when they are importable;
- update loop: micrograd's ``for p in params: p.data -= lr * p.grad`` on our Parameters (whose
  numbers live in a buffer) against the same loop on plain slotted Values and micrograd's;
- node cost: µs per node to build and to back-propagate a chain ``y = y * c + d``, and bytes
  per node (tracemalloc; constants count);
- deep chain: the same chain 1e3 .. 1e6 deep, build + backward, against PyTorch 0-d tensors;
- digits: whole trainings (30 epochs, Adam, batches of 32 on lanes) through ``nn.fit`` and
  through our ``MLPClassifier(...).fit`` against scikit-learn's ``MLPClassifier.fit`` with the
  same settings, for 64-32-10 and the wider 64-256-256-10, and held-out accuracy;
- cnn: one epoch of ``backprop train --model cnn``'s network on the digits against the same
  PyTorch CNN (float64, same weights and batches) and scikit-learn's MLPClassifier epoch
  (``viz/bench_cnn.py``);
- scaling: time per lanes step against the batch size and against the parameter count.

Timing: ``time.perf_counter``; ``gc.collect()`` before every timed call, the collector stays on
inside it (each engine pays for its own garbage; what was alive before the timing starts is
frozen out of the collector's view with ``gc.freeze()``, so no engine pays for the heap of the
libraries around it); one thread for every engine (PyTorch, BLAS); engines run round-robin,
one round at a time, in a rotating order; a figure is the median over rounds, and a ratio is
the median of the per-round ratios. Times in the table are for reading; only ratios are compared with targets.

Example:
    >>> row = Row("moons step: lanes vs micrograd", 2e-4, 0.7, "s", "micrograd", 2e-4 / 0.7,
    ...           "≥2000x faster", True)
    >>> print(format_table(BenchResult(rows=[row])).splitlines()[2])  # doctest: +NORMALIZE_WHITESPACE
    moons step: lanes vs micrograd  200 µs  micrograd 700 ms  3500x faster  ≥2000x faster  PASS
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gc
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core import AutogradError, Value, mean_values, no_grad
from autograd_core.errors import excerpt

from .bench_cnn import bench_cnn

__all__ = [
    "EPILOG",
    "HELP",
    "BenchCheckError",
    "BenchResult",
    "Check",
    "Row",
    "Settings",
    "add_arguments",
    "command",
    "format_table",
    "plot_scaling",
    "run_bench",
    "settings_for",
    "to_json",
]

ALPHA = 1e-4  # micrograd demo's L2 coefficient
MOONS_LR = 0.05  # SGD learning rate of the moons step (any value: the step is timed, not trained)
DIGITS_LR = 0.01  # Adam learning rate, the same for every digits engine
DIGITS_BATCH = 32
REL_TOL = 1e-9  # every engine's loss must agree with the reference to this relative error
LOOP_SLACK = 1.05  # "not slower": the update loops differ by less than the timer's noise at 5 %
CHAIN_C, CHAIN_D = 1.0 - 1e-5, 1e-3  # y = y * c + d: dy/dx = c**n stays a normal float at 1e6

HELP = "time the engine against NumPy, micrograd, PyTorch and scikit-learn (ratios, side by side)"
EPILOG = """\
examples:
  backprop bench                     the full run (a few minutes on 2 cores)
  backprop bench --quick             a smoke run for CI (under 20 s)
  backprop bench --json bench.json --plot scaling.png

Every engine starts from the same weights and must compute the same loss (relative error
1e-9) before any time is compared. micrograd, torch and scikit-learn are used when they are
importable (pip install 'autograd-core[bench]'). Rows report medians over interleaved rounds;
ratios are the medians of per-round ratios.
"""


class BenchCheckError(AutogradError, AssertionError):
    """Two engines computed different losses (or weights) from the same weights: no timing is valid.

    Example:
        >>> str(BenchCheckError("moons loss: micrograd differs"))
        'moons loss: micrograd differs'
    """


# --- results -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: our median, the baseline's, their ratio, the target and the verdict.

    ``ratio`` is ours / baseline for times (below 1: we are faster) and for the other units
    (bytes, accuracy, growth factors) alike; ``passed`` is None when the row has no target or
    the baseline is missing.

    Example:
        >>> Row("memory", 120.0, 700.0, "B/node", "micrograd", 120 / 700, "≤200 B/node", True).status
        'PASS'
    """

    name: str
    ours: float | None
    baseline: float | None = None
    unit: str = "s"
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def status(self) -> str:
        """'PASS', 'MISS', or '-' (no target, or nothing to compare with).

        Example:
            >>> Row("x", 1.0, target="≤2x", passed=False).status, Row("y", 1.0).status
            ('MISS', '-')
        """
        return "-" if self.passed is None else ("PASS" if self.passed else "MISS")


@dataclass
class Check:
    """A loss-equality check: every engine's figure against the reference engine's.

    Example:
        >>> c = Check("loss", "numpy", {"numpy": 1.0, "lanes": 1.0 + 1e-12})
        >>> c.ok, c.max_rel_err < 1e-11
        (True, True)
    """

    name: str
    reference: str
    values: dict[str, float]
    tol: float = REL_TOL
    absolute: bool = False  # values are already absolute differences from the reference

    @property
    def max_rel_err(self) -> float:
        """The largest relative difference of any engine's figure from the reference's.

        With ``absolute=True`` the values are differences already: their largest magnitude.

        Example:
            >>> Check("w", "a", {"a": 2.0, "b": 3.0}).max_rel_err
            0.5
            >>> Check("dw", "a", {"a": 0.0, "b": 1e-15}, tol=1e-12, absolute=True).ok
            True
        """
        if self.absolute:
            return max((abs(v) for v in self.values.values()), default=0.0)
        ref = self.values[self.reference]
        scale = max(abs(ref), 1e-300)
        return max((abs(v - ref) / scale for v in self.values.values()), default=0.0)

    @property
    def ok(self) -> bool:
        """True when every engine agrees with the reference within ``tol``.

        Example:
            >>> Check("w", "a", {"a": 2.0, "b": 2.5}).ok
            False
        """
        return all(math.isfinite(v) for v in self.values.values()) and self.max_rel_err <= self.tol


@dataclass
class BenchResult:
    """Everything one ``run_bench`` measured: table rows, checks, scaling curves, raw timings.

    Example:
        >>> BenchResult().rows, BenchResult().checks
        ([], [])
    """

    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    scaling: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> Row:
        """The row with this name (KeyError when absent).

        Example:
            >>> BenchResult(rows=[Row("a", 1.0)]).row("a").ours
            1.0
        """
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)


@dataclass(frozen=True)
class Settings:
    """How much to measure: rounds, repetitions and problem sizes (see ``settings_for``).

    Example:
        >>> Settings(rounds=3).rounds
        3
    """

    rounds: int = 7
    fast_reps: int = 20  # timed calls per round for the sub-millisecond engines
    mid_reps: int = 3  # ... for our per-sample / expanded steps
    node_chain: int = 200  # chain length of the node-cost graphs (micrograd recurses: < 500)
    node_chains: int = 50  # chains per timed call
    memory_chain: int = 100_000
    chain_sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)
    digits_train: int | None = None  # None: the whole training split
    digits_test: int | None = None
    digits_epochs: int = 30
    digits_wide_epochs: int = 30  # the 64-256-256-10 net (fewer epochs would weigh its build, ~1 s, more)
    digits_rounds: int = 5  # whole trainings are long: at most this many rounds
    scaling_batches: tuple[int, ...] = (1, 4, 16, 64, 256, 1024, 4096)
    scaling_widths: tuple[int, ...] = (4, 8, 16, 32, 64)
    scaling_reps: int = 5
    quick: bool = False


def settings_for(quick: bool = False, rounds: int | None = None) -> Settings:
    """The settings of a full or a ``--quick`` run, with an optional round count.

    Example:
        >>> s = settings_for(quick=True); s.quick, s.rounds, max(s.chain_sizes)
        (True, 2, 100000)
        >>> settings_for(rounds=3).rounds
        3
    """
    if quick:
        s = Settings(
            rounds=2,
            fast_reps=5,
            mid_reps=1,
            node_chains=10,
            memory_chain=20_000,
            chain_sizes=(1_000, 10_000, 100_000),
            digits_train=240,
            digits_test=200,
            digits_epochs=2,
            digits_wide_epochs=1,
            scaling_batches=(1, 16, 256, 4096),
            scaling_widths=(4, 16, 64),
            scaling_reps=2,
            quick=True,
        )
    else:
        s = Settings()
    if rounds is not None:
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
            raise ValueError(f"rounds must be a positive integer, got {excerpt(rounds)}")
        s = Settings(**{**asdict(s), "rounds": rounds})
    return s


# --- timing --------------------------------------------------------------------------------


def _timed(fn: Callable[[], Any]) -> float:
    """Seconds for one call; garbage is collected before (not inside) the timed region."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _interleave(
    engines: dict[str, Callable[[], Any]], rounds: int, reps: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """Round-robin timing: per round every engine (rotating order) runs ``reps`` timed calls.

    Returns each engine's per-round times (the median of that round's calls).
    """
    names = list(engines)
    reps = reps or {}
    out: dict[str, list[float]] = {n: [] for n in names}
    _settle()
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            times = [_timed(engines[name]) for _ in range(max(1, reps.get(name, 1)))]
            out[name].append(statistics.median(times))
    return out


def _settle() -> None:
    """Collect, then move every surviving object (libraries, models, data) out of the collector's view.

    ``gc.freeze()``: a collection inside a timed call then scans what the engines allocated
    themselves, not the whole process (torch alone adds ~100k objects); the collector stays on.
    """
    gc.collect()
    gc.freeze()


def _median_ratio(ours: Sequence[float], base: Sequence[float]) -> float:
    """The median over rounds of ours / baseline (both measured in the same round)."""
    return statistics.median(o / b for o, b in zip(ours, base, strict=True))


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _torch() -> Any:
    """torch, or None when it is not installed (or fails to import)."""
    if not _available("torch"):
        return None
    try:
        import torch
    except Exception:  # a broken install is the same as none here
        return None
    return torch


def _check(
    result: BenchResult,
    name: str,
    reference: str,
    values: dict[str, float],
    tol: float = REL_TOL,
    absolute: bool = False,
) -> Check:
    """Record a check; raise BenchCheckError (before anything is timed) when it fails."""
    c = Check(name, reference, {k: float(v) for k, v in values.items()}, tol, absolute)
    result.checks.append(c)
    if not c.ok:
        raise BenchCheckError(
            f"{name}: engines disagree with {reference} (worst {'error' if absolute else 'relative error'} "
            f"{c.max_rel_err:.3g} > {tol:g}): {c.values}"
        )
    return c


# --- moons step: the engines ----------------------------------------------------------------


def _flat(Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> np.ndarray:
    """Weights in micrograd's parameter order: layer by layer, each neuron's weights then bias."""
    return np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(Ws, bs, strict=True)])


class _NumpyMLP:
    """The hand-vectorised NumPy step of the moons demo: relu hidden, linear out, hinge + L2."""

    def __init__(self, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> None:
        self.Ws = [np.array(W, dtype=np.float64) for W in Ws]
        self.bs = [np.array(b, dtype=np.float64) for b in bs]

    def step(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        Ws, bs = self.Ws, self.bs
        L = len(Ws)
        A = X.T
        As, Zs = [A], []
        for i in range(L):
            Z = Ws[i] @ A + bs[i][:, None]
            Zs.append(Z)
            A = np.maximum(Z, 0.0) if i < L - 1 else Z
            As.append(A)
        margin = 1.0 - y * A[0]
        m = margin.shape[0]
        reg = sum(float(np.sum(W * W)) + float(np.sum(b * b)) for W, b in zip(Ws, bs, strict=True))
        loss = float(np.sum(np.maximum(margin, 0.0))) / m + ALPHA * reg
        dZ = (-y * (margin > 0.0) / m)[None, :]
        for i in range(L - 1, -1, -1):
            W = Ws[i]
            dW = dZ @ As[i].T
            db = dZ.sum(axis=1)
            if i:
                dZ = (W.T @ dZ) * (Zs[i - 1] > 0.0)
            W -= lr * (dW + 2.0 * ALPHA * W)
            bs[i] -= lr * (db + 2.0 * ALPHA * bs[i])
        return loss

    def flat(self) -> np.ndarray:
        return _flat(self.Ws, self.bs)


def _ours_step(model: Any, X: np.ndarray, y: np.ndarray, mode: str, lr: float) -> Callable[[], float]:
    """One moons SGD step of our engine: mode 'lanes', 'per_sample' or 'expanded'.

    Lanes update with the library's ``SGD`` (one vectorised step of the parameter buffer);
    the per-sample and expanded steps with micrograd's loop ``p.data -= lr * p.grad``.
    """
    from nn import losses
    from nn.optim import SGD

    params = model.parameters()
    rows, ys = X.tolist(), y.tolist()
    expanded = mode == "expanded"
    opt = SGD(params, lr=lr)

    def step() -> float:
        if mode == "lanes":
            loss = losses.hinge(model(X), y) + losses.l2_penalty(params, ALPHA)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.data
        scores = [model(row, expanded=expanded) for row in rows]
        data_loss = mean_values([(1.0 - yi * s).relu() for s, yi in zip(scores, ys, strict=True)])
        loss = data_loss + losses.l2_penalty(params, ALPHA)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.data

    return step


def _update_loop(params: Sequence[Any], lr: float) -> Callable[[], None]:
    """micrograd's update loop over ``params``, as its README writes it (the grads stay as they are)."""

    def loop() -> None:
        for p in params:
            p.data -= lr * p.grad

    return loop


class _SlottedValue:
    """What a parameter was before the buffer: a slotted Value, ``data`` a slot, ``grad`` a property."""

    __slots__ = ("_grad", "data")

    def __init__(self, data: float, grad: float) -> None:
        self.data = data
        self._grad = grad

    @property
    def grad(self) -> Any:
        g = self._grad
        if g is None:
            return np.zeros(self.data.shape) if type(self.data) is np.ndarray else 0.0
        return g


def _bench_update_loop(result: BenchResult, s: Settings, seed: int, say: Callable[[str], None]) -> None:
    """micrograd's ``for p in model.parameters(): p.data -= lr * p.grad`` on our Parameters (they
    live in a buffer) against the same loop on plain slotted Values (what a parameter was before
    the buffer, whatever ``Value`` becomes) and on micrograd's Values, all with the same numbers."""
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=seed)
    params = model.parameters()
    rng = np.random.default_rng(seed)
    grads = rng.normal(size=len(params)).tolist()
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    plain = [_SlottedValue(p.data, g) for p, g in zip(params, grads, strict=True)]
    engines = {"parameters": _update_loop(params, 1e-9), "plain": _update_loop(plain, 1e-9)}
    if _available("micrograd"):
        from micrograd.engine import Value as MgValue

        mg = [MgValue(p.data) for p in params]
        for v, g in zip(mg, grads, strict=True):
            v.grad = g
        engines["micrograd"] = _update_loop(mg, 1e-9)
    for fn in engines.values():
        fn()
    after = {"parameters": [p.data for p in params], "plain": [v.data for v in plain]}
    if "micrograd" in engines:
        after["micrograd"] = [v.data for v in mg]
    errs = {k: float(np.max(np.abs(np.array(v) - np.array(after["plain"])))) for k, v in after.items()}
    _check(result, "update loop: max |weight difference| after one loop", "plain", errs, 0.0, absolute=True)
    say(f"update loop: {len(params)} parameters, {s.rounds} interleaved rounds of {', '.join(engines)}")
    reps = {name: 5 * s.fast_reps for name in engines}
    times = _interleave(engines, s.rounds, reps)
    result.raw["update_loop"] = {"per_round_seconds": times, "reps_per_round": reps}
    result.rows.append(
        _time_row(
            "micrograd's update loop: Parameters vs plain Values",
            times,
            "parameters",
            "plain",
            "plain Values",
            LOOP_SLACK,
            "not slower than plain Values",
        )
    )
    if "micrograd" in times:
        result.rows.append(
            _time_row("micrograd's update loop: Parameters vs micrograd", times, "parameters", "micrograd", "micrograd")
        )


def _micrograd_model(Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> Any:
    from micrograd.nn import MLP as MgMLP

    sizes = [Ws[0].shape[1], *(W.shape[0] for W in Ws)]
    model = MgMLP(sizes[0], sizes[1:])
    for p, v in zip(model.parameters(), _flat(Ws, bs).tolist(), strict=True):
        p.data = v
    return model


def _micrograd_step(model: Any, X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], float]:
    """micrograd's own demo step (its README's ``loss()`` and update), inputs wrapped as it does."""
    from micrograd.engine import Value as MgValue

    rows, ys = X.tolist(), y.tolist()
    params = model.parameters()

    def step() -> float:
        inputs = [list(map(MgValue, row)) for row in rows]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= lr * p.grad
        return total.data

    return step


class _TorchBatched:
    """PyTorch with batched float64 tensors: nn.Linear layers carrying our weights."""

    def __init__(self, torch: Any, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> None:
        self.torch = torch
        self.layers = []
        for W, b in zip(Ws, bs, strict=True):
            lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.array(W)))
                lin.bias.copy_(torch.from_numpy(np.array(b)))
            self.layers.append(lin)
        self.params = [p for lin in self.layers for p in (lin.weight, lin.bias)]

    def step_fn(self, X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], float]:
        torch = self.torch
        Xt, yt = torch.from_numpy(np.array(X)), torch.from_numpy(np.array(y))
        layers, params = self.layers, self.params
        last = len(layers) - 1

        def step() -> float:
            h = Xt
            for i, lin in enumerate(layers):
                h = lin(h)
                if i < last:
                    h = torch.relu(h)
            loss = torch.relu(1.0 - yt * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
            return _torch_sgd(torch, params, loss, lr)

        return step

    def flat(self) -> np.ndarray:
        Ws = [lin.weight.detach().numpy() for lin in self.layers]
        bs = [lin.bias.detach().numpy() for lin in self.layers]
        return _flat(Ws, bs)


class _Torch0d:
    """PyTorch with one 0-d tensor per scalar: micrograd's graph shape in torch."""

    def __init__(self, torch: Any, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> None:
        self.torch = torch

        def scalar(v: float) -> Any:
            return torch.tensor(float(v), dtype=torch.float64, requires_grad=True)

        self.layers = [
            [([scalar(w) for w in W[j]], scalar(b[j])) for j in range(W.shape[0])] for W, b in zip(Ws, bs, strict=True)
        ]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def step_fn(self, X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], float]:
        torch = self.torch
        rows, ys = X.tolist(), y.tolist()
        layers, params = self.layers, self.params
        last = len(layers) - 1

        def model(x: list[Any]) -> Any:
            for i, layer in enumerate(layers):
                out = []
                for ws, b in layer:
                    act = sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b)
                    out.append(torch.relu(act) if i < last else act)
                x = out
            return x[0]

        def step() -> float:
            scores = [model(row) for row in rows]
            losses = [torch.relu(1 + -yi * si) for yi, si in zip(ys, scores, strict=True)]
            data_loss = sum(losses) * (1.0 / len(losses))
            total = data_loss + ALPHA * sum(p * p for p in params)
            return _torch_sgd(torch, params, total, lr)

        return step

    def flat(self) -> np.ndarray:
        return np.array([float(p.item()) for p in self.params])


def _speed(ratio: float | None) -> str:
    if ratio is None or not math.isfinite(ratio) or ratio <= 0:
        return "n/a"
    if ratio <= 1.0:
        v = 1.0 / ratio
        return f"{v:.0f}x faster" if v >= 100 else f"{v:.3g}x faster"
    return f"{ratio:.0f}x slower" if ratio >= 100 else f"{ratio:.3g}x slower"


def _time_row(
    name: str,
    times: dict[str, list[float]],
    ours: str,
    base: str,
    base_label: str,
    max_ratio: float | None = None,
    target: str = "",
) -> Row:
    """A row comparing two engines' per-round times (ratio: median of per-round ratios)."""
    t_ours = statistics.median(times[ours])
    if base not in times:
        return Row(name, t_ours, None, "s", base_label, None, target, None, f"{base_label} not measured")
    ratio = _median_ratio(times[ours], times[base])
    passed = None if max_ratio is None else ratio <= max_ratio
    return Row(name, t_ours, statistics.median(times[base]), "s", base_label, ratio, target, passed)


def _bench_moons(result: BenchResult, s: Settings, seed: int, say: Callable[[str], None]) -> None:
    from nn import MLP
    from nn.data import make_moons

    X, y01 = make_moons(100, noise=0.1, seed=seed)
    y = 2.0 * y01.astype(np.float64) - 1.0
    Ws, bs = MLP(2, [16, 16, 1], seed=seed).weights()
    acts = ["relu", "relu", "linear"]
    flats: dict[str, Callable[[], np.ndarray]] = {}
    engines: dict[str, Callable[[], float]] = {}
    for mode in ("lanes", "per_sample", "expanded"):
        model = MLP.from_weights(Ws, bs, acts)
        engines[mode] = _ours_step(model, X, y, mode, MOONS_LR)
        flats[mode] = lambda model=model: _flat(*model.weights())
    ref = _NumpyMLP(Ws, bs)
    engines["numpy"] = lambda: ref.step(X, y, MOONS_LR)
    flats["numpy"] = ref.flat
    if _available("micrograd"):
        mg = _micrograd_model(Ws, bs)
        engines["micrograd"] = _micrograd_step(mg, X, y, MOONS_LR)
        flats["micrograd"] = lambda: np.array([p.data for p in mg.parameters()])
    torch = _torch()
    if torch is not None:
        tb = _TorchBatched(torch, Ws, bs)
        engines["torch_batched"] = tb.step_fn(X, y, MOONS_LR)
        flats["torch_batched"] = tb.flat
        t0d = _Torch0d(torch, Ws, bs)
        engines["torch_0d"] = t0d.step_fn(X, y, MOONS_LR)
        flats["torch_0d"] = t0d.flat

    say(f"moons step: checking {', '.join(engines)} compute the same loss and update")
    losses = {name: fn() for name, fn in engines.items()}  # one step each, from the same weights
    _check(result, "moons step: loss from the same weights", "numpy", losses)
    after = {name: flat() for name, flat in flats.items()}
    errs = {name: float(np.max(np.abs(w - after["numpy"]))) for name, w in after.items()}
    # the weights after one SGD step agree too, so the gradients do (weights are of size ~1)
    _check(result, "moons step: max |weight difference| after one step", "numpy", errs, REL_TOL, absolute=True)

    if s.quick and "torch_0d" in engines:  # checked above; its ~0.5 s step (no target) is timed in full runs only
        del engines["torch_0d"]
        result.notes.append("quick: PyTorch 0-d moons step checked but not timed")
    say(f"moons step: {s.rounds} interleaved rounds of {', '.join(engines)}")
    fast = {"lanes": s.fast_reps, "numpy": s.fast_reps, "torch_batched": s.fast_reps}
    reps = {**fast, "per_sample": s.mid_reps, "expanded": s.mid_reps}
    times = _interleave(engines, s.rounds, reps)
    result.raw["moons_step"] = {"per_round_seconds": times, "reps_per_round": reps, "initial_losses": losses}
    rows = [
        _time_row(
            "moons step: lanes vs micrograd", times, "lanes", "micrograd", "micrograd", 1 / 2000, "≥2000x faster"
        ),
        _time_row("moons step: lanes vs NumPy", times, "lanes", "numpy", "NumPy", 5.0, "≤5x slower"),
        _time_row(
            "moons step: lanes vs PyTorch batched", times, "lanes", "torch_batched", "torch batched", 1.0, "faster"
        ),
        _time_row(
            "moons step: per-sample vs micrograd", times, "per_sample", "micrograd", "micrograd", 1 / 30, "≥30x faster"
        ),
        _time_row(
            "moons step: expanded vs micrograd", times, "expanded", "micrograd", "micrograd", 1 / 5, "≥5x faster"
        ),
        _time_row("moons step: per-sample vs PyTorch 0-d", times, "per_sample", "torch_0d", "torch 0-d"),
        _time_row("moons step: PyTorch batched vs NumPy", times, "torch_batched", "numpy", "NumPy")
        if "torch_batched" in times
        else None,
    ]
    result.rows.extend(r for r in rows if r is not None)
    _bench_update_loop(result, s, seed, say)


# --- node cost and deep chains ----------------------------------------------------------------


def _chain(V: Any, n: int) -> tuple[Any, Any]:
    """x and y = (((x * c + d) * c + d) ...), n times: 2n op nodes (micrograd adds 2n constants)."""
    x = V(0.5)
    y = x
    c, d = CHAIN_C, CHAIN_D
    for _ in range(n):
        y = y * c + d
    return x, y


def _bytes_per_node(V: Any, n: int) -> float:
    """tracemalloc's traced bytes of a built n-step chain, per op node (constants count)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = _chain(V, n)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del keep
    gc.collect()
    return used / (2 * n)


def _bench_nodes(result: BenchResult, s: Settings, say: Callable[[str], None]) -> None:
    n, k = s.node_chain, s.node_chains
    engines: dict[str, Any] = {"ours": Value}
    if _available("micrograd"):
        from micrograd.engine import Value as MgValue

        engines["micrograd"] = MgValue
    nodes = 2 * n * k
    say(f"node cost: {k} chains of {2 * n} nodes, {s.rounds} rounds; memory of a {s.memory_chain:,}-step chain")
    # the check: both engines give the same y and dy/dx on one chain, and match the closed form
    ys, grads = {}, {}
    for name, V in engines.items():
        x, y = _chain(V, n)
        y.backward()
        ys[name], grads[name] = y.data, x.grad
    ys["closed form"], grads["closed form"] = _chain_closed_form(n)
    _check(result, f"chain of {n}: y", "closed form", ys, tol=1e-12)
    _check(result, f"chain of {n}: dy/dx", "closed form", grads, tol=1e-12)

    build: dict[str, list[float]] = {name: [] for name in engines}
    back: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    _settle()
    for r in range(s.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            V = engines[name]
            chains: list[Any] = []
            build[name].append(_timed(lambda V=V, chains=chains: chains.extend(_chain(V, n) for _ in range(k))))
            back[name].append(_timed(lambda chains=chains: [y.backward() for _, y in chains]))
            del chains
    per_node = {
        f"{name}_{what}": [t / nodes * 1e6 for t in ts]
        for what, d in (("build", build), ("backward", back))
        for name, ts in d.items()
    }
    result.raw["node_cost"] = {"chain_steps": n, "chains_per_call": k, "us_per_node_per_round": per_node}
    for what in ("build", "backward"):
        ours = per_node[f"ours_{what}"]
        if "micrograd" in engines:
            base = per_node[f"micrograd_{what}"]
            result.rows.append(
                Row(
                    f"node cost: {what}",
                    statistics.median(ours),
                    statistics.median(base),
                    "µs/node",
                    "micrograd",
                    _median_ratio(ours, base),
                )
            )
        else:
            result.rows.append(
                Row(
                    f"node cost: {what}",
                    statistics.median(ours),
                    unit="µs/node",
                    baseline_name="micrograd",
                    note="micrograd not importable",
                )
            )

    mem = {
        name: _bytes_per_node(V, s.memory_chain if name == "ours" else min(s.memory_chain, 10_000))
        for name, V in engines.items()
    }
    result.raw["bytes_per_node"] = mem
    base = mem.get("micrograd")
    result.rows.append(
        Row(
            "memory: bytes per node (y = y*c + d)",
            mem["ours"],
            base,
            "B/node",
            "micrograd",
            None if base is None else mem["ours"] / base,
            "≤200 B/node",
            mem["ours"] <= 200.0,
        )
    )


def _torch_chain(torch: Any, n: int) -> tuple[float, float]:
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    c, d = CHAIN_C, CHAIN_D
    for _ in range(n):
        y = y * c + d
    y.backward()
    return float(y.item()), float(x.grad.item())


def _ours_chain(n: int) -> tuple[float, float]:
    x, y = _chain(Value, n)
    y.backward()
    return y.data, x.grad


def _bench_chain(result: BenchResult, s: Settings, say: Callable[[str], None]) -> None:
    torch = _torch()
    small = min(s.chain_sizes)
    values = {"ours": _ours_chain(small)}
    if torch is not None:
        values["torch_0d"] = _torch_chain(torch, small)
    if _available("micrograd"):
        from micrograd.engine import Value as MgValue

        try:
            x, y = _chain(MgValue, small)
            y.backward()
            values["micrograd"] = (y.data, x.grad)
        except RecursionError:
            result.notes.append(
                f"micrograd: RecursionError on a {small:,}-deep chain (its topological sort is recursive)"
            )
        finally:
            gc.collect()
    values["closed form"] = _chain_closed_form(small)
    _check(result, f"deep chain {small:,}: y", "closed form", {k: v[0] for k, v in values.items()}, tol=1e-12)
    _check(result, f"deep chain {small:,}: dy/dx", "closed form", {k: v[1] for k, v in values.items()}, tol=1e-12)

    raw: dict[str, Any] = {}
    biggest = max(s.chain_sizes)
    for n in s.chain_sizes:
        rounds = (
            s.rounds if n <= 10_000 else max(1, min(3, s.rounds // 2)) if n < 1_000_000 else max(1, min(3, s.rounds))
        )
        engines: dict[str, Callable[[], Any]] = {"ours": lambda n=n: _ours_chain(n)}
        if torch is not None:
            engines["torch_0d"] = lambda n=n: _torch_chain(torch, n)
        say(f"deep chain {n:,}: {rounds} round(s)")
        times = _interleave(engines, rounds)
        raw[str(n)] = times
        target, max_ratio = (
            ("≤0.5x PyTorch 0-d", 0.5) if n == biggest == 1_000_000 else ("", None)  # the target is at 1e6
        )
        result.rows.append(
            _time_row(f"deep chain {n:,}: build + backward", times, "ours", "torch_0d", "torch 0-d", max_ratio, target)
        )
    result.raw["deep_chain"] = {"per_round_seconds": raw}


def _chain_closed_form(n: int) -> tuple[float, float]:
    """(y, dy/dx) of n steps of y = y * c + d from x = 0.5, by the geometric series."""
    cn = CHAIN_C**n
    return 0.5 * cn + CHAIN_D * (1 - cn) / (1 - CHAIN_C), cn


def _torch_sgd(torch: Any, params: Sequence[Any], loss: Any, lr: float) -> float:
    """One SGD step of PyTorch parameters on ``loss`` (the timed baseline's update)."""
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return float(loss.item())


# --- digits ---------------------------------------------------------------------------------


def _sklearn_settings(hidden: tuple[int, ...], epochs: int, seed: int) -> dict[str, Any]:
    """The one set of MLPClassifier settings both classifiers get: Adam, batch 32, no L2, no early stop."""
    return {
        "hidden_layer_sizes": hidden,
        "activation": "relu",
        "solver": "adam",
        "batch_size": DIGITS_BATCH,
        "learning_rate_init": DIGITS_LR,
        "alpha": 0.0,
        "max_iter": epochs,
        "n_iter_no_change": epochs + 1,  # every run does all its epochs
        "random_state": seed,
        "shuffle": True,
    }


def _digits_engines(
    sizes: Sequence[int], Xtr: np.ndarray, ytr: np.ndarray, epochs: int, seed: int, classifier: bool
) -> tuple[dict[str, Callable[[], Any]], dict[str, Any]]:
    """Timed trainings of ``epochs`` epochs: nn.fit on a fresh MLP, our MLPClassifier.fit and scikit-learn's.

    Each call trains from the start (a new model; the estimators build theirs inside ``fit``, as
    scikit-learn's does). ``last`` holds what the latest call trained, for the accuracy rows.
    """
    import warnings

    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from nn import MLP
    from nn import MLPClassifier as OurMLPClassifier
    from nn.train import fit

    hidden = tuple(sizes[1:-1])
    last: dict[str, Any] = {}

    def ours_fit() -> None:
        model = MLP(sizes[0], list(sizes[1:]), seed=seed)
        settings = {"lr": DIGITS_LR, "epochs": epochs, "batch_size": DIGITS_BATCH, "seed": seed, "progress": False}
        fit(model, Xtr, ytr, loss="cross_entropy", optimizer="adam", **settings)
        last["fit"] = model

    def ours_classifier() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the max_iter warning: all epochs run by design
            last["classifier"] = OurMLPClassifier(**_sklearn_settings(hidden, epochs, seed)).fit(Xtr, ytr)

    def sklearn_fit() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            last["sklearn"] = SkMLPClassifier(**_sklearn_settings(hidden, epochs, seed)).fit(Xtr, ytr)

    engines = {"fit": ours_fit, "sklearn": sklearn_fit}
    if classifier:
        engines["classifier"] = ours_classifier
    return engines, last


def _bench_digits(result: BenchResult, s: Settings, seed: int, say: Callable[[str], None]) -> None:
    if not _available("sklearn"):
        result.notes.append("digits: skipped (scikit-learn, which ships the data, is not importable)")
        return
    import warnings

    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    from nn import MLP, losses, reference
    from nn.data import load_digits, train_test_split

    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=seed)
    if s.digits_train is not None:
        Xtr, ytr = Xtr[: s.digits_train], ytr[: s.digits_train]
    if s.digits_test is not None:
        Xte, yte = Xte[: s.digits_test], yte[: s.digits_test]
    epochs = s.digits_epochs

    # the check: from the same weights our network, the NumPy reference and scikit-learn agree
    model = MLP(64, [32, 10], seed=seed)
    Ws, bs = model.weights()
    clf = MLPClassifier(**_sklearn_settings((32,), 1, seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(Xtr[:DIGITS_BATCH], ytr[:DIGITS_BATCH], classes=np.arange(10))  # creates its arrays
    for dst, src in zip(clf.coefs_, Ws, strict=True):
        dst[...] = src.T
    for dst, src in zip(clf.intercepts_, bs, strict=True):
        dst[...] = src
    with no_grad():
        ours = losses.cross_entropy(model(Xte), yte).data
    values = {
        "numpy reference": reference.gradients_from_weights(Ws, bs, ["relu", "linear"], Xte, yte, "cross_entropy")[0],
        "ours": ours,
        "scikit-learn": log_loss(yte, clf.predict_proba(Xte), labels=np.arange(10)),
    }
    _check(result, "digits: held-out cross-entropy from the same weights", "numpy reference", values)

    runs = {}
    rounds = min(s.rounds, s.digits_rounds)
    nets = (
        ("64-32-10", (64, 32, 10), True, epochs),
        ("64-256-256-10", (64, 256, 256, 10), False, s.digits_wide_epochs),
    )
    for label, sizes, classifier, n_epochs in nets:
        engines, last = _digits_engines(sizes, Xtr, ytr, n_epochs, seed, classifier)
        say(f"digits {label}: {rounds} rounds of {n_epochs} epoch(s) on {len(Xtr)} samples: {', '.join(engines)}")
        times = _interleave(engines, rounds)
        runs[label] = (times, last)
    times, last = runs["64-32-10"]
    with no_grad():
        pred = np.argmax(np.stack([o.data for o in last["fit"](Xte)]), axis=0)
    acc = {
        "fit": float(np.mean(pred == yte)),
        "classifier": float(last["classifier"].score(Xte, yte)),
        "sklearn": float(last["sklearn"].score(Xte, yte)),
    }
    result.raw["digits"] = {
        "per_run_seconds": {label: t for label, (t, _) in runs.items()},
        "train_samples": len(Xtr),
        "test_samples": len(Xte),
        "epochs": epochs,
        "wide_epochs": s.digits_wide_epochs,
        "accuracy": acc,
    }
    result.notes.append(
        f"digits: each run trains from the start on {len(Xtr)} samples ({epochs} epoch(s); 64-256-256-10: "
        f"{s.digits_wide_epochs}), Adam lr {DIGITS_LR:g}, batch {DIGITS_BATCH}, no L2; "
        "scikit-learn with the same settings"
    )
    narrow = _time_row("digits: fit, 64-32-10", times, "fit", "sklearn", "scikit-learn", 1.5, "≤1.5x slower")
    result.rows.append(narrow)
    result.rows.append(
        _time_row(
            "digits: MLPClassifier.fit, 64-32-10",
            times,
            "classifier",
            "sklearn",
            "scikit-learn",
            1.5,
            "≤1.5x slower",
        )
    )
    assert narrow.ratio is not None
    result.rows.append(
        _time_row(
            "digits: fit, 64-256-256-10",
            runs["64-256-256-10"][0],
            "fit",
            "sklearn",
            "scikit-learn",
            narrow.ratio,
            f"≤ the 64-32-10 ratio ({narrow.ratio:.3g}x)",
        )
    )
    full = not s.quick and epochs <= 30
    for engine, name in (("fit", "fit"), ("classifier", "MLPClassifier.fit")):
        result.rows.append(
            Row(
                f"digits: held-out accuracy after {epochs} epoch(s), {name}",
                acc[engine],
                acc["sklearn"],
                "acc",
                "scikit-learn",
                acc[engine] / acc["sklearn"] if acc["sklearn"] else None,
                "≥96% in 30 epochs" if full else "(full run only)",
                (acc[engine] >= 0.96) if full else None,
            )
        )


# --- scaling --------------------------------------------------------------------------------


def _bench_scaling(result: BenchResult, s: Settings, seed: int, say: Callable[[str], None]) -> None:
    from nn import MLP
    from nn.data import make_moons

    say(f"scaling: lanes {list(s.scaling_batches)}, hidden widths {list(s.scaling_widths)}")
    Xall, yall = make_moons(max(2, *s.scaling_batches), noise=0.1, seed=seed)
    yall = 2.0 * yall.astype(np.float64) - 1.0

    def pair(width: int, m: int) -> dict[str, list[float]]:
        Ws, bs = MLP(2, [width, width, 1], seed=seed).weights()
        model = MLP.from_weights(Ws, bs, ["relu", "relu", "linear"])
        ref = _NumpyMLP(Ws, bs)
        X, y = Xall[:m], yall[:m]
        engines = {"lanes": _ours_step(model, X, y, "lanes", MOONS_LR), "numpy": lambda: ref.step(X, y, MOONS_LR)}
        engines["lanes"]()  # warm-up
        engines["numpy"]()
        return _interleave(engines, s.rounds, {"lanes": s.scaling_reps, "numpy": s.scaling_reps})

    lanes: dict[str, list[float]] = {"lanes": [], "numpy": []}
    for m in s.scaling_batches:
        t = pair(16, m)
        for k in lanes:
            lanes[k].append(statistics.median(t[k]))
    counts = [3 * w + w * w + w + w + 1 for w in s.scaling_widths]  # 2-w-w-1: (2+1)w + (w+1)w + (w+1)
    widths: dict[str, list[float]] = {"lanes": [], "numpy": []}
    for w in s.scaling_widths:
        t = pair(w, 100)
        for k in widths:
            widths[k].append(statistics.median(t[k]))
    result.scaling = {
        "batch_sizes": list(s.scaling_batches),
        "seconds_per_step_by_batch": lanes,
        "hidden_widths": list(s.scaling_widths),
        "parameter_counts": counts,
        "seconds_per_step_by_params": widths,
        "params_batch": 100,
    }
    xs_b, xs_p = list(s.scaling_batches), counts
    for label, xs, curves in (("lanes", xs_b, lanes), ("params", xs_p, widths)):
        if len(xs) < 2:
            continue
        slope = _slope(xs, curves["lanes"])
        result.rows.append(
            Row(
                f"scaling: {label} {xs[-2]} -> {xs[-1]}, log-log slope",
                slope,
                _slope(xs, curves["numpy"]),
                "slope",
                "NumPy",
                None,
                "≤1.1 (1 = linear)",
                slope <= 1.1,
                note=f"time x{curves['lanes'][-1] / curves['lanes'][0]:.3g} over {label} x{xs[-1] / xs[0]:.3g}",
            )
        )


def _slope(xs: Sequence[float], ts: Sequence[float]) -> float:
    """d log t / d log x between the last two points: 1 is linear growth, below 1 sublinear."""
    return math.log(ts[-1] / ts[-2]) / math.log(xs[-1] / xs[-2])


# --- the run --------------------------------------------------------------------------------


def _meta(s: Settings, seed: int) -> dict[str, Any]:
    versions = {"numpy": np.__version__}
    for mod in ("micrograd", "torch", "sklearn"):
        if _available(mod):
            try:
                from importlib.metadata import version

                versions[mod] = version({"sklearn": "scikit-learn"}.get(mod, mod))
            except Exception:
                versions[mod] = "installed"
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "processor": platform.processor() or "",
        "python": platform.python_version(),
        "versions": versions,
        "quick": s.quick,
        "rounds": s.rounds,
        "seed": seed,
        "settings": asdict(s),
    }


SECTIONS = ("moons", "nodes", "chain", "digits", "cnn", "scaling")


@contextlib.contextmanager
def _quiet_machine(result: BenchResult) -> Iterator[None]:
    """One thread everywhere, and the harness's own objects frozen out of the garbage collector.

    Every engine runs on one core: on a small shared machine PyTorch's and BLAS's worker
    threads otherwise wait on each other (a 0.3 ms PyTorch step became 55 ms), and the
    scalar engines are single-threaded anyway. ``gc.freeze()`` moves everything alive before
    the run (libraries, the test runner) to the permanent generation, so ``gc.collect()``
    between timed calls is cheap and a collection inside one scans only what the engines
    allocate (every section settles again after its set-up); ``gc.unfreeze()`` at the end.
    """
    torch = _torch()  # the baselines are imported before the first freeze, so their objects are frozen too
    for mod in ("micrograd.nn", "sklearn.neural_network", "sklearn.metrics"):
        if _available(mod.split(".")[0]):
            importlib.import_module(mod)
    with contextlib.ExitStack() as stack:
        if torch is not None:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            stack.callback(torch.set_num_threads, threads)
        if _available("threadpoolctl"):
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1))
        result.meta["threads"] = 1
        _settle()
        stack.callback(gc.unfreeze)
        yield


def run_bench(
    quick: bool = False,
    rounds: int | None = None,
    seed: int = 0,
    *,
    sections: Sequence[str] = SECTIONS,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Run the benchmark (every section unless ``sections`` says otherwise) and return the figures.

    Raises ``BenchCheckError`` (before comparing any time) when two engines compute different
    losses from the same weights. ``settings`` overrides ``quick`` / ``rounds`` entirely.

    Example:
        >>> r = run_bench(sections=["nodes"], settings=Settings(rounds=1, node_chain=10, node_chains=1,
        ...               memory_chain=100))  # doctest: +SKIP
        >>> r.row("node cost: build").unit  # doctest: +SKIP
        'µs/node'
    """
    s = settings if settings is not None else settings_for(quick, rounds)
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) {excerpt(unknown)}; valid: {', '.join(SECTIONS)}")
    say = progress or (lambda msg: None)
    result = BenchResult(meta=_meta(s, seed))
    t0 = time.perf_counter()
    runs = {
        "moons": lambda: _bench_moons(result, s, seed, say),
        "nodes": lambda: _bench_nodes(result, s, say),
        "chain": lambda: _bench_chain(result, s, say),
        "digits": lambda: _bench_digits(result, s, seed, say),
        "cnn": lambda: bench_cnn(result, s, seed, say),
        "scaling": lambda: _bench_scaling(result, s, seed, say),
    }
    section_seconds: dict[str, float] = {}
    with _quiet_machine(result):
        for name in SECTIONS:
            if name in sections:
                t = time.perf_counter()
                runs[name]()
                section_seconds[name] = time.perf_counter() - t
    installs = {"micrograd": "'autograd-core[bench]'", "torch": "torch", "sklearn": "'autograd-core[bench]'"}
    for mod, what in (("micrograd", "micrograd"), ("torch", "PyTorch"), ("sklearn", "scikit-learn")):
        if mod not in result.meta["versions"]:
            result.notes.append(f"{what} is not importable: its rows have no baseline (pip install {installs[mod]})")
    result.meta["section_seconds"] = section_seconds
    result.meta["wall_seconds"] = time.perf_counter() - t0
    return result


# --- output ---------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    """A figure with its unit: seconds scale to s / ms / µs; accuracy as a percentage."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if unit == "s":
        for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale or name == "µs":
                return f"{value / scale:.3g} {name}"
    if unit == "acc":
        return f"{100 * value:.1f}%"
    if unit == "x":
        return f"{value:.3g}x"
    if unit == "slope":
        return f"{value:.2f}"
    return f"{value:.3g} {unit}"


def _ratio_text(row: Row) -> str:
    if row.ratio is None:
        return "n/a" if row.baseline_name and row.baseline is None else "-"
    if row.unit in ("s", "µs/node"):
        return _speed(row.ratio)
    if row.unit == "B/node":
        return _speed(row.ratio).replace("faster", "smaller").replace("slower", "larger")
    return f"{row.ratio:.3g}x"


def format_table(result: BenchResult) -> str:
    """The table of medians and ratios: name, ours, baseline, ratio, target, PASS/MISS.

    Example:
        >>> rows = [Row("deep chain 1,000: build + backward", 0.004, 0.012, "s", "torch 0-d", 1 / 3)]
        >>> print(format_table(BenchResult(rows=rows)))  # doctest: +NORMALIZE_WHITESPACE
        benchmark                           ours  baseline         ratio      target  status
        ------------------------------------------------------------------------------------
        deep chain 1,000: build + backward  4 ms  torch 0-d 12 ms  3x faster          -
    """
    head = ("benchmark", "ours", "baseline", "ratio", "target", "status")
    lines = []
    for r in result.rows:
        base = (
            f"{r.baseline_name} {_fmt(r.baseline, r.unit)}".strip()
            if r.baseline is not None
            else (f"{r.baseline_name}: n/a" if r.baseline_name else "")
        )
        lines.append((r.name, _fmt(r.ours, r.unit), base, _ratio_text(r), r.target, r.status))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [fmt(head), "-" * (sum(widths) + 2 * (len(widths) - 1)), *map(fmt, lines)]
    if result.checks:
        bad = [c for c in result.checks if not c.ok]
        out.append("")
        out.append(
            f"checks: {len(result.checks) - len(bad)}/{len(result.checks)} passed "
            f"(every engine's loss from the same weights agrees to rel {REL_TOL:g} before timing)"
        )
    for note in result.notes:
        out.append(f"note: {note}")
    m = result.meta
    if m:
        mode = "quick" if m.get("quick") else "full"
        vers = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
        out.append(
            f"{m.get('date', '')}; {m.get('machine', '')}; Python {m.get('python', '')}; {vers}; "
            f"{mode} run, {m.get('rounds')} rounds, medians of per-round ratios"
        )
    return "\n".join(out)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def to_json(result: BenchResult) -> dict[str, Any]:
    """The raw figures as JSON-ready data (rows, checks, scaling curves, per-round timings, meta).

    Example:
        >>> import json
        >>> d = to_json(BenchResult(rows=[Row("a", 1.0, 2.0, ratio=0.5, target="≤1x", passed=True)]))
        >>> d["rows"][0]["status"], json.loads(json.dumps(d))["rows"][0]["ratio"]
        ('PASS', 0.5)
    """
    rows = [{**asdict(r), "status": r.status} for r in result.rows]
    checks = [{**asdict(c), "max_rel_err": c.max_rel_err, "ok": c.ok} for c in result.checks]
    return _jsonable(
        {
            "meta": result.meta,
            "rows": rows,
            "checks": checks,
            "scaling": result.scaling,
            "raw": result.raw,
            "notes": result.notes,
        }
    )


def plot_scaling(result: BenchResult, path: str | os.PathLike[str]) -> Path:
    """Write the scaling curves (time per step vs lanes, vs parameters; log-log) as a PNG.

    Example:
        >>> import os, tempfile
        >>> sc = {"batch_sizes": [1, 4], "seconds_per_step_by_batch": {"lanes": [1e-4, 2e-4], "numpy": [1e-5, 2e-5]},
        ...       "parameter_counts": [10, 40], "seconds_per_step_by_params": {"lanes": [1e-4, 3e-4]}}
        >>> out = plot_scaling(BenchResult(scaling=sc), os.path.join(tempfile.mkdtemp(), "s.png"))
        >>> out.stat().st_size > 1000
        True
    """
    if not result.scaling:
        raise ValueError("plot_scaling: the result has no scaling curves (run the 'scaling' section)")
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_scaling needs matplotlib: pip install 'autograd-core[plot]'") from None
    sc = result.scaling
    labels = {"lanes": "autograd-core (lanes)", "numpy": "NumPy hand-vectorised"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    try:
        panels = (
            (axes[0], sc["batch_sizes"], sc["seconds_per_step_by_batch"], "batch size (lanes)"),
            (axes[1], sc["parameter_counts"], sc["seconds_per_step_by_params"], "parameters (2-w-w-1, batch 100)"),
        )
        for ax, xs, curves, xlabel in panels:
            for name, ts in curves.items():
                ax.loglog(xs, ts, "o-", label=labels.get(name, name))
            x0, t0 = xs[0], curves["lanes"][0]
            ax.loglog(xs, [t0 * x / x0 for x in xs], ":", color="grey", label="linear from the first point")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("seconds per SGD step")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        axes[0].set_title("time per step vs lanes")
        axes[1].set_title("time per step vs parameter count")
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, format="png", dpi=100)
    finally:
        plt.close(fig)
    return out


# --- the command ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``backprop bench``'s options on ``parser``.

    Example:
        >>> p = argparse.ArgumentParser(); add_arguments(p)
        >>> a = p.parse_args(["--quick", "--json", "b.json"]); a.quick, a.json, a.rounds
        (True, 'b.json', None)
    """
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI: fewer rounds, smaller sizes (< 20 s)")
    parser.add_argument("--rounds", type=int, default=None, metavar="N", help="interleaved rounds (default 7; quick 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the weights (default 0)")
    parser.add_argument("--json", default=None, metavar="PATH", help="write the raw figures as JSON")
    parser.add_argument("--plot", default=None, metavar="PATH", help="write the scaling curves as a PNG")


def command(args: argparse.Namespace) -> int:
    """Run ``backprop bench``: print the table; write --json / --plot; 0 when every check passed.

    Example:
        >>> p = argparse.ArgumentParser(); add_arguments(p)
        >>> command(p.parse_args(["--rounds", "0"]))  # refused before anything runs
        2
    """
    if args.rounds is not None and args.rounds < 1:
        print(f"backprop: error: --rounds must be at least 1, got {args.rounds}", file=sys.stderr)
        return 2
    if args.plot and not _available("matplotlib"):
        print("backprop: error: --plot needs matplotlib: pip install 'autograd-core[plot]'", file=sys.stderr)
        return 2
    for opt in ("json", "plot"):
        value = getattr(args, opt)
        if value is not None and not Path(value).parent.is_dir():
            print(f"backprop: error: --{opt}: the folder of {value!r} does not exist", file=sys.stderr)
            return 2
    try:
        result = run_bench(args.quick, args.rounds, args.seed, progress=lambda m: print(f"  {m}", file=sys.stderr))
    except BenchCheckError as err:
        print(f"backprop: bench: check failed, no times compared: {err}", file=sys.stderr)
        return 1
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(result), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plot:
        print(f"wrote {plot_scaling(result, args.plot)}")
    return 0


if __name__ == "__main__":  # python -m viz.bench [--quick] ...
    _p = argparse.ArgumentParser(prog="python -m viz.bench", description=HELP, epilog=EPILOG)
    add_arguments(_p)
    sys.exit(command(_p.parse_args()))
