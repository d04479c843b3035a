"""The ``backprop`` command line.

Each subcommand is a pair of functions: ``_<name>_arguments(parser)`` declares its options and
``cmd_<name>(args) -> int`` runs it; ``COMMANDS`` lists the registered ones. Every error a
user can cause ends as ONE line on stderr, ``backprop: error: ...``, and exit status 2
(never a traceback); an unexpected internal error is one line and status 1 (set
``BACKPROP_DEBUG=1`` to see its traceback).

Example:
    >>> main(["graph", "x*w", "x=2", "w=-3", "-o", "/nonexistent-dir/g.svg"])
    2
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograd_core import AutogradError

PROG = "backprop"
EXIT_USAGE = 2


class CliError(AutogradError, ValueError):
    """A bad command line (a malformed NAME=VALUE, a missing folder, ...)."""


class _UsageError(Exception):
    """argparse's complaint, turned into our one-line error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, an epilog with an example, and its two functions."""

    name: str
    help: str
    epilog: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- backprop graph ------------------------------------------------------------------------------

GRAPH_EPILOG = """\
examples:
  backprop graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
  backprop graph "sigmoid(x)*log(y)" x=0.5 y=2 --rankdir TB -o g.png
  backprop graph -- "-x**2" x=3        (use -- when the expression starts with -)

The expression may use numbers, names, + - * / **, parentheses and one-argument calls of
tanh, exp, log, sqrt, sigmoid, relu, softplus, abs, sin, cos. It is parsed safely (never
evaluated by Python). The picture's format follows the file extension: .svg, .png, .pdf need
Graphviz's dot program; .dot writes the graph source and needs nothing.
"""


def _graph_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help='the expression, e.g. "tanh(x*w + b)" (quote it)')
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", default=[], help="a number for every name, e.g. x=2 w=-3")
    p.add_argument(
        "-o", "--output", default="graph.svg", help="picture to write: .svg .png .pdf .dot (default graph.svg)"
    )
    p.add_argument("--no-grad", action="store_true", help="do not run backward: show values only")
    p.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"), help="layout direction (default LR)")
    p.add_argument("--precision", type=int, default=4, choices=range(0, 13), metavar="N", help="digits (default 4)")


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``; refuse anything malformed with CliError.

    Example:
        >>> parse_assignments(["x=2", "w=-3.5"])
        {'x': 2.0, 'w': -3.5}
    """
    from .expr import NAME

    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq:
            raise CliError(f"expected NAME=VALUE, got {item!r:.60}")
        if not NAME.match(name) or name.startswith("__"):
            raise CliError(f"bad name in {item!r:.60}: names are letters, digits and '_' (not starting with '__')")
        if name in values:
            raise CliError(f"{name!r} is given twice")
        try:
            number = float(text)
        except ValueError:
            raise CliError(f"the value of {name!r} is not a number: {text!r:.40}") from None
        if not math.isfinite(number):
            raise CliError(f"the value of {name!r} must be a finite number, got {text!r:.40}")
        values[name] = number
    return values


def cmd_graph(args: argparse.Namespace) -> int:
    """Parse EXPR, evaluate it with the values, back-propagate, print a table, write the picture.

    Example:
        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "g.dot")
        >>> main(["graph", "x*w", "x=2", "w=-3", "-o", out])
        x*w
        name               value            grad
        x                 2.0000         -3.0000
        w                -3.0000          2.0000
        output           -6.0000          1.0000
        wrote ...g.dot
        0
    """
    from .expr import parse_expr
    from .graph import _fmt, _write, draw_dot, format_of, pipe

    expr = parse_expr(args.expr)
    values = parse_assignments(args.values)
    path = Path(args.output)
    fmt = format_of(path)
    if not path.parent.is_dir():
        raise CliError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    out, leaves = expr.evaluate(values)
    if not args.no_grad:
        out.backward()
    dg = draw_dot(out, rankdir=args.rankdir, show_grad=not args.no_grad, precision=args.precision)
    data = dg.source.encode() if fmt == "dot" else pipe(dg, fmt)
    _write(path, data)

    p = args.precision
    rows = [(name, leaf) for name, leaf in leaves.items()] + [("output", out)]
    width = max(8, *(len(name) for name, _ in rows))
    header = f"{'name':<{width}}  {'value':>14}" + ("" if args.no_grad else f"  {'grad':>14}")
    print(args.expr.strip())
    print(header)
    for name, v in rows:
        line = f"{name:<{width}}  {_fmt(v.data, p):>14}"
        if not args.no_grad:
            line += f"  {_fmt(v.grad, p):>14}"
        print(line)
    print(f"wrote {path}")
    return 0


COMMANDS: list[Command] = [
    Command(
        "graph",
        "draw the computational graph of an expression, with its gradients",
        GRAPH_EPILOG,
        _graph_arguments,
        cmd_graph,
    ),
]


# --- the program ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with every registered subcommand.

    Example:
        >>> build_parser().parse_args(["graph", "x*2", "x=1"]).values
        ['x=1']
    """
    parser = _Parser(
        prog=PROG,
        description="Pictures and checks of reverse-mode automatic differentiation (autograd-core).",
        epilog='example:\n  backprop graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in COMMANDS:
        sub = subs.add_parser(
            cmd.name,
            help=cmd.help,
            description=cmd.help[0].upper() + cmd.help[1:] + ".",
            epilog=cmd.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.arguments(sub)
        sub.set_defaults(run=cmd.run)
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``backprop`` command; return the exit status (0 ok, 2 bad input, 1 internal error).

    Example:
        >>> main(["graph", "x*", "x=1"])
        2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as err:
        print(f"{PROG}: error: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    if getattr(args, "run", None) is None:
        names = ", ".join(cmd.name for cmd in COMMANDS)
        print(f"{PROG}: error: a command is required: {names} (see '{PROG} --help')", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except (AutogradError, OSError) as err:
        print(f"{PROG}: error: {_one_line(str(err)) or type(err).__name__}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("BACKPROP_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(err).__name__}: {_one_line(str(err))[:300]} "
            "(set BACKPROP_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
