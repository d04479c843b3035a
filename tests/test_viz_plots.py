"""viz.plots: every figure is made headless, saved as a PNG of the expected size, and leaves the model as it was."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.image as mpimg

from autograd_core import Value
from nn import MLP, fit, losses, make_blobs, make_moons
from viz import VizError, plots


def png_size(path) -> tuple[int, int]:
    """(width, height) in pixels of a PNG, read back with matplotlib."""
    assert path.exists() and path.stat().st_size > 1000
    assert path.read_bytes().startswith(b"\x89PNG")
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


@pytest.fixture(scope="module")
def trained():
    X, y = make_moons(60, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    rec = plots.GradientNormRecorder(model)
    history = fit(
        model, X, y, loss="hinge", lr=0.5, epochs=15, batch_size=None, alpha=1e-4, progress=False, callbacks=[rec]
    )
    return model, X, y, history, rec


def test_loss_curve_png_with_metrics_and_log_scale(trained, tmp_path):
    *_, history, _ = trained
    fig = plots.loss_curve(history, tmp_path / "loss.png", log=True)
    assert png_size(tmp_path / "loss.png") == (900, 360)
    loss_ax, metric_ax = fig.axes
    assert loss_ax.get_yscale() == "log" and metric_ax.get_title() == "accuracy"
    assert len(loss_ax.lines[0].get_ydata()) == 15


def test_loss_curve_from_json_dict_with_validation_and_plain_list(tmp_path):
    h = {"loss": [1.0, 0.5, None], "val_loss": [1.2, 0.7, 0.6], "metrics": {}, "best_epoch": 1}
    fig = plots.loss_curve(h, tmp_path / "l.png")
    assert png_size(tmp_path / "l.png") == (550, 360)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[:2] == ["train loss, epoch mean (final 0.5)", "validation loss (final 0.6)"]
    assert "best epoch (2)" in labels
    assert len(plots.loss_curve([3.0, 2.0]).axes) == 1
    with pytest.raises(VizError, match="empty"):
        plots.loss_curve([])
    with pytest.raises(VizError, match="History"):
        plots.loss_curve(42)


def test_decision_boundary_is_one_model_call_on_lanes(trained, tmp_path):
    model, X, y, *_ = trained
    calls = []

    class Spy:
        nin = 2
        activations = model.activations

        def __call__(self, x):
            calls.append(np.shape(x))
            return model(x)

    fig = plots.decision_boundary(Spy(), X, y, tmp_path / "b.png", resolution=50)
    assert calls[0] == (2500, 2)  # the whole grid at once
    assert len(calls) == 2  # the grid, then the data points
    assert png_size(tmp_path / "b.png") == (550, 460)
    assert "points right" in fig.axes[0].get_title()


def test_decision_boundary_multiclass_and_errors(tmp_path):
    X, y = make_blobs(30, centers=[[0, 0], [4, 4], [0, 4]], std=0.5, seed=0)
    model = MLP(2, [3], seed=0)
    plots.decision_boundary(model, X, y, tmp_path / "m.png", resolution=30)
    assert png_size(tmp_path / "m.png") == (550, 460)
    with pytest.raises(VizError, match="2 inputs"):
        plots.decision_boundary(MLP(3, [1]), np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(VizError, match="resolution"):
        plots.decision_boundary(model, X, y, resolution=1)
    with pytest.raises(VizError, match="does not exist"):
        plots.decision_boundary(model, X, y, tmp_path / "nowhere" / "b.png", resolution=5)


def test_activation_derivatives_come_from_backward():
    z = np.linspace(-3, 3, 13)
    for name, expected in {
        "tanh": 1 - np.tanh(z) ** 2,
        "sigmoid": (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
        "relu": (z > 0).astype(float),
        "linear": np.ones_like(z),
    }.items():
        _, d = plots._activation_and_derivative(name, z)
        np.testing.assert_allclose(d, expected, atol=1e-12)


def test_activations_png(tmp_path):
    fig = plots.activations(tmp_path / "a.png", points=101)
    assert png_size(tmp_path / "a.png") == (1200, 520)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu"]
    with pytest.raises(VizError, match="whole layer"):
        plots.activations(names=["softmax"])


def test_loss_surface_restores_the_weights_and_marks_the_current_loss(trained, tmp_path):
    model, X, y, *_ = trained
    before = model.state_dict()
    w = model.layers[2].neurons[0].w[0]
    fig = plots.loss_surface(model, X, y, "hinge", w, "L2.N0.b", tmp_path / "s.png", span=1.0, resolution=9)
    assert model.state_dict() == before
    assert png_size(tmp_path / "s.png") == (1000, 440)
    flat, surface = fig.axes[0], fig.axes[-1]
    assert flat.get_xlabel() == "L2.N0.w0" and flat.get_ylabel() == "L2.N0.b"
    assert surface.name == "3d"
    here = float(losses.hinge(model(X), 2.0 * y - 1).data)
    assert f"now: {here:.4g}" in [t.get_text() for t in flat.get_legend().get_texts()]
    # named_parameters names work too, and bad names say what the labels look like
    plots.loss_surface(model, X, y, "hinge", "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", resolution=3)
    with pytest.raises(VizError, match="labels look like"):
        plots.loss_surface(model, X, y, "hinge", "nope", w)
    with pytest.raises(VizError, match="same parameter"):
        plots.loss_surface(model, X, y, "hinge", w, w)
    with pytest.raises(VizError, match="not a parameter"):
        plots.loss_surface(model, X, y, "hinge", Value(1.0), w)


def test_loss_surface_restores_the_weights_on_error(trained):
    model, X, y, *_ = trained
    before = model.state_dict()

    def broken(pred, target, reduction="mean"):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        plots.loss_surface(model, X, y, broken, "L2.N0.w0", "L2.N0.w1", resolution=3)
    assert model.state_dict() == before


def test_gradient_norms_from_recorder_model_and_dicts(trained, tmp_path):
    model, X, y, history, rec = trained
    assert len(rec.norms) == 15 and set(rec.norms[0]) == {"L0", "L1", "L2"}
    assert all(math.isfinite(v) and v >= 0 for d in rec.norms for v in d.values())
    fig = plots.gradient_norms(rec, tmp_path / "g.png")
    assert png_size(tmp_path / "g.png") == (580, 360)
    assert [line.get_label() for line in fig.axes[0].lines] == ["L0", "L1", "L2"]

    model.zero_grad()
    losses.hinge(model(X), 2.0 * y - 1).backward()
    norms = plots.layer_grad_norms(model)
    expected = math.sqrt(sum(p.grad**2 for p in model.layers[0].parameters()))
    assert norms["L0"] == pytest.approx(expected)
    plots.gradient_norms(model, tmp_path / "bars.png")
    assert png_size(tmp_path / "bars.png")[1] == 360
    plots.gradient_norms([{"L0": 1.0, "L1": 0.0}])  # a zero norm: linear axis, no error
    # fit records the same norms in its History: the recorder and the History agree
    assert history.grad_norms == rec.norms
    fig = plots.gradient_norms(history, tmp_path / "h.png")
    assert [line.get_label() for line in fig.axes[0].lines] == ["L0", "L1", "L2"]
    with pytest.raises(VizError, match="no epochs"):
        plots.gradient_norms(type(history)())


def test_matplotlib_missing_is_a_clear_import_error(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from viz import plots\n"
        "try:\n"
        "    plots.loss_curve([1.0, 0.5])\n"
        "except ImportError as err:\n"
        "    from autograd_core import AutogradError\n"
        "    assert isinstance(err, AutogradError), type(err)\n"
        "    print(err)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'autograd-core[plot]'" in proc.stdout
