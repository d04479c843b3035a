"""``backprop check --backprop FILE.py:FUNCTION``: ``check_backprop`` on a function in a user's file.

The file is imported as a module (its own code runs, as ``python FILE.py`` would run it; no
text is evaluated); FUNCTION is called as ``FUNCTION(Ws, bs, activations, X, Y, loss)`` and
returns ``(dWs, dbs)`` (see ``autograd_core.testing.check_backprop``). One table row per loss;
exit status 0 when every row passes, 1 when a gradient is wrong (the first failure's report is
printed), 2 for a bad argument or a file that does not import.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser(); add_arguments(p)
    >>> p.parse_args(["--backprop", "mine.py:backprop", "--losses", "sse,bce"]).losses
    'sse,bce'
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd_core.errors import AutogradError, excerpt, excerpt_text

DEFAULT_LOSSES = "sse,mse,binary_cross_entropy"
DEFAULT_ACTIVATIONS = "sigmoid,tanh,relu,linear"
SIGNATURE = "FUNCTION(Ws, bs, activations, X, Y, loss) -> (dWs, dbs)"


class UserCodeError(AutogradError, ValueError):
    """``--backprop`` names a file or function that cannot be used (exit status 2)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``--backprop`` options of ``backprop check``."""
    p.add_argument(
        "--backprop",
        metavar="FILE.py:FUNCTION",
        default=None,
        help=f"check your own backprop instead: {SIGNATURE}, in the tutorials' notation",
    )
    p.add_argument(
        "--losses", default=DEFAULT_LOSSES, help=f"with --backprop: losses to draw (default {DEFAULT_LOSSES})"
    )
    p.add_argument(
        "--activations",
        default=DEFAULT_ACTIVATIONS,
        help=f"with --backprop: activations to draw (default {DEFAULT_ACTIVATIONS})",
    )
    p.add_argument("--examples", type=int, default=100, help="with --backprop: cases per loss (default 100)")
    p.add_argument("--max-layers", type=int, default=3, help="with --backprop: the deepest network drawn (default 3)")


def load_function(target: str) -> Callable[..., Any]:
    """The function FUNCTION of ``FILE.py:FUNCTION``, importing FILE.py as a module.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "mine.py")
        >>> _ = open(path, "w").write("def backprop(Ws, bs, activations, X, Y, loss):\\n    return [], []\\n")
        >>> load_function(f"{path}:backprop").__name__
        'backprop'
        >>> load_function(f"{path}:nope")
        Traceback (most recent call last):
        ...
        viz.cli_check.UserCodeError: ...mine.py has no function 'nope'; its functions: backprop
    """
    file_text, sep, name = target.rpartition(":")
    if not sep or not file_text or not name:
        raise UserCodeError(f"--backprop: expected FILE.py:FUNCTION, got {excerpt(target)}")
    path = Path(file_text)
    if path.suffix != ".py":
        raise UserCodeError(f"--backprop: {_short(path)} is not a Python file (FILE.py:FUNCTION)")
    if not path.is_file():
        raise UserCodeError(f"--backprop: no such file: {_short(path)}")
    if not name.isidentifier():
        raise UserCodeError(f"--backprop: {excerpt(name[:40])} is not a Python name (FILE.py:FUNCTION)")
    module = _import(path)
    fn = getattr(module, name, None)
    if fn is None:
        own = [k for k, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__]
        listed = ", ".join(excerpt_text(k, 40) for k in own[:8]) or "none"
        raise UserCodeError(f"--backprop: {_short(path)} has no function {excerpt(name)}; its functions: {listed}")
    if not callable(fn):
        raise UserCodeError(
            f"--backprop: {excerpt_text(name)} in {_short(path)} is a {type(fn).__name__}, not a function"
        )
    try:
        inspect.signature(fn).bind(*range(6))
    except TypeError:
        raise UserCodeError(
            f"--backprop: {excerpt_text(name)}{excerpt_text(str(inspect.signature(fn)), 200)} cannot be called as "
            f"{SIGNATURE.replace('FUNCTION', excerpt_text(name))}"
        ) from None
    except ValueError:  # a builtin without a signature: let the check find out
        pass
    return fn


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 160 else "..." + text[-157:]


def _import(path: Path) -> Any:
    """Import ``path`` as a module of its own (its folder on sys.path meanwhile, for its imports)."""
    folder = str(path.resolve().parent)
    spec = importlib.util.spec_from_file_location(f"backprop_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"--backprop: {_short(path)} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException as err:  # SystemExit and KeyboardInterrupt at import are the file's too
        if isinstance(err, KeyboardInterrupt):
            raise
        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path.resolve()]
        line = f" (line {frames[-1].lineno})" if frames else ""
        text = " ".join(str(err).split())[:200]
        raise UserCodeError(f"--backprop: {_short(path)} does not import: {type(err).__name__}: {text}{line}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _names(text: str, what: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise UserCodeError(f"--{what}: give at least one name, comma-separated")
    return names


def command(args: argparse.Namespace) -> int:
    """Run ``check_backprop`` once per loss on the user's function; print a table and the first failure.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "mine.py")
        >>> code = ("def backprop(Ws, bs, activations, X, Y, loss):\\n"
        ...         "    dZ = Ws[0] @ X + bs[0] - Y\\n"
        ...         "    return [dZ @ X.T / X.shape[1]], [dZ.sum(axis=1, keepdims=True) / X.shape[1]]\\n")
        >>> _ = open(path, "w").write(code)
        >>> ns = argparse.Namespace(backprop=f"{path}:backprop", losses="sse", activations="linear",
        ...                         examples=20, max_layers=1, seed=0, tol=1e-6)
        >>> command(ns)   # doctest: +ELLIPSIS
        check_backprop: ...mine.py:backprop, up to 20 cases per loss (seed 0)
        loss  activations  result
        -------------------------
        sse   linear       pass
        -------------------------
        all 1 rows pass
        0
    """
    try:
        from autograd_core.testing import check_backprop
        from autograd_core.testing.network import loss_name
    except ImportError as err:  # hypothesis is an optional extra
        raise UserCodeError(str(err)) from None
    if args.examples < 1 or args.max_layers < 1:
        raise UserCodeError("--examples and --max-layers must be positive integers")
    losses = [loss_name(n) for n in _names(args.losses, "losses")]
    activations = _names(args.activations, "activations")
    fn = load_function(args.backprop)
    rows, failure = [], None
    for loss in losses:
        try:
            check_backprop(
                fn,
                activations=activations,
                losses=[loss],
                max_layers=args.max_layers,
                max_examples=args.examples,
                rtol=args.tol,
                seed=args.seed,
            )
            rows.append((loss, "pass"))
        except AssertionError as err:
            rows.append((loss, "FAIL"))
            failure = failure or str(err)
    print(f"check_backprop: {args.backprop}, up to {args.examples} cases per loss (seed {args.seed})")
    acts = ",".join(activations)
    w_loss, w_act = max(4, *(len(r[0]) for r in rows)), max(len("activations"), len(acts))
    head = f"{'loss':<{w_loss}}  {'activations':<{w_act}}  result"
    print(head)
    print("-" * len(head))
    for loss, result in rows:
        print(f"{loss:<{w_loss}}  {acts:<{w_act}}  {result}")
    print("-" * len(head))
    failed = sum(r[1] == "FAIL" for r in rows)
    if failure is None:
        print(f"all {len(rows)} rows pass")
        return 0
    print(f"{failed} of {len(rows)} losses FAIL; the first failure:\n{failure}")
    return 1
