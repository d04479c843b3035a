"""Sequential: convolutions, pooling, Flatten, dense Layers and activations, in order.

``Sequential(*layers, input_shape=(C, H, W))`` checks every layer against the shape it will
receive when the model is BUILT, so a kernel that does not fit, a channel count that does not
match or a dense layer of the wrong width is refused at once, naming the layer and the shapes.
Items are ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``Layer`` (the dense layer of
``nn.layers``) and activation names ("relu", ...), as PyTorch's ``nn.Sequential`` holds
``Conv2d``, ``ReLU``, ...; positions number them the same way (``layers[0]`` is PyTorch's
``model[0]``).

Input: a batch (n, C·H·W) or (n, C, H, W): every node carries the batch as lanes; or one image
(C, H, W), (C·H·W,) or a list of numbers: a scalar graph.

Example:
    >>> import numpy as np
    >>> from nn import Conv2d, Flatten, Layer, MaxPool2d, Sequential
    >>> model = Sequential(Conv2d(1, 4, 3, padding=1), "relu", MaxPool2d(2), Flatten(), Layer(64, 10, "linear"),
    ...                    input_shape=(1, 8, 8), seed=0)
    >>> len(model(np.zeros((5, 64)))), model(np.zeros((5, 64)))[0].lanes
    (10, 5)
    >>> Sequential(Conv2d(1, 4, 5), input_shape=(1, 3, 3))
    Traceback (most recent call last):
    ...
    autograd_core.errors.ShapeError: Sequential: layer 0 (Conv2d(1, 4, 5)): a 5x5 kernel with padding (0, 0) ...
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograd_core import DomainError, OperandTypeError, ShapeError, Value
from autograd_core.errors import excerpt

from .conv import Activation, Conv2d, Flatten, as_layer, dense_weights
from .conv import layer_from_config as _layer_from_config
from .errors import ConfigError, ModelFileError
from .layers import Layer, _prepare
from .modelfile import MAX_PARAMETERS, MAX_SIDE, check_config
from .module import Module, summary_table

__all__ = ["MAX_NODES", "MAX_PARAMETERS", "Sequential"]

MAX_NODES = 1_000_000  # nodes one forward pass makes (per image; lanes carry the batch): refused beyond
Shape = tuple[int, ...]


def _shape(value: Any) -> Shape:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    ok = len(items) in (1, 3) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and 1 <= v <= MAX_SIDE for v in items
    )
    if not ok:  # the bound is the model file's: a model that could not be saved is refused at once
        raise ConfigError(
            f"Sequential: input_shape must be (channels, height, width) or (features,) of whole numbers from 1 to "
            f"{MAX_SIDE:,}, got {excerpt(value)}"
        )
    return tuple(int(v) for v in items)


def _describe(layer: Module) -> str:
    if isinstance(layer, Layer):
        return f"Layer({layer.nin}, {layer.nout}, {layer.activation})"
    return layer.describe()  # type: ignore[attr-defined]


class Sequential(Module):
    """Layers applied in order; a convolutional network of scalar nodes on batch lanes.

    Parameters:
        *layers: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``Layer`` or an
            activation name (an elementwise ``Activation``; "softmax" on a vector).
        input_shape: (channels, height, width) of one image, or (features,) for vectors;
            optional when the first layer is a dense ``Layer``.
        seed: re-draws every layer's initial weights from one seed (reproducible models).

    Example:
        >>> from nn import Conv2d, Flatten, Layer, MaxPool2d
        >>> print(Sequential(Conv2d(1, 8, 3, padding=1), "relu", MaxPool2d(2), Flatten(),
        ...                  Layer(128, 10, "linear"), input_shape=(1, 8, 8)).summary())
        Sequential: (1, 8, 8) -> (10,)
        ======================================================
        layer  type                       output shape  params
        ------------------------------------------------------
        0      Conv2d(1, 8, 3, padding=1) (8, 8, 8)         80
        1      relu                       (8, 8, 8)          0
        2      MaxPool2d(2)               (8, 4, 4)          0
        3      Flatten                    (128,)             0
        4      Layer(128, 10, linear)     (10,)           1290
        ======================================================
        total parameters                                  1370
    """

    def __init__(self, *layers: Any, input_shape: Any = None, seed: int | None = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ConfigError("Sequential: give at least one layer")
        items = [as_layer(item, i) for i, item in enumerate(layers)]
        if input_shape is None:
            if not isinstance(items[0], Layer):
                raise ConfigError(
                    f"Sequential: input_shape=(channels, height, width) is needed when the first layer is a "
                    f"{type(items[0]).__name__}"
                )
            input_shape = (items[0].nin,)
        self.input_shape = _shape(input_shape)
        self.layers = items
        self._shapes = self._check_shapes()
        nodes = sum(math.prod(shape) for layer, shape in zip(items, self._shapes) if not isinstance(layer, Flatten))
        if nodes > MAX_NODES:
            raise ConfigError(
                f"Sequential: its layers make {nodes:,} nodes per forward pass, more than {MAX_NODES:,}: a graph of "
                "scalar nodes that large does not fit in memory; use fewer filters, a stride or pooling, or a smaller "
                "image"
            )
        for i, layer in enumerate(items):
            layer.relabel(i)  # type: ignore[attr-defined]  # labels by position: C0.F3.w0.1.2, L4.N3.w1
        self.nin = math.prod(self.input_shape)
        if seed is not None:
            self._reseed(seed)

    def _check_shapes(self) -> list[Shape]:
        """Every layer's output shape; ShapeError naming the first layer that does not fit."""
        shapes = []
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            where = f"Sequential: layer {i} ({_describe(layer)})"
            if isinstance(layer, Layer):
                if len(shape) != 1:
                    raise ShapeError(
                        f"{where} takes a vector of {layer.nin} but gets an image of shape {shape}; put Flatten() "
                        f"before it (it would get {math.prod(shape)} inputs)"
                    )
                if shape[0] != layer.nin:
                    raise ShapeError(f"{where} takes {layer.nin} inputs but gets {shape[0]} (shape {shape})")
                if layer._layerwise is not None and i != len(self.layers) - 1:
                    raise ConfigError(f"{where}: {layer.activation} is only supported on the last layer")
                shape = (layer.nout,)
            else:
                if isinstance(layer, Activation) and layer._layerwise and i != len(self.layers) - 1:
                    raise ConfigError(f"{where}: {layer.name} is only supported as the last layer")
                shape = layer.output_shape(shape, where)  # type: ignore[attr-defined]
            shapes.append(shape)
        return shapes

    def _reseed(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        for layer in self.layers:
            if isinstance(layer, Conv2d):
                fresh = Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, seed=rng)
                layer.set_weights(*fresh.weights())
            elif isinstance(layer, Layer):
                from .layers import init_weights

                W, b = init_weights("auto", layer.activation, layer.nin, layer.nout, rng)
                _set_dense(layer, W, b, 0)

    # --- forward ----------------------------------------------------------------------

    @property
    def output_shape(self) -> Shape:
        """The shape of one sample's output.

        Example:
            >>> from nn import Flatten
            >>> Sequential(Flatten(), input_shape=(2, 3, 3)).output_shape
            (18,)
        """
        return self._shapes[-1]

    def _inputs(self, x: Any) -> list[Any]:
        shape = self.input_shape
        if type(x) is np.ndarray or (isinstance(x, (list, tuple)) and x and isinstance(x[0], (list, tuple))):
            try:
                arr = np.asarray(x, dtype=np.float64)
            except (TypeError, ValueError):
                raise OperandTypeError("Sequential: the input array must hold numbers") from None
            if arr.shape == shape and len(shape) > 1:  # one image
                arr = arr.reshape(-1)
            elif arr.ndim == len(shape) + 1 and arr.shape[1:] == shape and len(shape) > 1:  # a batch of images
                arr = arr.reshape(arr.shape[0], -1)
            elif arr.ndim not in (1, 2) or arr.shape[-1] != self.nin:
                raise ShapeError(
                    f"Sequential: got an input of shape {arr.shape}; expected a batch (n, {self.nin}) or "
                    f"(n, {', '.join(map(str, shape))}), or one sample {shape}"
                )
            x = arr
        return _prepare(x, self.nin, "Sequential")

    def __call__(self, x: Any) -> Value | list[Value]:
        """Forward pass: one Value for a single output, else a list (flat, in PyTorch's order).

        Example:
            >>> from nn import Layer
            >>> Sequential(Layer(2, 1, "linear", weights=[[1.0, 2.0]]))([1.0, 1.0]).data
            3.0
        """
        xs = self._inputs(x)
        if any(type(v) is float for v in xs) and not all(type(v) is float for v in xs):
            raise ShapeError("Sequential: mix of numbers and laned Values in one input")
        shape = self.input_shape
        for layer, out_shape in zip(self.layers, self._shapes):
            xs = layer._forward(xs, False) if isinstance(layer, Layer) else layer._forward(xs, shape)
            shape = out_shape
        return xs[0] if len(xs) == 1 else xs

    # --- parameters and weights -------------------------------------------------------

    def parameters(self) -> list[Value]:
        """Layer by layer (a filter's weights then its bias; a neuron's weights then its bias).

        Example:
            >>> from nn import Conv2d
            >>> len(Sequential(Conv2d(1, 2, 3), input_shape=(1, 5, 5)).parameters())
            20
        """
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def activations(self) -> list[str]:
        """The activation of every layer that has one (dense layers and activation items), output last.

        Example:
            >>> from nn import Flatten, Layer
            >>> Sequential(Flatten(), Layer(4, 2, "tanh"), "softmax", input_shape=(1, 2, 2)).activations
            ['tanh', 'softmax']
        """
        names = []
        for layer in self.layers:
            if isinstance(layer, Layer):
                names.append(layer.activation)
            elif isinstance(layer, Activation):
                names.append(layer.name)
        return names

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(Ws, bs) of the layers with parameters, in order, in PyTorch's layouts.

        A Conv2d's W has shape (out_channels, in_channels, kh, kw), a dense Layer's (nout, nin).

        Example:
            >>> from nn import Conv2d, Flatten, Layer
            >>> Ws, bs = Sequential(Conv2d(1, 2, 3), Flatten(), Layer(18, 1), input_shape=(1, 5, 5)).weights()
            >>> [W.shape for W in Ws], [b.shape for b in bs]
            ([(2, 1, 3, 3), (1, 18)], [(2,), (1,)])
        """
        Ws, bs = [], []
        for layer in self.layers:
            if isinstance(layer, Conv2d):
                W, b = layer.weights()
            elif isinstance(layer, Layer):
                W, b = dense_weights(layer)
            else:
                continue
            Ws.append(W)
            bs.append(b)
        return Ws, bs

    def set_weights(self, Ws: Sequence[Any], bs: Sequence[Any]) -> None:
        """Set the weights of every layer with parameters, in order (as ``weights()`` gives them).

        Every shape is checked before anything changes; an error names the layer.

        Example:
            >>> from nn import Conv2d
            >>> model = Sequential(Conv2d(1, 1, 1), input_shape=(1, 2, 2))
            >>> model.set_weights([np.full((1, 1, 1, 1), 3.0)], [[0.0]]); model([1.0, 2.0, 3.0, 4.0])[1].data
            6.0
        """
        owners = [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, (Conv2d, Layer))]
        if not isinstance(Ws, Sequence) or not isinstance(bs, Sequence) or isinstance(Ws, str):
            raise OperandTypeError("Sequential: Ws and bs must be lists of arrays (one per layer with parameters)")
        if len(Ws) != len(owners) or len(bs) != len(owners):
            raise ShapeError(
                f"Sequential: got {len(Ws)} weight arrays and {len(bs)} bias vectors for {len(owners)} layers"
            )
        checked = []
        for (i, layer), W, b in zip(owners, Ws, bs):
            if isinstance(layer, Conv2d):
                checked.append(layer._check_weights(W, b, f"Sequential: layer {i} ({_describe(layer)})"))
            else:
                checked.append(_check_dense(layer, W, b, i))
        for (i, layer), (W, b) in zip(owners, checked):
            if isinstance(layer, Conv2d):
                layer.set_weights(W, b)
            else:
                _set_dense(layer, W, b, i)

    @classmethod
    def from_weights(cls, layers: Sequence[Any], Ws: Sequence[Any], bs: Sequence[Any], input_shape: Any) -> Sequential:
        """Build a Sequential from its layers and explicit weights (PyTorch's layouts, see ``weights``).

        Example:
            >>> from nn import Conv2d, Flatten, Layer
            >>> model = Sequential.from_weights([Conv2d(1, 1, 2), Flatten(), Layer(1, 1, "linear")],
            ...                                 [np.ones((1, 1, 2, 2)), [[2.0]]], [[0.0], [1.0]], (1, 2, 2))
            >>> model([1.0, 2.0, 3.0, 4.0]).data  # 2 * (1 + 2 + 3 + 4) + 1
            21.0
        """
        model = cls(*layers, input_shape=input_shape)
        model.set_weights(Ws, bs)
        return model

    # --- summary and files ------------------------------------------------------------

    def summary(self) -> str:
        """A Keras-like table: each layer, its output shape and parameter count, and the total.

        Example:
            >>> from nn import Flatten
            >>> print(Sequential(Flatten(), input_shape=(1, 2, 2)).summary().splitlines()[0])
            Sequential: (1, 2, 2) -> (4,)
        """
        rows = [
            (str(i), _describe(layer), str(shape), str(len(layer.parameters())))
            for i, (layer, shape) in enumerate(zip(self.layers, self._shapes))
        ]
        head = ("layer", "type", "output shape", "params")
        title = f"Sequential: {self.input_shape} -> {self.output_shape}"
        return summary_table(title, head, rows, ("  ", " ", "  "))

    def __repr__(self) -> str:
        if not hasattr(self, "_shapes"):  # __init__ refused the layers
            return "Sequential(<not built>)"
        return self.summary()

    def config(self) -> dict[str, Any]:
        """The architecture as JSON data (the ``config`` entry of a saved model).

        Example:
            >>> from nn import Flatten
            >>> Sequential(Flatten(), "relu", input_shape=(1, 2, 2)).config()  # doctest: +NORMALIZE_WHITESPACE
            {'type': 'Sequential', 'input_shape': [1, 2, 2],
             'layers': [{'type': 'Flatten'}, {'type': 'Activation', 'activation': 'relu'}]}
        """
        return {
            "type": "Sequential",
            "input_shape": list(self.input_shape),
            "layers": [x.config() for x in self.layers],
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sequential:
        """A zero-weight Sequential from ``config()`` data (for ``Sequential.load``); strict (``nn.modelfile``).

        Example:
            >>> Sequential.from_config({"type": "Sequential", "input_shape": [4],
            ...     "layers": [{"type": "Layer", "nin": 4, "nout": 2, "activation": "relu"}]}).output_shape
            (2,)
        """
        check_config(config, "Sequential")
        shape, layers = config["input_shape"], config["layers"]
        built = [_layer_from_config(cfg, f"config.layers[{i}]") for i, cfg in enumerate(layers)]
        try:  # check_config has checked that the shapes chain; the node count is checked here
            return cls(*built, input_shape=tuple(shape))
        except (ShapeError, ConfigError) as err:
            raise ModelFileError(f"config: {err}") from None


def _check_dense(layer: Layer, W: Any, b: Any, position: int) -> tuple[np.ndarray, np.ndarray]:
    who = f"Sequential: layer {position} ({_describe(layer)})"
    try:
        W = np.array(W, dtype=np.float64)
        b = np.array(b, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ConfigError(f"{who}: weights and biases must be numbers") from None
    if W.shape != (layer.nout, layer.nin):
        raise ShapeError(f"{who}: W must have shape {(layer.nout, layer.nin)} (nout x nin), got {W.shape}")
    if b.shape != (layer.nout,):
        raise ShapeError(f"{who}: b must have shape ({layer.nout},), got {b.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise DomainError(f"{who}: a weight or bias is not finite")
    return W, b


def _set_dense(layer: Layer, W: np.ndarray, b: np.ndarray, position: int) -> None:
    for neuron, row, bias in zip(layer.neurons, W.tolist(), b.tolist()):
        for w, v in zip(neuron.w, row):
            w.data = v
        neuron.b.data = bias
