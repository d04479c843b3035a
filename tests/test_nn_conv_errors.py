"""Bad input to convolutional models: refused when the model is BUILT, naming the layer and the shapes.

An image that does not fit a kernel (with its stride and padding) or a pooling window, a channel
count that does not match the layer before, a dense layer after an image without Flatten, a
convolution after Flatten: each is a ShapeError (our ValueError subclass) from ``Sequential(...)``
itself, never later in a forward pass. A property test checks the build-time decision against
the NumPy reference's own size arithmetic on random geometries.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import AutogradError, ShapeError
from nn import AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, ModelFileError, Sequential, reference
from nn.errors import ConfigError

CASES = {
    "kernel larger than the image": (
        lambda: Sequential(Conv2d(1, 4, 5), input_shape=(1, 3, 3)),
        ["layer 0", "Conv2d(1, 4, 5)", "5x5 kernel", "(1, 3, 3)"],
    ),
    "kernel larger than the padded image": (
        lambda: Sequential(Conv2d(1, 4, (2, 6), padding=(0, 1)), input_shape=(1, 3, 3)),
        ["layer 0", "2x6 kernel", "padding (0, 1)", "(1, 3, 3)", "padded 3x5"],
    ),
    "pool window larger than the image after a strided conv": (
        lambda: Sequential(Conv2d(1, 4, 3, stride=2, padding=1), "relu", MaxPool2d(3), input_shape=(1, 4, 4)),
        ["layer 2", "MaxPool2d(3)", "3x3 window", "(4, 2, 2)"],
    ),
    "avg pool too wide": (
        lambda: Sequential(AvgPool2d((1, 6)), input_shape=(2, 5, 5)),
        ["layer 0", "AvgPool2d((1, 6))", "1x6 window", "(2, 5, 5)"],
    ),
    "wrong channels between convs": (
        lambda: Sequential(Conv2d(1, 4, 3), "relu", Conv2d(3, 2, 3), input_shape=(1, 8, 8)),
        ["layer 2", "Conv2d(3, 2, 3)", "takes 3 input channels", "(4, 6, 6)"],
    ),
    "wrong channels of the image": (
        lambda: Sequential(Conv2d(3, 4, 3), input_shape=(1, 8, 8)),
        ["layer 0", "takes 3 input channels", "(1, 8, 8)"],
    ),
    "dense layer on an image": (
        lambda: Sequential(Conv2d(1, 4, 3), Layer(144, 2), input_shape=(1, 8, 8)),
        ["layer 1", "Layer(144, 2, relu)", "image of shape (4, 6, 6)", "Flatten()"],
    ),
    "dense layer of the wrong width": (
        lambda: Sequential(Conv2d(1, 4, 3), MaxPool2d(2), Flatten(), Layer(100, 2), input_shape=(1, 8, 8)),
        ["layer 3", "takes 100 inputs but gets 36"],
    ),
    "convolution after Flatten": (
        lambda: Sequential(Flatten(), Conv2d(1, 4, 3), input_shape=(1, 8, 8)),
        ["layer 1", "Conv2d(1, 4, 3)", "vector of shape (64,)"],
    ),
    "convolution of vectors": (
        lambda: Sequential(Conv2d(1, 4, 3), input_shape=(64,)),
        ["layer 0", "vector of shape (64,)", "input_shape=(C, H, W)"],
    ),
    "softmax on an image": (
        lambda: Sequential(Conv2d(1, 4, 3), "softmax", input_shape=(1, 8, 8)),
        ["layer 1", "softmax", "(4, 6, 6)", "flatten"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_shape_that_does_not_fit_is_refused_at_build_naming_layer_and_shapes(case: str) -> None:
    build, fragments = CASES[case]
    with pytest.raises(ShapeError) as info:
        build()
    message = str(info.value)
    assert message.startswith("Sequential: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: Conv2d(1, 4, 0), "kernel_size must be an integer >= 1"),
        (lambda: Conv2d(1, 4, 3, stride=(1, 0)), "stride must be an integer >= 1"),
        (lambda: Conv2d(1, 4, 3, padding=-1), "padding must be an integer >= 0"),
        (lambda: Conv2d(1, 4, (3, 3, 3)), "kernel_size must be"),
        (lambda: Conv2d(0, 4, 3), "in_channels must be a positive integer"),
        (lambda: Conv2d(1, True, 3), "out_channels must be a positive integer"),
        (lambda: MaxPool2d(2, stride=0), "MaxPool2d: stride"),
        (lambda: Sequential(Conv2d(1, 4, 3)), "input_shape=(channels, height, width) is needed"),
        (lambda: Sequential(Conv2d(1, 4, 3), input_shape=(1, 8)), "input_shape must be"),
        (lambda: Sequential(Conv2d(1, 4, 3), input_shape=(1, 0, 8)), "input_shape must be"),
        (lambda: Sequential(Conv2d(1, 1, 1), object(), input_shape=(1, 2, 2)), "item 1 is a object"),
        (
            lambda: Sequential(Conv2d(1, 64, 3, padding=1), input_shape=(1, 128, 128)),
            "make 1,048,576 nodes per forward pass, more than 1,000,000",
        ),
    ],
)
def test_bad_layer_arguments_are_config_errors(build, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        build()
    assert fragment in str(info.value)


def test_a_saved_config_that_does_not_fit_is_refused_naming_the_layer() -> None:
    config = Sequential(Conv2d(1, 2, 3), Flatten(), input_shape=(1, 4, 4)).config()
    config["input_shape"] = [1, 2, 2]
    # nn.modelfile names the layer by its JSON path in the config
    with pytest.raises(ModelFileError, match=r"config\.layers\[0\]\.kernel_size: expected a window that fits"):
        Sequential.from_config(config)


def test_inputs_and_weights_of_the_wrong_shape_are_refused_naming_the_shapes() -> None:
    model = Sequential(Conv2d(1, 2, 3), Flatten(), Layer(8, 1), input_shape=(1, 4, 4))
    for bad in (np.zeros((2, 15)), np.zeros((2, 2, 4, 4)), np.zeros((2, 4, 4))):
        with pytest.raises(ShapeError, match=r"expected a batch \(n, 16\) or \(n, 1, 4, 4\)"):
            model(bad)
    Ws, bs = model.weights()
    with pytest.raises(ShapeError, match=r"layer 0 \(Conv2d\(1, 2, 3\)\): weights must have shape \(2, 1, 3, 3\)"):
        model.set_weights([np.zeros((2, 1, 3, 2)), Ws[1]], bs)
    with pytest.raises(ShapeError, match=r"layer 2 \(Layer\(8, 1, relu\)\): W must have shape \(1, 8\)"):
        model.set_weights([Ws[0], np.zeros((1, 9))], bs)


@st.composite
def geometries(draw: st.DrawFn) -> tuple:
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        if draw(st.booleans()):
            layers.append(("conv", draw(st.integers(1, 3)), kernel, stride, (draw(st.integers(0, 2)), 0)))
        else:
            layers.append((draw(st.sampled_from(["max", "avg"])), kernel, stride))
    return shape, layers, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(geometries())
def test_the_build_refuses_exactly_the_geometries_the_reference_cannot_compute(g: tuple) -> None:
    """Sequential(...) succeeds iff every layer fits, by the reference's own arithmetic; when it
    fails, the message names the first layer that does not fit; when it succeeds, a forward pass
    runs and every shape the summary states is the shape the reference computes."""
    (C, H, W), specs, wrong_channels = g
    rng = np.random.default_rng(0)
    layers, channels = [], C
    for spec in specs:
        if spec[0] == "conv":
            _, F, k, s, p = spec
            cin = channels + 1 if wrong_channels and not layers else channels
            layers.append(Conv2d(cin, F, k, s, p))
            channels = F
        else:
            kind, k, s = spec
            layers.append((MaxPool2d if kind == "max" else AvgPool2d)(k, s))
    A = rng.normal(size=(1, C, H, W))
    failed_at = None
    shapes = []
    for i, layer in enumerate(layers):
        try:
            if isinstance(layer, Conv2d):
                Wt = rng.normal(size=(layer.out_channels, layer.in_channels, *layer.kernel_size))
                A = reference.conv2d_forward(A, Wt, np.zeros(layer.out_channels), layer.stride, layer.padding)
            else:
                kind = "max" if isinstance(layer, MaxPool2d) else "avg"
                A = reference.pool2d_forward(kind, A, layer.kernel_size, layer.stride)
        except ValueError:
            failed_at = i
            break
        shapes.append(A.shape[1:])
    if failed_at is None:
        model = Sequential(*layers, input_shape=(C, H, W))
        assert [tuple(s) for s in model._shapes] == shapes
        out = model(rng.normal(size=(2, C * H * W)))
        assert len(out if isinstance(out, list) else [out]) == int(np.prod(shapes[-1]))
    else:
        with pytest.raises(ShapeError, match=rf"^Sequential: layer {failed_at} \({_escape(layers[failed_at])}\)"):
            Sequential(*layers, input_shape=(C, H, W))


def _escape(layer) -> str:
    import re

    return re.escape(layer.describe())
