"""The bridge to PyTorch: ``to_torch``, ``from_torch`` and ``export_onnx``.

PyTorch is optional (``pip install 'autograd-core[torch]'``) and is imported only inside these
functions, so ``import nn`` never imports it. Without it every function here raises
``MissingDependencyError`` (an ``ImportError``) that says how to install it.

Both directions go through two tables, one entry per kind of layer: ``_TO_TORCH`` maps a
layer of this library to the PyTorch modules that compute the same thing, and
``from_torch``'s table maps a PyTorch module class to a step of an imported model. An MLP
layer ``Layer(nin, nout, g)`` is ``Linear(nin, nout)`` followed by g's module (none for
linear); weights are copied exactly in float64, W of shape (nout, nin) being ``Linear.weight``.
``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` and ``Flatten`` of a ``Sequential`` are PyTorch's
modules of the same names and arguments (a filter's weights (in-channel, row, column) being
``conv.weight[f]``), an ``Activation`` item its activation's module; a Sequential whose input
is an image starts with ``Unflatten(1, (C, H, W))``, so both take the same flat rows.

=============  ===========================================
activation     PyTorch module
=============  ===========================================
linear         (none)
relu           ReLU()
tanh           Tanh()
sigmoid        Sigmoid()
leaky_relu     LeakyReLU(0.01)
elu            ELU(alpha=1.0)
softplus       Softplus(beta=1.0, threshold=40.0)
softmax        Softmax(dim=-1)  (output layer only)
=============  ===========================================

Softplus gets threshold 40 (PyTorch's default is 20): PyTorch returns z itself above the
threshold, and beyond 40 that is exact in float64, so both sides agree to rounding for every z.

Example:
    >>> import numpy as np
    >>> from nn import MLP, from_torch
    >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> net = model.to_torch()
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> back = from_torch(net)
    >>> all(np.array_equal(a, b) for a, b in zip(back.weights()[0], model.weights()[0]))
    True
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd_core import OperandTypeError, ShapeError
from autograd_core.errors import excerpt

from .conv import Activation, AvgPool2d, Conv2d, Flatten, MaxPool2d, pair
from .data import MissingDependencyError
from .errors import ConfigError, ConversionError
from .layers import MLP, Layer, Linear
from .sequential import Sequential
from .sequential import _shape as sequential_shape

__all__ = ["INSTALL", "export_onnx", "from_torch", "to_torch"]

INSTALL = "pip install 'autograd-core[torch]'"

# The activation names of this library and the PyTorch module that computes each (by class
# name and keyword arguments); "linear" has none.
_ACTIVATION_MODULES: Mapping[str, tuple[str, Mapping[str, Any]] | None] = {
    "linear": None,
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    "elu": ("ELU", {"alpha": 1.0}),
    "softplus": ("Softplus", {"beta": 1.0, "threshold": 40.0}),
    "softmax": ("Softmax", {"dim": -1}),
}


def _torch(who: str) -> Any:
    """The torch module, or MissingDependencyError naming ``who`` and the install command."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            f"{who} needs PyTorch, which is not installed; install it with: {INSTALL}"
        ) from None
    return torch


def _same(got: Any, wanted: Any) -> bool:
    """``got == wanted`` for a module's option, False when the comparison fails or is not a truth value."""
    try:
        return bool(got == wanted)
    except Exception:  # an array or an odd object set on a module by hand
        return False


# --- to PyTorch ----------------------------------------------------------------------------


def _layer_matrices(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """A dense layer's W (nout x nin) and b (nout,), read through ``parameters()``.

    ``Layer.parameters()`` is each neuron's weights then its bias, neuron by neuron, so the
    rows of the (nout, nin + 1) reshape are [w_j | b_j].
    """
    flat = np.array([p.data for p in layer.parameters()], dtype=np.float64)
    rows = flat.reshape(layer.nout, layer.nin + 1)
    return rows[:, :-1].copy(), rows[:, -1].copy()


def _activation_module(torch: Any, name: str, where: str) -> list[Any]:
    if name not in _ACTIVATION_MODULES:
        raise ConversionError(
            f"to_torch: {where} has the custom activation {excerpt(name)}, which has no PyTorch counterpart; "
            f"supported: {', '.join(_ACTIVATION_MODULES)}"
        )
    spec = _ACTIVATION_MODULES[name]
    if spec is None:
        return []
    cls_name, kwargs = spec
    return [getattr(torch.nn, cls_name)(**kwargs)]


def _dense_to_torch(torch: Any, layer: Layer, where: str) -> list[Any]:
    W, b = _layer_matrices(layer)
    linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(W))
        linear.bias.copy_(torch.from_numpy(b))
    return [linear, *_activation_module(torch, layer.activation, where)]


def _conv_to_torch(torch: Any, layer: Conv2d, where: str) -> list[Any]:
    F, C, (kh, kw) = layer.out_channels, layer.in_channels, layer.kernel_size
    # Conv2d.parameters() is filter by filter: its weights in (in-channel, row, column) order,
    # then its bias, so row f of the (F, C*kh*kw + 1) reshape is [W[f].ravel() | b[f]].
    rows = np.array([p.data for p in layer.parameters()], dtype=np.float64).reshape(F, C * kh * kw + 1)
    conv = torch.nn.Conv2d(C, F, layer.kernel_size, layer.stride, layer.padding, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(rows[:, :-1].reshape(F, C, kh, kw).copy()))
        conv.bias.copy_(torch.from_numpy(rows[:, -1].copy()))
    return [conv]


def _pool_to_torch(torch: Any, layer: MaxPool2d | AvgPool2d, where: str) -> list[Any]:
    cls = torch.nn.MaxPool2d if isinstance(layer, MaxPool2d) else torch.nn.AvgPool2d
    return [cls(layer.kernel_size, layer.stride)]  # no padding here, so count_include_pad has no effect


# One entry per layer class of this library: (torch, layer, "layer i (Class)") -> modules.
_TO_TORCH: Mapping[type, Callable[[Any, Any, str], list[Any]]] = {
    Layer: _dense_to_torch,
    Linear: _dense_to_torch,
    Conv2d: _conv_to_torch,
    MaxPool2d: _pool_to_torch,
    AvgPool2d: _pool_to_torch,
    Flatten: lambda torch, layer, where: [torch.nn.Flatten()],
    Activation: lambda torch, layer, where: _activation_module(torch, layer.name, where),
}


def _layers_of(model: Any) -> list[Any]:
    if type(model) in _TO_TORCH:
        return [model]
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)) and layers:
        return list(layers)
    raise ConversionError(
        f"to_torch: a {type(model).__name__} cannot be converted; supported: an MLP, a Sequential, a Layer "
        f"(or a model whose .layers are {', '.join(t.__name__ for t in _TO_TORCH)})"
    )


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Sequential`` in float64 computing what ``model`` computes, with the same weights.

    ``model`` is an MLP, a single Layer or a ``Sequential``. A dense layer becomes ``Linear``
    plus its activation's module (see the module's table); ``Conv2d``, ``MaxPool2d``,
    ``AvgPool2d`` and ``Flatten`` become PyTorch's module of the same name and arguments, an
    activation item its module. A Sequential whose input is an image starts with
    ``Unflatten(1, (C, H, W))``, so the PyTorch model takes the same input as this one, a
    batch of flat rows (n, C·H·W) in (channel, row, column) order; ``net[1:]`` takes (n, C, H, W).

    Nothing is shared, so training either copy leaves the other alone. For the same batch and
    loss, outputs and parameter gradients agree with this engine's to rounding (1e-12). The
    PyTorch model returns shape (batch, nout) where ours returns one Value (nout == 1) or a
    list of Values.

    Raises ``ConversionError`` naming the first layer that has no PyTorch counterpart (a
    custom activation), and ``MissingDependencyError`` without PyTorch.

    Example:
        >>> from nn import MLP, Conv2d, Flatten, Layer, MaxPool2d, Sequential
        >>> net = to_torch(MLP(2, [4, 1], activation="relu", seed=0))
        >>> [type(m).__name__ for m in net], net[0].weight.dtype
        (['Linear', 'ReLU', 'Linear'], torch.float64)
        >>> cnn = Sequential(Conv2d(1, 2, 3, padding=1), "relu", MaxPool2d(2), Flatten(), Layer(8, 3, "linear"),
        ...                  input_shape=(1, 4, 4), seed=0)
        >>> [type(m).__name__ for m in to_torch(cnn)]
        ['Unflatten', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear']
    """
    torch = _torch("to_torch")
    layers = _layers_of(model)
    modules: list[Any] = []
    if isinstance(model, Sequential) and len(model.input_shape) == 3:
        modules.append(torch.nn.Unflatten(1, model.input_shape))
    for i, layer in enumerate(layers):
        convert = _TO_TORCH.get(type(layer))
        where = f"layer {i} ({type(layer).__name__})"
        if convert is None:
            raise ConversionError(
                f"to_torch: {where} has no PyTorch counterpart; supported: {', '.join(t.__name__ for t in _TO_TORCH)}"
            )
        modules += convert(torch, layer, where)
    return torch.nn.Sequential(*modules)


# --- from PyTorch --------------------------------------------------------------------------


def _array(torch: Any, tensor: Any, where: str) -> np.ndarray:
    """A tensor (or array-like) as a float64 NumPy array; float32/16 widen exactly."""
    if isinstance(tensor, torch.Tensor):
        if tensor.is_complex() or not (tensor.is_floating_point() or tensor.dtype in (torch.int32, torch.int64)):
            raise ConversionError(f"from_torch: {where} holds {tensor.dtype} numbers; expected real floats")
        arr = tensor.detach().to("cpu", torch.float64).numpy().copy()
    else:
        try:
            arr = np.array(tensor, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConversionError(f"from_torch: {where} is not an array of numbers: {excerpt(tensor, 60)}") from None
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"from_torch: {where} holds a non-finite number")
    return arr


def _check_kwargs(module: Any, where: str, wanted: Mapping[str, Any]) -> None:
    for attr, value in wanted.items():
        got = getattr(module, attr, None)
        if not _same(got, value):
            raise ConversionError(
                f"from_torch: {where}: only {attr}={value!r} is supported (this library's "
                f"{type(module).__name__}), got {attr}={excerpt(got)}"
            )


def _activation_step(name: str, wanted: Mapping[str, Any]) -> Callable[[Any, Any, str], tuple[str, Any]]:
    def step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
        _check_kwargs(module, where, wanted)
        return ("activation", name)

    return step


def _linear_step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
    if module.bias is None:
        raise ConversionError(f"from_torch: {where} has no bias (bias=False); this library's layers always have one")
    return ("linear", (_array(torch, module.weight, f"{where}.weight"), _array(torch, module.bias, f"{where}.bias")))


def _refuse_options(module: Any, where: str, wanted: Mapping[str, Any], why: str) -> None:
    """ConversionError naming the first option of ``module`` that is not the one this library computes."""
    for attr, value in wanted.items():
        got = getattr(module, attr, value)
        if not _same(got, value) and not (isinstance(value, tuple) and len(set(value)) == 1 and _same(got, value[0])):
            raise ConversionError(
                f"from_torch: {where}: {attr}={excerpt(got)} is not supported; only {attr}={value!r} ({why})"
            )


def _conv_step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
    why = "this library's Conv2d is a plain zero-padded convolution"
    _refuse_options(module, where, {"padding_mode": "zeros", "dilation": (1, 1), "groups": 1}, why)
    if module.bias is None:
        raise ConversionError(f"from_torch: {where} has no bias (bias=False); this library's Conv2d always has one")
    kernel, stride, padding = tuple(module.kernel_size), tuple(module.stride), module.padding
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        if any(k % 2 == 0 for k in kernel):  # PyTorch pads an even kernel more on one side
            raise ConversionError(
                f"from_torch: {where}: padding='same' with the even kernel {kernel} pads unevenly; "
                f"only an odd kernel, or padding given as numbers, is supported"
            )
        padding = (kernel[0] // 2, kernel[1] // 2)
    W = _array(torch, module.weight, f"{where}.weight")
    b = _array(torch, module.bias, f"{where}.bias")
    return ("conv", (W, b, kernel, stride, tuple(padding)))


def _pool_step(kind: str) -> Callable[[Any, Any, str], tuple[str, Any]]:
    def step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
        why = f"this library's {kind} has no padding, dilation or ceil_mode"
        wanted: dict[str, Any] = {"padding": (0, 0), "ceil_mode": False}
        if kind == "MaxPool2d":
            wanted.update(dilation=(1, 1), return_indices=False)
        else:  # without padding count_include_pad changes nothing, so either value is fine
            wanted.update(divisor_override=None)
        _refuse_options(module, where, wanted, why)
        try:
            kernel = pair(module.kernel_size, "kernel_size")
            stride = kernel if module.stride is None else pair(module.stride, "stride")
        except ConfigError as err:
            raise ConversionError(f"from_torch: {where}: {err}") from None
        return (kind, (kernel, stride))

    return step


def _flatten_step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
    _refuse_options(module, where, {"start_dim": 1, "end_dim": -1}, "it keeps the batch dimension, as ours")
    return ("flatten", None)


def _unflatten_step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
    size = tuple(module.unflattened_size)
    if (
        not (_same(module.dim, 1) or _same(module.dim, -1))
        or len(size) != 3
        or not all(isinstance(n, int) and n >= 1 for n in size)
    ):
        raise ConversionError(
            f"from_torch: {where}: only Unflatten(1, (channels, height, width)) as the first module is supported"
        )
    return ("unflatten", size)


def _from_torch_table(torch: Any) -> dict[type, Callable[[Any, Any, str], tuple[str, Any]]]:
    """One entry per importable PyTorch module class (exact class: a subclass may change forward)."""
    nn = torch.nn
    table: dict[type, Callable[[Any, Any, str], tuple[str, Any]]] = {
        nn.Linear: _linear_step,
        nn.Conv2d: _conv_step,
        nn.MaxPool2d: _pool_step("MaxPool2d"),
        nn.AvgPool2d: _pool_step("AvgPool2d"),
        nn.Flatten: _flatten_step,
        nn.Unflatten: _unflatten_step,
        nn.Identity: lambda torch, module, where: ("skip", None),
        # Softplus: PyTorch's threshold only linearises far out (a difference below 2.1e-9 at its
        # default of 20); beta changes the function, so it must be 1.
        nn.Softplus: _activation_step("softplus", {"beta": 1.0}),
        nn.Softmax: _softmax_step,
    }
    for name, spec in _ACTIVATION_MODULES.items():
        if spec is not None and spec[0] not in ("Softplus", "Softmax"):
            table[getattr(nn, spec[0])] = _activation_step(name, spec[1])
    return table


def _softmax_step(torch: Any, module: Any, where: str) -> tuple[str, Any]:
    if not (_same(module.dim, -1) or _same(module.dim, 1)):
        raise ConversionError(
            f"from_torch: {where}: only Softmax over the features (dim=-1 or 1), dim={excerpt(module.dim)}"
        )
    return ("activation", "softmax")


def _flatten(module: Any, prefix: str, torch: Any) -> list[tuple[str, Any]]:
    """The leaf modules of (nested) Sequentials, with their dotted names."""
    if type(module) is torch.nn.Sequential:
        out: list[tuple[str, Any]] = []
        for name, child in module.named_children():
            out += _flatten(child, f"{prefix}{name}.", torch)
        return out
    return [(prefix[:-1], module)]


def _module_steps(torch: Any, module: Any) -> list[tuple[str, Any]]:
    if type(module) is torch.nn.Sequential:
        leaves = _flatten(module, "", torch)
    elif type(module) is torch.nn.Linear:
        leaves = [("", module)]
    else:
        raise ConversionError(
            f"from_torch: module {type(module).__name__} is not a torch.nn.Sequential, so the order of its "
            f"layers is its own forward code; pass a Sequential, or its state_dict() with sizes=[nin, ..., nout]"
        )
    if not leaves:
        raise ConversionError("from_torch: the Sequential is empty")
    table = _from_torch_table(torch)
    steps = []
    for name, leaf in leaves:
        where = f"module {excerpt(name)} ({excerpt(leaf, 60)})" if name else f"module {excerpt(leaf, 60)}"
        step = table.get(type(leaf))
        if step is None:
            supported = sorted({cls.__name__ for cls in table})
            raise ConversionError(f"from_torch: {where} cannot be imported; supported modules: {', '.join(supported)}")
        kind, payload = step(torch, leaf, where)
        if kind != "skip":
            steps.append((kind, payload, where))
    return steps


def _mlp_from_steps(steps: list[tuple[str, Any, str]]) -> MLP:
    """Linear, then at most one activation, per layer; everything checked before building."""
    Ws: list[np.ndarray] = []
    bs: list[np.ndarray] = []
    names: list[str] = []
    open_layer = False  # True right after a Linear, until its activation
    for kind, payload, where in steps:
        if kind == "linear":
            W, b = payload
            if Ws and W.shape[1] != Ws[-1].shape[0]:
                raise ConversionError(
                    f"from_torch: {where} takes {W.shape[1]} inputs but the layer before it gives {Ws[-1].shape[0]}"
                )
            Ws.append(W)
            bs.append(b)
            names.append("linear")
            open_layer = True
        else:
            if not open_layer:
                raise ConversionError(
                    f"from_torch: {where} does not follow a Linear; a layer here is one Linear and at most one "
                    f"activation after it"
                )
            names[-1] = payload
            open_layer = False
    if not Ws:
        raise ConversionError("from_torch: the model has no Linear layer")
    for i, name in enumerate(names[:-1]):
        if name == "softmax":
            raise ConversionError(f"from_torch: layer {i}: softmax is only supported on the output layer")
    return MLP.from_weights(Ws, bs, names)


_IMAGE_STEPS = ("conv", "MaxPool2d", "AvgPool2d", "flatten", "unflatten")


def _sequential_from_steps(steps: list[tuple[str, Any, str]], input_shape: Any) -> Sequential:
    """A Sequential from the steps: shapes followed module by module, everything checked before building.

    A Linear takes the activation right after it (``Layer(nin, nout, g)``); any other
    activation becomes an ``Activation`` item.
    """
    if steps and steps[0][0] == "unflatten":
        shape = steps[0][1]
        if input_shape is not None and tuple(input_shape) != shape:
            raise ConversionError(
                f"from_torch: input_shape={excerpt(tuple(input_shape))} but {steps[0][2]} gives {shape}"
            )
        steps = steps[1:]
    elif input_shape is not None:
        try:
            shape = sequential_shape(input_shape)
        except ConfigError as err:
            raise ConversionError(f"from_torch: {err}") from None
    elif steps and steps[0][0] == "linear":
        shape = (steps[0][1][0].shape[1],)
    elif len(steps) > 1 and steps[0][0] == "flatten" and steps[1][0] == "linear":
        shape = (steps[1][1][0].shape[1],)  # Flatten, Linear(nin, ...): flat rows of nin go in
    else:
        where = steps[0][2] if steps else "the Sequential"
        raise ConversionError(
            f"from_torch: {where} comes first, so the image size is not known: pass input_shape=(channels, height, "
            f"width), or put torch.nn.Unflatten(1, (channels, height, width)) first"
        )
    start = shape
    items: list[Any] = []
    last = len(steps) - 1
    for k, (kind, payload, where) in enumerate(steps):
        try:
            if kind == "unflatten":
                raise ConversionError(f"from_torch: {where}: Unflatten is only supported as the first module")
            if kind == "linear":
                W, b = payload
                if len(shape) != 1:
                    raise ConversionError(
                        f"from_torch: {where} takes a vector but gets an image of shape {shape}; a Flatten must "
                        f"come before it"
                    )
                if W.shape[1] != shape[0]:
                    raise ConversionError(f"from_torch: {where} takes {W.shape[1]} inputs but gets {shape[0]}")
                items.append(Layer(W.shape[1], W.shape[0], "linear", weights=W, biases=b))
                shape = (W.shape[0],)
                continue
            if kind == "activation":
                if payload == "softmax" and k != last:
                    raise ConversionError(f"from_torch: {where}: softmax is only supported as the last module")
                if payload == "softmax" and len(shape) != 1:
                    raise ConversionError(f"from_torch: {where}: softmax needs a vector, got shape {shape}")
                prev = items[-1] if items else None
                if isinstance(prev, Layer) and prev.activation == "linear" and steps[k - 1][0] == "linear":
                    W, b = steps[k - 1][1]
                    items[-1] = Layer(prev.nin, prev.nout, payload, weights=W, biases=b)
                else:
                    items.append(Activation(payload))
                continue
            if kind == "conv":
                W, b, kernel, stride, padding = payload
                layer: Any = Conv2d(W.shape[1], W.shape[0], kernel, stride, padding, weights=W, bias=b)
            elif kind in ("MaxPool2d", "AvgPool2d"):
                layer = (MaxPool2d if kind == "MaxPool2d" else AvgPool2d)(*payload)
            else:
                layer = Flatten()
            shape = layer.output_shape(shape, f"from_torch: {where}")
            items.append(layer)
        except (ShapeError, ConfigError) as err:
            if isinstance(err, ConversionError):
                raise
            text = str(err)
            raise ConversionError(text if text.startswith("from_torch") else f"from_torch: {where}: {text}") from None
    if not items:
        raise ConversionError("from_torch: the Sequential has no layers to import")
    return Sequential(*items, input_shape=start)


def _state_dict_steps(
    torch: Any,
    state: Mapping[str, Any],
    sizes: Sequence[int] | None,
    activation: str | Sequence[str],
    output_activation: str,
) -> list[tuple[str, Any, str]]:
    items = list(state.items())
    if not items:
        raise ConversionError("from_torch: the state_dict is empty")
    for k, (key, _) in enumerate(items):
        suffix = "bias" if k % 2 else "weight"
        if not isinstance(key, str) or not key.endswith(suffix):
            raise ConversionError(
                f"from_torch: state_dict entry {excerpt(key)} cannot be imported; expected '<layer>.{suffix}' "
                f"(an MLP's entries alternate weight, bias, layer by layer)"
            )
        if k % 2 and key[: -len("bias")] != items[k - 1][0][: -len("weight")]:
            raise ConversionError(
                f"from_torch: state_dict entry {excerpt(key)} is not the bias of {excerpt(items[k - 1][0])}"
            )
    if len(items) % 2:
        raise ConversionError(f"from_torch: state_dict entry {excerpt(items[-1][0])} has no bias after it")
    pairs = []
    for k in range(0, len(items), 2):
        (wkey, wval), (bkey, bval) = items[k], items[k + 1]
        W, b = _array(torch, wval, f"state_dict[{excerpt(wkey)}]"), _array(torch, bval, f"state_dict[{excerpt(bkey)}]")
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ConversionError(
                f"from_torch: state_dict[{excerpt(wkey)}] has shape {W.shape} and its bias {b.shape}; a Linear layer's "
                f"are (nout, nin) and (nout,) (for a convolutional model pass the torch.nn.Sequential itself)"
            )
        pairs.append((W, b, wkey))
    if sizes is not None:
        sizes = [int(n) for n in sizes]
        implied = [pairs[0][0].shape[1], *(W.shape[0] for W, _, _ in pairs)]
        if sizes != implied:
            raise ConversionError(
                f"from_torch: sizes={excerpt(sizes)} but the state_dict's layers are {excerpt(implied)}"
            )
    n = len(pairs)
    if isinstance(activation, (list, tuple)):
        if len(activation) != n - 1:
            raise ConversionError(f"from_torch: got {len(activation)} hidden activations for {n - 1} hidden layers")
        names = [*activation, output_activation]
    else:
        names = [activation] * (n - 1) + [output_activation]
    steps: list[tuple[str, Any, str]] = []
    for (W, b, key), name in zip(pairs, names, strict=True):
        where = f"state_dict[{excerpt(key)}]"
        steps.append(("linear", (W, b), where))
        steps.append(("activation", name, where))
    return steps


def from_torch(
    source: Any,
    sizes: Sequence[int] | None = None,
    activation: str | Sequence[str] = "relu",
    output_activation: str = "linear",
    *,
    input_shape: Sequence[int] | None = None,
) -> MLP | Sequential:
    """An MLP or a Sequential with the weights of a PyTorch model (copied exactly, widened to float64).

    ``source`` is a ``torch.nn.Sequential`` (nested ones are flattened) of ``Linear`` layers,
    each followed by at most one of ReLU, Tanh, Sigmoid, LeakyReLU(0.01), ELU(1.0),
    Softplus(beta=1), Softmax (last only): that gives an ``MLP``; ``Identity`` is skipped.
    With ``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` or ``Flatten`` among them it gives a
    ``Sequential`` (a Linear takes the activation right after it, any other activation is an
    ``Activation`` item); the image size comes from a first ``Unflatten(1, (C, H, W))`` (what
    ``to_torch`` writes) or from ``input_shape=(C, H, W)``. Only the options this library
    computes are accepted; dilation, groups, padding_mode, ceil_mode, pooling padding,
    divisor_override or return_indices other than PyTorch's defaults are refused by name.

    Or ``source`` is an MLP's ``state_dict`` (weight, bias, layer by layer) with the layer
    ``sizes`` ``[nin, ..., nout]`` and the activations by name, as ``MLP`` takes them.

    Everything is checked before anything is built: a module that cannot be imported raises
    ``ConversionError`` naming the first one (its name in the Sequential and what it is).

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        >>> from_torch(net).activations
        ['tanh', 'linear']
        >>> from_torch(net.state_dict(), sizes=[2, 8, 1], activation="tanh").nouts
        [8, 1]
        >>> T = torch.nn
        >>> cnn = T.Sequential(T.Conv2d(1, 4, 3), T.ReLU(), T.MaxPool2d(2), T.Flatten(), T.Linear(16, 2))
        >>> from_torch(cnn, input_shape=(1, 6, 6)).output_shape
        (2,)
        >>> from_torch(T.Sequential(T.Conv2d(1, 4, 3, dilation=2)), input_shape=(1, 6, 6))
        Traceback (most recent call last):
        ...
        nn.errors.ConversionError: from_torch: module '0' (Conv2d(1, 4, ...): dilation=(2, 2) is not supported; ...
    """
    torch = _torch("from_torch")
    if isinstance(source, torch.nn.Module):
        if sizes is not None:
            raise ConversionError("from_torch: sizes= goes with a state_dict; a module's sizes come from its layers")
        steps = _module_steps(torch, source)
        if input_shape is None and not any(kind in _IMAGE_STEPS for kind, _, _ in steps):
            return _mlp_from_steps(steps)
        return _sequential_from_steps(steps, input_shape)
    if isinstance(source, Mapping):
        if input_shape is not None:
            raise ConversionError(
                "from_torch: input_shape= goes with a module; a state_dict is read as an MLP's (pass the Sequential "
                "itself for a convolutional model)"
            )
        return _mlp_from_steps(_state_dict_steps(torch, source, sizes, activation, output_activation))
    raise OperandTypeError(
        f"from_torch: expected a torch.nn.Sequential or a state_dict, got {type(source).__name__} {excerpt(source, 40)}"
    )


# --- ONNX ----------------------------------------------------------------------------------

ONNX_DTYPES = ("float32", "float64")


def export_onnx(model: Any, path: str | os.PathLike[str], dtype: str = "float32") -> dict[str, Any]:
    """Write ``model`` as an ONNX file through ``torch.onnx`` (its TorchScript exporter).

    The graph takes ``input`` of shape (batch, nin) and gives ``output`` of shape
    (batch, nout), the batch size free; for a convolutional ``Sequential`` nin is C·H·W,
    one flat row per image in (channel, row, column) order, as the model here takes it.
    ``dtype="float32"`` (the default) is what onnxruntime and most deployments run;
    ``"float64"`` keeps the weights exact, but onnxruntime's CPU kernels for LeakyRelu, Elu,
    Softplus, Conv and AveragePool are float32-only. When the
    ``onnx`` package is installed the file is checked with ``onnx.checker``. Returns a
    summary: path, dtype, opset, input and output names and widths, and whether it was checked.

    Example:
        >>> import os, tempfile
        >>> from nn import MLP
        >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
        >>> info = export_onnx(MLP(2, [3, 1], seed=0), path)
        >>> info["inputs"], info["outputs"]
        ({'input': 2}, {'output': 1})
    """
    torch = _torch("export_onnx")
    if not isinstance(dtype, str) or dtype not in ONNX_DTYPES:
        raise ConversionError(f"export_onnx: dtype must be one of {', '.join(ONNX_DTYPES)}, got {excerpt(dtype, 20)}")
    net = to_torch(model)
    if not isinstance(model, (MLP, Layer, Sequential)):
        raise ConversionError(f"export_onnx: give an MLP, a Layer or a Sequential, got a {type(model).__name__}")
    nin = int(model.nin)
    net = net.to(getattr(torch, dtype)).eval()
    example = torch.zeros(1, nin, dtype=getattr(torch, dtype))
    with torch.no_grad():
        out_shape = tuple(net(example).shape[1:])
    nout: int | tuple[int, ...] = out_shape[0] if len(out_shape) == 1 else out_shape
    kwargs: dict[str, Any] = {
        "input_names": ["input"],
        "output_names": ["output"],
        "dynamic_axes": {"input": {0: "batch"}, "output": {0: "batch"}},
    }
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter needs no onnxscript
    torch.onnx.export(net, (example,), os.fspath(path), **kwargs)
    info: dict[str, Any] = {
        "path": os.fspath(path),
        "dtype": dtype,
        "inputs": {"input": nin},
        "outputs": {"output": nout},
        "opset": None,
        "checked": False,
    }
    try:
        import onnx
    except ImportError:
        return info
    proto = onnx.load(os.fspath(path))
    onnx.checker.check_model(proto, full_check=True)
    info["opset"] = next((op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")), None)
    info["checked"] = True
    return info
