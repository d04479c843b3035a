"""``backprop export``: a saved model (model.json) to an ONNX file, through PyTorch.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser(); _export_arguments(p)
    >>> p.parse_args(["model.json"]).dtype
    'float32'
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from autograd_core.errors import excerpt
from nn import MLP, Layer, Sequential
from nn.errors import ModelFileError
from nn.module import read_model_file
from nn.torch_bridge import ONNX_DTYPES, export_onnx

HELP = "write a saved model (model.json) as an ONNX file, through PyTorch (extra 'torch')"
EPILOG = """\
examples:
  backprop export runs/moons/model.json -o moons.onnx
  backprop export model.json --dtype float64 -o model.onnx   (exact weights)

MODEL is a file written by `backprop train` or model.save(path) (an MLP, a Layer or a
convolutional Sequential). The ONNX graph takes `input` of shape (batch, nin) and gives `output`
of shape (batch, nout); for a convolutional model nin is channels*height*width, one flat row per
image in (channel, row, column) order. float32 (the default) is what onnxruntime and most
deployments run; float64 keeps the weights exact, but onnxruntime's CPU kernels for LeakyRelu,
Elu, Softplus, Conv and AveragePool are float32 only. Needs PyTorch:
pip install 'autograd-core[torch]' (with the onnx package installed the file is also checked).
"""

# The model classes a file may hold, by the config's "type" (never a name looked up freely).
_MODEL_CLASSES: dict[str, Any] = {"MLP": MLP, "Sequential": Sequential, "Layer": Layer}


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a saved model file (model.json)")
    p.add_argument("-o", "--output", default=None, help="the ONNX file to write (default: MODEL with .onnx)")
    p.add_argument("--dtype", default="float32", choices=ONNX_DTYPES, help="number type of the graph (default float32)")


def load_model(path: str | Path) -> Any:
    """The model saved in ``path``, of the class its config names (MLP, Sequential or Layer).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(2, [1]).save(path)
        >>> load_model(path).nouts
        [1]
    """
    kind = read_model_file(path)["config"].get("type")
    cls = _MODEL_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ModelFileError(
            f"{path}: holds a {excerpt(str(kind)[:40])}; export reads {', '.join(_MODEL_CLASSES)} models"
        )
    return cls.load(path)


def cmd_export(args: argparse.Namespace) -> int:
    """Load MODEL, write the ONNX file, print one line about it.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp(); path = os.path.join(folder, "m.json"); MLP(2, [3, 1], seed=0).save(path)
        >>> cmd_export(argparse.Namespace(model=path, output=None, dtype="float32"))
        wrote ...m.onnx: MLP 2 -> 3 -> 1, input 'input' (batch, 2) float32 -> output 'output' (batch, 1)...
        0
    """
    model = load_model(args.model)
    out = Path(args.output) if args.output else Path(args.model).with_suffix(".onnx")
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice is not the user's concern
        warnings.simplefilter("ignore", DeprecationWarning)
        info = export_onnx(model, out, dtype=args.dtype)
    nin = str(model.nin)
    if isinstance(model, Sequential):
        what = f"Sequential {model.input_shape} -> {model.output_shape}"
        if len(model.input_shape) == 3:
            nin += f" = {'x'.join(map(str, model.input_shape))} flattened"
    else:
        sizes = [model.nin, *model.nouts] if isinstance(model, MLP) else [model.nin, model.nout]
        what = f"{type(model).__name__} {' -> '.join(map(str, sizes))}"
    nout = info["outputs"]["output"]
    nout_text = ", ".join(map(str, nout)) if isinstance(nout, tuple) else str(nout)
    checked = f", checked by onnx.checker (opset {info['opset']})" if info["checked"] else ""
    print(
        f"wrote {out}: {what}, input 'input' (batch, {nin}) {args.dtype} -> output 'output' "
        f"(batch, {nout_text}){checked}"
    )
    return 0
