"""The CNN pictures: one filter's neuron on one image (its receptive field, weights, gradients)
and the grid of learned filters; the content is checked, not only that a file appears."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import Conv2d, Flatten, Layer, MaxPool2d, Sequential
from viz.conv_view import filter_grid, filter_neuron
from viz.graph import VizError

pytest.importorskip("matplotlib")


def _model(kernel, stride, padding, H=6, W=7, F=2, seed=0):
    conv = Conv2d(1, F, kernel, stride=stride, padding=padding)
    n = F * conv.output_shape((1, H, W))[1] * conv.output_shape((1, H, W))[2]
    return Sequential(conv, "relu", Flatten(), Layer(n, 3, "linear"), input_shape=(1, H, W), seed=seed)


def _expected_field(H, W, kernel, stride, padding, y, x):
    """The window of output pixel (y, x) on the image, by the convolution's definition."""
    mask = np.zeros((H, W), dtype=bool)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            r, c = y * stride[0] - padding[0] + i, x * stride[1] - padding[1] + j
            if 0 <= r < H and 0 <= c < W:
                mask[r, c] = True
    return mask


@given(
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    pad=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    where=st.tuples(st.integers(0, 10), st.integers(0, 10)),
    seed=st.integers(0, 1000),
)
def test_highlighted_pixels_are_exactly_the_receptive_field(kernel, stride, pad, where, seed):
    padding = (min(pad[0], kernel[0] - 1), min(pad[1], kernel[1] - 1))
    model = _model(kernel, stride, padding, seed=seed)
    _, oh, ow = model._shapes[0]
    y, x = where[0] % oh, where[1] % ow
    rng = np.random.default_rng(seed)
    view = filter_neuron(model, rng.normal(size=42), label=1, filter=1, pixel=(y, x))
    expected = _expected_field(6, 7, kernel, stride, padding, y, x)
    np.testing.assert_array_equal(view.field, expected)
    assert view.name == f"C0.F1.z[{y},{x}]"
    # the kernel entries on the padding are the ones the node does not use
    assert view.used.sum() == expected.sum()
    # the gradients of this one node: dL/dw = dL/dz * x, dL/dx = dL/dz * w on its field, 0 elsewhere
    g = float(view.node.grad)
    np.testing.assert_allclose(view.weight_shares, g * view.patch, rtol=1e-12, atol=1e-15)
    assert np.all(view.input_shares[0][~expected] == 0)
    assert np.isclose(view.input_shares.sum(), g * view.weights[0][view.used[0]].sum())
    # the value is w · patch + b
    assert np.isclose(float(view.node.data), float((view.weights * view.patch).sum() + view.bias))


def test_the_picture_tints_exactly_the_field_and_shows_the_numbers():
    model = _model((3, 3), (1, 1), (1, 1))
    view = filter_neuron(model, np.linspace(0, 1, 42), label=2, filter=0, pixel=(0, 0))
    fig = view.figure()
    tint = np.asarray(fig.axes[0].images[1].get_array())
    np.testing.assert_array_equal(tint[..., 3] > 0, view.field)
    assert view.field.sum() == 4  # a corner pixel with padding 1 sees 2x2 pixels
    titles = [ax.get_title() for ax in fig.axes]
    assert "C0.F0.z[0,0]" in titles[0] and f"{float(view.node.data):.4g}" in titles[2]
    texts = [t.get_text() for t in fig.axes[2].texts]
    assert texts.count("pad") == 5  # the 3x3 window at a corner: 5 entries on the padding
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), view.weights[0])


def test_a_deeper_neuron_sees_the_union_through_pooling():
    model = Sequential(Conv2d(1, 2, 3, padding=1), "relu", MaxPool2d(2), Conv2d(2, 3, 3, padding=1), "relu",
                       Flatten(), Layer(48, 3, "linear"), input_shape=(1, 8, 8), seed=1)  # fmt: skip
    rng = np.random.default_rng(0)
    view = filter_neuron(model, rng.random(64), label=0, layer=3, filter=2, pixel=(1, 2))
    # conv 2 reads pooled rows 0-2, columns 1-3 = image rows 0-5, columns 2-7; conv 1 widens by 1
    expected = np.zeros((8, 8), dtype=bool)
    expected[0:7, 1:8] = True
    np.testing.assert_array_equal(view.field, expected)
    assert view.input_shares is None and view.weights.shape == (2, 3, 3)


def test_default_pixel_has_the_largest_gradient_and_errors_name_the_problem():
    model = _model((3, 3), (1, 1), (1, 1))
    image = np.random.default_rng(3).random(42)
    view = filter_neuron(model, image, label=0, filter=1)
    labels = [f"C0.F1.z[{y},{x}]" for y in range(6) for x in range(7)]
    others = [filter_neuron(model, image, 0, filter=1, pixel=(i // 7, i % 7)).node.grad for i in range(0, 42, 5)]
    assert abs(view.node.grad) >= max(abs(g) for g in others) and view.name in labels
    with pytest.raises(VizError, match="not a Conv2d"):
        filter_neuron(model, image, 0, layer=1)
    with pytest.raises(VizError, match=r"filter must be 0\.\.1"):
        filter_neuron(model, image, 0, filter=2)
    with pytest.raises(VizError, match="6x7 output map"):
        filter_neuron(model, image, 0, pixel=(6, 0))
    with pytest.raises(VizError, match="41 numbers"):
        filter_neuron(model, image[:41], 0)


def test_filter_grid_shows_every_filter_on_one_scale(tmp_path):
    model = Sequential(Conv2d(1, 10, 3), "relu", Conv2d(10, 2, 2), input_shape=(1, 6, 6), seed=0)
    fig = filter_grid(model, path=tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0
    images = [ax.images[0] for ax in fig.axes if ax.images]
    W, _ = model.layers[0].weights()
    assert len(images) == 10
    for f, image in enumerate(images):
        np.testing.assert_array_equal(image.get_array(), W[f, 0])
        assert image.get_clim() == (-np.abs(W).max(), np.abs(W).max())
    deeper = filter_grid(model, layer=2)
    assert len([ax for ax in deeper.axes if ax.images]) == 2 * 10  # a row per filter, a column per channel
    with pytest.raises(VizError, match="not a Conv2d"):
        filter_grid(model, layer=1)


def test_a_map_pixel_that_the_pooling_drops_is_skipped_or_refused() -> None:
    """A 3x3 map under a 2x2 pool: row 2 and column 2 never reach the loss (was a KeyError)."""
    m = Sequential(Conv2d(1, 1, 3, padding=1), "relu", MaxPool2d(2), Flatten(), Layer(1, 2, "linear"),
                   input_shape=(1, 3, 3), seed=0)  # fmt: skip
    view = filter_neuron(m, np.arange(9.0), 1)
    assert view.pixel in {(0, 0), (0, 1), (1, 0), (1, 1)}  # the one 2x2 window a 3x3 map has
    with pytest.raises(VizError, match="does not reach the loss"):
        filter_neuron(m, np.arange(9.0), 1, pixel=(2, 2))
