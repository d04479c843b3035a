"""The bridge to PyTorch: ``to_torch``, ``from_torch`` and ``export_onnx``.

PyTorch is optional (``pip install 'autograd-core[torch]'``) and is imported only inside these
functions, so ``import nn`` never imports it. Without it every function here raises
``MissingDependencyError`` (an ``ImportError``) that says how to install it.

Both directions go through two tables, one entry per kind of layer: ``_TO_TORCH`` maps a
layer of this library to the PyTorch modules that compute the same thing, and
``from_torch``'s table maps a PyTorch module class to a step of an imported model. An MLP
layer ``Layer(nin, nout, g)`` is ``Linear(nin, nout)`` followed by g's module (none for
linear); weights are copied exactly in float64, W of shape (nout, nin) being ``Linear.weight``.

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

from autograd_core import OperandTypeError

from .data import MissingDependencyError
from .errors import ConversionError
from .layers import MLP, Layer

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


def _short(obj: Any, limit: int = 60) -> str:
    text = " ".join(repr(obj).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
            f"to_torch: {where} has the custom activation {name!r}, which has no PyTorch counterpart; "
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


# One entry per layer class of this library: (torch, layer, "layer i (Class)") -> modules.
_TO_TORCH: Mapping[type, Callable[[Any, Any, str], list[Any]]] = {Layer: _dense_to_torch}


def _layers_of(model: Any) -> list[Any]:
    if type(model) in _TO_TORCH:
        return [model]
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)) and layers:
        return list(layers)
    raise ConversionError(
        f"to_torch: a {type(model).__name__} cannot be converted; supported: an MLP, a Layer "
        f"(or a model whose .layers are {', '.join(t.__name__ for t in _TO_TORCH)})"
    )


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Sequential`` in float64 computing what ``model`` computes, with the same weights.

    ``model`` is an MLP (or a single Layer). Every layer becomes ``Linear`` plus its
    activation's module (see the module's table); nothing is shared, so training either copy
    leaves the other alone. For the same batch and loss, outputs and parameter gradients agree
    with this engine's to rounding (1e-12). The PyTorch model returns shape (batch, nout)
    where ours returns one Value (nout == 1) or a list of Values.

    Raises ``ConversionError`` naming the first layer that has no PyTorch counterpart (a
    custom activation), and ``MissingDependencyError`` without PyTorch.

    Example:
        >>> from nn import MLP
        >>> net = to_torch(MLP(2, [4, 1], activation="relu", seed=0))
        >>> [type(m).__name__ for m in net], net[0].weight.dtype
        (['Linear', 'ReLU', 'Linear'], torch.float64)
    """
    torch = _torch("to_torch")
    layers = _layers_of(model)
    modules: list[Any] = []
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
            raise ConversionError(f"from_torch: {where} is not an array of numbers: {_short(tensor)}") from None
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"from_torch: {where} holds a non-finite number")
    return arr


def _check_kwargs(module: Any, where: str, wanted: Mapping[str, Any]) -> None:
    for attr, value in wanted.items():
        got = getattr(module, attr, None)
        if got != value:
            raise ConversionError(
                f"from_torch: {where}: only {attr}={value!r} is supported (this library's "
                f"{type(module).__name__}), got {attr}={got!r}"
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


def _from_torch_table(torch: Any) -> dict[type, Callable[[Any, Any, str], tuple[str, Any]]]:
    """One entry per importable PyTorch module class (exact class: a subclass may change forward)."""
    nn = torch.nn
    table: dict[type, Callable[[Any, Any, str], tuple[str, Any]]] = {
        nn.Linear: _linear_step,
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
    if module.dim not in (-1, 1):
        raise ConversionError(f"from_torch: {where}: only Softmax over the features (dim=-1 or 1), dim={module.dim}")
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
        where = f"module '{name}' ({_short(leaf)})" if name else f"module {_short(leaf)}"
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
                f"from_torch: state_dict entry {_short(key)} cannot be imported; expected '<layer>.{suffix}' "
                f"(an MLP's entries alternate weight, bias, layer by layer)"
            )
        if k % 2 and key[: -len("bias")] != items[k - 1][0][: -len("weight")]:
            raise ConversionError(f"from_torch: state_dict entry {key!r} is not the bias of {items[k - 1][0]!r}")
    if len(items) % 2:
        raise ConversionError(f"from_torch: state_dict entry {items[-1][0]!r} has no bias after it")
    pairs = []
    for k in range(0, len(items), 2):
        (wkey, wval), (bkey, bval) = items[k], items[k + 1]
        W, b = _array(torch, wval, f"state_dict[{wkey!r}]"), _array(torch, bval, f"state_dict[{bkey!r}]")
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ConversionError(
                f"from_torch: state_dict[{wkey!r}] has shape {W.shape} and its bias {b.shape}; a Linear layer's are "
                f"(nout, nin) and (nout,)"
            )
        pairs.append((W, b, wkey))
    if sizes is not None:
        sizes = [int(n) for n in sizes]
        implied = [pairs[0][0].shape[1], *(W.shape[0] for W, _, _ in pairs)]
        if sizes != implied:
            raise ConversionError(f"from_torch: sizes={sizes} but the state_dict's layers are {implied}")
    n = len(pairs)
    if isinstance(activation, (list, tuple)):
        if len(activation) != n - 1:
            raise ConversionError(f"from_torch: got {len(activation)} hidden activations for {n - 1} hidden layers")
        names = [*activation, output_activation]
    else:
        names = [activation] * (n - 1) + [output_activation]
    steps: list[tuple[str, Any, str]] = []
    for (W, b, key), name in zip(pairs, names, strict=True):
        steps.append(("linear", (W, b), f"state_dict[{key!r}]"))
        steps.append(("activation", name, f"state_dict[{key!r}]"))
    return steps


def from_torch(
    source: Any,
    sizes: Sequence[int] | None = None,
    activation: str | Sequence[str] = "relu",
    output_activation: str = "linear",
) -> MLP:
    """An MLP with the weights of a PyTorch model (copied exactly, widened to float64).

    ``source`` is a ``torch.nn.Sequential`` (nested ones are flattened) of ``Linear`` layers,
    each followed by at most one of ReLU, Tanh, Sigmoid, LeakyReLU(0.01), ELU(1.0),
    Softplus(beta=1), Softmax (last only); ``Identity`` is skipped. Or ``source`` is a
    ``state_dict`` (weight, bias, layer by layer) with the layer ``sizes`` ``[nin, ..., nout]``
    and the activations by name, as ``MLP`` takes them.

    Everything is checked before anything is built: a module that cannot be imported raises
    ``ConversionError`` naming the first one (its name in the Sequential and what it is).

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        >>> from_torch(net).activations
        ['tanh', 'linear']
        >>> from_torch(net.state_dict(), sizes=[2, 8, 1], activation="tanh").nouts
        [8, 1]
    """
    torch = _torch("from_torch")
    if isinstance(source, torch.nn.Module):
        if sizes is not None:
            raise ConversionError("from_torch: sizes= goes with a state_dict; a module's sizes come from its layers")
        return _mlp_from_steps(_module_steps(torch, source))
    if isinstance(source, Mapping):
        return _mlp_from_steps(_state_dict_steps(torch, source, sizes, activation, output_activation))
    raise OperandTypeError(
        f"from_torch: expected a torch.nn.Sequential or a state_dict, got {type(source).__name__} {_short(source, 40)}"
    )


# --- ONNX ----------------------------------------------------------------------------------

ONNX_DTYPES = ("float32", "float64")


def export_onnx(model: Any, path: str | os.PathLike[str], dtype: str = "float32") -> dict[str, Any]:
    """Write ``model`` as an ONNX file through ``torch.onnx`` (its TorchScript exporter).

    The graph takes ``input`` of shape (batch, nin) and gives ``output`` of shape
    (batch, nout), the batch size free. ``dtype="float32"`` (the default) is what
    onnxruntime and most deployments run; ``"float64"`` keeps the weights exact, but
    onnxruntime's CPU kernels for LeakyRelu, Elu and Softplus are float32-only. When the
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
    if dtype not in ONNX_DTYPES:
        raise ConversionError(f"export_onnx: dtype must be one of {', '.join(ONNX_DTYPES)}, got {_short(dtype, 20)}")
    net = to_torch(model)
    nin = net[0].in_features
    nout = [m for m in net if isinstance(m, torch.nn.Linear)][-1].out_features
    net = net.to(getattr(torch, dtype)).eval()
    example = torch.zeros(1, nin, dtype=getattr(torch, dtype))
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
