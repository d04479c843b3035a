"""The training loop: lanes, XOR, moons, digits, validation, early stopping, history, progress."""

import builtins
import io
import json
import math
import os
import sys

import numpy as np
import pytest

from autograd_core import AutogradError, Value
from nn import MLP, losses
from nn.data import load_digits, make_blobs, make_moons, make_regression, make_xor, standardize, train_test_split
from nn.errors import ConfigError
from nn.optim import SGD, Adam, StepLR
from nn.train import DivergenceError, History, accuracy, evaluate, fit, predict, predict_classes

RUN_SLOW = bool(os.environ.get("AUTOGRAD_SLOW"))


def report(msg):
    """Numbers worth seeing in `pytest -s` output (accuracies, time per epoch)."""
    print(f"\n[nn.train] {msg}", file=sys.__stdout__)


# --- the batch-as-lanes step ---------------------------------------------------------------


def test_one_full_batch_step_equals_the_per_sample_average():
    X, y = make_moons(12, noise=0.1, seed=3)
    a, b = MLP(2, [5, 1], activation="tanh", seed=0), MLP(2, [5, 1], activation="tanh", seed=0)
    fit(a, X, y, loss="mse", optimizer="sgd", lr=0.3, epochs=1, batch_size=None, shuffle=False, progress=False)
    # The same step by hand: one scalar graph per sample, gradients averaged.
    total = sum((losses.mse(b(list(x)), float(t)) for x, t in zip(X, y, strict=True)), Value(0.0)) * (1 / len(X))
    total.backward()
    for p in b.parameters():
        p.data -= 0.3 * p.grad
    assert np.allclose([p.data for p in a.parameters()], [p.data for p in b.parameters()], rtol=1e-12, atol=1e-14)


def test_number_of_steps_per_epoch_and_validation_split_size():
    X, y = make_moons(100, seed=0)
    model = MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.01)
    h = fit(model, X, y, loss="hinge", optimizer=opt, epochs=3, batch_size=32, progress=False)
    assert opt.t == 3 * 4  # ceil(100 / 32) steps per epoch, the last one with 4 samples
    opt2 = SGD(model.parameters(), lr=0.01)
    h = fit(model, X, y, loss="hinge", optimizer=opt2, epochs=2, batch_size=25, validation_split=0.25, progress=False)
    assert opt2.t == 2 * 3  # 75 training samples left
    assert len(h.val_loss) == 2 and len(h.val_metrics["accuracy"]) == 2


# --- learning: XOR, moons, blobs, regression -----------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_reaches_full_accuracy(seed):
    X, y = make_xor()
    model = MLP(2, [8, 1], activation="tanh", seed=seed)
    h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150, batch_size=4, progress=False)
    assert evaluate(model, X, y, loss="bce_with_logits")["accuracy"] == 1.0
    assert predict_classes(model, X).tolist() == [1, 1, 0, 0]
    assert h.loss[-1] < h.loss[0]


def test_xor_with_the_seeds_sigmoid_network_and_sse():
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    fit(
        model,
        X,
        y,
        loss="sse",
        optimizer="sgd",
        lr=0.5,
        optimizer_options={"momentum": 0.9},
        epochs=300,
        progress=False,
    )
    assert predict_classes(model, X).tolist() == [1, 1, 0, 0]  # 0.5 threshold for a sigmoid output


def test_moons_micrograd_demo_reaches_95_percent():
    # micrograd's demo: 100 moons with noise 0.1, MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2,
    # full-batch SGD for 100 steps with lr = 1.0 - 0.9 * k / 100.
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    h = fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer="sgd",
        lr=1.0,
        schedule="linear",
        epochs=100,
        batch_size=None,
        alpha=1e-4,
        progress=False,
    )
    assert h.lr[:2] == pytest.approx([1.0, 0.991]) and h.lr[-1] == pytest.approx(0.109)
    acc = evaluate(model, X, y, loss="hinge")["accuracy"]
    per_epoch = float(np.mean(h.seconds))
    report(f"moons 2-16-16-1 hinge+L2 SGD full batch: train accuracy {acc:.3f}, {per_epoch * 1e3:.2f} ms/epoch")
    assert acc >= 0.95
    assert per_epoch < 0.25  # generous: ~2 ms on a laptop core


def test_moons_minibatches_with_momentum_and_schedule():
    X, y = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=1)
    h = fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer="sgd",
        lr=0.1,
        optimizer_options={"momentum": 0.9, "nesterov": True},
        schedule="cosine",
        schedule_options={"T_max": 40, "eta_min": 0.01},
        epochs=40,
        batch_size=20,
        alpha=1e-4,
        seed=0,
        progress=False,
    )
    assert evaluate(model, X, y, loss="hinge")["accuracy"] >= 0.95
    assert h.lr[0] == 0.1 and h.lr[-1] == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * 39 / 40)) / 2)


def test_blobs_softmax_cross_entropy_and_predict_shapes():
    X, y = make_blobs(90, centers=3, std=1.0, seed=0)
    X, _, _ = standardize(X)
    model = MLP(2, [8, 3], seed=0)
    h = fit(
        model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=30, batch_size=16, seed=0, progress=False
    )
    assert h.metrics["accuracy"][-1] >= 0.95
    out = predict(model, X)
    assert out.shape == (90, 3)
    assert predict_classes(model, X).shape == (90,)
    assert predict(model, X[0]).shape == (1, 3)  # one sample as a 1-D row
    assert accuracy(out, y) == evaluate(model, X, y, loss="cross_entropy")["accuracy"]


def test_regression_with_r2_metric():
    X, y = make_regression(100, n_features=2, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    h = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer="adam",
        lr=0.05,
        epochs=60,
        batch_size=20,
        metrics=("r2", "mae"),
        progress=False,
    )
    assert "accuracy" not in h.metrics
    assert h.metrics["r2"][-1] > 0.95
    assert predict(model, X).shape == (100,)
    assert evaluate(model, X, y, loss="mse", metrics="r2")["r2"] > 0.95


def test_auto_metrics_are_empty_for_regression():
    X, y = make_regression(10, seed=0)
    h = fit(MLP(1, [1], seed=0), X, y, epochs=1, progress=False)
    assert h.metrics == {} and h.to_dict()["metrics"] == {}


# --- validation, early stopping, history ---------------------------------------------------


def test_early_stopping_restores_the_best_weights():
    X, y = make_moons(60, noise=0.1, seed=0)
    X_val, y_val = X, 1 - y  # flipped labels: the better the fit, the worse the validation loss
    model = MLP(2, [8, 1], seed=0)
    states = []
    h = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer="adam",
        lr=0.05,
        epochs=50,
        batch_size=None,
        validation_data=(X_val, y_val),
        early_stopping=True,
        patience=3,
        progress=False,
        callbacks=[lambda epoch, logs: states.append(model.state_dict())],
    )
    assert h.stopped_early and h.epochs < 50
    best = int(np.argmin(h.val_loss))
    assert h.best_epoch == best and h.epochs == best + 1 + 3
    assert model.state_dict() == states[best]
    assert evaluate(model, X_val, y_val, loss="bce_with_logits")["loss"] == pytest.approx(h.val_loss[best])


def test_early_stopping_without_validation_monitors_training_loss():
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    h = fit(model, X, y, loss="mse", lr=0.0, epochs=20, early_stopping=True, patience=2, progress=False)
    assert h.stopped_early and h.epochs == 3 and h.best_epoch == 0  # lr 0: the loss never improves


def test_history_to_dict_is_json():
    X, y = make_moons(40, seed=0)
    h = fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=3, validation_split=0.25, seed=0, progress=False)
    d = json.loads(json.dumps(h.to_dict(), allow_nan=False))
    assert d["epochs"] == 3 and len(d["loss"]) == len(d["val_loss"]) == len(d["seconds"]) == len(d["lr"]) == 3
    assert set(d["metrics"]) == set(d["val_metrics"]) == {"accuracy"}
    assert isinstance(h, History) and "3 epochs" in repr(h)


def test_callbacks_receive_logs_and_can_stop():
    X, y = make_xor()
    seen = []
    h = fit(
        MLP(2, [4, 1], seed=0),
        X,
        y,
        loss="hinge",
        epochs=10,
        progress=False,
        callbacks=[lambda epoch, logs: seen.append((epoch, sorted(logs))) or epoch == 2],
    )
    assert h.epochs == 3 and h.stopped_early
    assert seen[0] == (0, ["accuracy", "epoch", "loss", "lr", "seconds"])


def test_schedule_instance_and_adaptive_exhaustion_stop_training():
    X, y = make_xor()
    model = MLP(2, [4, 1], seed=0)
    opt = Adam(model.parameters(), lr=0.1)
    h = fit(model, X, y, loss="mse", optimizer=opt, schedule=StepLR(step_size=2, gamma=0.5), epochs=5, progress=False)
    assert h.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    h = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer="sgd",
        lr=2e-6,
        schedule="adaptive",
        schedule_options={"patience": 1, "tol": 1.0},
        epochs=50,
        progress=False,
    )
    assert h.stopped_early and h.epochs < 10


# --- progress output -----------------------------------------------------------------------


def _fake_tty(monkeypatch):
    stream = io.StringIO()
    stream.isatty = lambda: True
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    stream = _fake_tty(monkeypatch)
    X, y = make_xor()
    fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=3)
    text = stream.getvalue()
    assert "3/3" in text and "loss=" in text and "accuracy=" in text


def test_progress_false_and_non_terminals_are_silent(monkeypatch, capsys):
    X, y = make_xor()
    fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=2)  # stderr captured: not a terminal
    assert capsys.readouterr().err == ""
    stream = _fake_tty(monkeypatch)
    fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=2, progress=False)
    assert stream.getvalue() == ""


def test_without_tqdm_plain_lines(monkeypatch):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    stream = _fake_tty(monkeypatch)
    X, y = make_xor()
    fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=20)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("epoch 20/20  loss ")


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"metrics": ["f1"]}, "unknown metric"),
        ({"optimizer": "lbfgs"}, "unknown optimizer"),
        ({"lr": -1.0}, "lr"),
        ({"alpha": -1.0}, "alpha"),
        ({"loss": "huber"}, "unknown loss"),
        ({"validation_data": ([[0.0, 0.0]],)}, "pair"),
        ({"schedule": "warmup"}, "schedule"),
        ({"optimizer": 3}, "optimizer must be"),
        ({"schedule": 3}, "schedule must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    X, y = make_xor()
    with pytest.raises(ConfigError, match=match):
        fit(MLP(2, [2, 1], seed=0), X, y, **{"loss": "mse", "progress": False, **kwargs})


def test_mismatched_targets_and_divergence():
    X, y = make_xor()
    with pytest.raises(ConfigError, match="4 samples"):
        fit(MLP(2, [2, 1]), X, y[:3], progress=False)
    with pytest.raises(DivergenceError, match="smaller learning rate") as info:
        fit(MLP(1, [1], seed=0), [[1.0], [2.0]], [0.0, 1.0], loss="mse", lr=1e200, progress=False)
    assert isinstance(info.value, AutogradError)


# --- real data: digits ---------------------------------------------------------------------


def _digits_run(epochs):
    X, y = load_digits()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = MLP(64, [32, 10], seed=0)
    h = fit(
        model,
        X_tr,
        y_tr,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.01,
        epochs=epochs,
        batch_size=32,
        seed=0,
        progress=False,
    )
    acc = evaluate(model, X_te, y_te, loss="cross_entropy")["accuracy"]
    report(
        f"digits 64-32-10 softmax CE Adam batch 32, {epochs} epochs: held-out accuracy {acc:.3f}, "
        f"{np.mean(h.seconds):.3f} s/epoch ({len(X_tr)} training images)"
    )
    return acc


def test_digits_quick_training():
    assert _digits_run(epochs=2) >= 0.88


@pytest.mark.skipif(not RUN_SLOW, reason="long run: set AUTOGRAD_SLOW=1")
def test_digits_long_training():
    assert _digits_run(epochs=30) >= 0.95


def test_a_wrong_number_of_features_is_named_before_training():
    from autograd_core import ShapeError

    with pytest.raises(ShapeError, match="X has 2 features per sample, the model takes 3"):
        fit(MLP(3, [2, 1]), np.zeros((40, 2)), np.zeros(40), progress=False)
