"""A safe expression parser for the command line: ``tanh(x*w + b)`` with names bound to Values.

Python's ``ast`` parses the text (nothing is ever evaluated by Python: no ``eval``, no
``exec``); every node is checked against a whitelist: numbers, names, ``+ - * / **``, unary
``-``/``+``, parentheses, and one-argument calls of tanh, exp, log, sqrt, sigmoid, relu,
softplus, abs, sin, cos. Anything else is refused with ``ExprError`` (a ``ValueError`` and an
``AutogradError``) naming what was refused and where (``column``, counted from 1).

Example:
    >>> from autograd_core import Value
    >>> e = parse_expr("tanh(x*w + b)")
    >>> e.names
    ('x', 'w', 'b')
    >>> out, leaves = e.evaluate({"x": 2.0, "w": -3.0, "b": 6.88})
    >>> round(out.data, 4), leaves["x"].label
    (0.7064, 'x')
    >>> parse_expr("__import__('os')")
    Traceback (most recent call last):
    ...
    viz.expr.ExprError: column 1: names starting with '__' are not allowed: '__import__'
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd_core import AutogradError, Value, ops
from autograd_core.errors import excerpt

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_TREE_DEPTH",
    "Expr",
    "ExprError",
    "evaluate",
    "parse_expr",
]

MAX_LENGTH = 10_000
MAX_DEPTH = 100  # levels of parentheses
MAX_TREE_DEPTH = 300  # levels of the syntax tree (a sum of 300 terms is 300 levels deep)
MAX_EXPONENT = 1000.0

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "tanh": ops.tanh,
    "exp": ops.exp,
    "log": ops.log,
    "sqrt": ops.sqrt,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "softplus": ops.softplus,
    "abs": lambda x: abs(x) if isinstance(x, Value) else ops.ABS.forward(x),
    "sin": ops.sin,
    "cos": ops.cos,
}
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
PY_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# What the refusals call the nodes a newcomer is most likely to try.
REFUSED = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "'if ... else' is not allowed",
    ast.Tuple: "tuples (a comma outside a call) are not allowed",
    ast.List: "lists are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


class ExprError(AutogradError, ValueError):
    """An expression was refused; ``column`` (from 1) points at the problem when known.

    Example:
        >>> try:
        ...     parse_expr("x * * w")
        ... except ExprError as err:
        ...     print(err.column, err.pointer())
        5 x * * w
              ^
    """

    def __init__(self, message: str, column: int | None = None, text: str | None = None) -> None:
        self.message = message
        self.column = column
        self.text = text
        super().__init__(f"column {column}: {message}" if column else message)

    def pointer(self) -> str:
        """The expression with a caret under the column (two lines), or just the message."""
        if self.text is None or self.column is None or "\n" in self.text or len(self.text) > 200:
            return str(self)
        return f"{self.text}\n{' ' * (self.column - 1)}^"


@dataclass(frozen=True)
class Expr:
    """A checked expression: its text, the tree, and its variable names in order of appearance."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Any], strict: bool = True) -> tuple[Value, dict[str, Value]]:
        """Build the graph: each name becomes a leaf Value labelled with the name.

        ``values`` maps names to numbers (or Values, used as they are). With ``strict``, a
        value for a name the expression does not use is an error too.
        Returns the output Value (labelled 'out' unless a name already) and the leaves by name.

        Example:
            >>> out, leaves = parse_expr("x**2 + 1").evaluate({"x": 3})
            >>> out.data, out.label, leaves["x"].data
            (10.0, 'out', 3.0)
        """
        missing = [n for n in self.names if n not in values]
        if missing:
            given = ", ".join(f"{n}=VALUE" for n in missing)
            raise ExprError(f"no value for {_list(missing)}; give {given}")
        if strict:
            unknown = [n for n in values if n not in self.names]
            if unknown:
                uses = f"it uses {_list(self.names)}" if self.names else "it uses no names"
                raise ExprError(f"unknown name {_list(unknown)}: not in the expression ({uses})")
        leaves = {}
        for n in self.names:
            v = values[n]
            leaves[n] = v if isinstance(v, Value) else Value(v, label=n)
        out = _evaluate(self.tree, leaves)
        if not isinstance(out, Value):
            out = Value(out)
        if not out.label:
            out.label = "out"
        return out, leaves


def _list(names: Any) -> str:
    return ", ".join(repr(n) for n in names)


def _col(node: ast.AST) -> int | None:
    offset = getattr(node, "col_offset", None)
    return offset + 1 if offset is not None else None


def _nesting(text: str) -> int:
    depth = top = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            top = max(top, depth)
        elif ch in ")]}":
            depth -= 1
    return top


def parse_expr(text: str) -> Expr:
    """Parse and check ``text``; raise ``ExprError`` for anything outside the whitelist.

    Example:
        >>> parse_expr("sigmoid(-x) / 2").names
        ('x',)
        >>> parse_expr("x.real")
        Traceback (most recent call last):
        ...
        viz.expr.ExprError: column 1: attribute access ('.') is not allowed
    """
    if not isinstance(text, str):
        raise ExprError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is too long: {len(text)} characters (at most {MAX_LENGTH})")
    if not text.strip():
        raise ExprError("the expression is empty")
    if _nesting(text) > MAX_DEPTH:
        raise ExprError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels of parentheses)")
    lead = len(text) - len(text.lstrip())  # ast wants no indent; columns still count from the text's start
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" warnings: not for the user's terminal
            warnings.simplefilter("ignore")
            tree = ast.parse(text.lstrip(), mode="eval")
    except SyntaxError as err:
        column = err.offset + lead if err.offset and (err.lineno or 1) == 1 else None
        if not err.offset and (err.lineno or 1) == 1 and "\n" not in text.strip():  # it ended too early
            column = len(text.rstrip()) + 1
        # Python's own message (e.g. 'invalid syntax', "'(' was never closed"), minus its file name.
        reason = (err.msg or "invalid syntax").split(" (<unknown>")[0]
        if "digits" in reason:
            reason = "a number has too many digits"
        elif reason == "invalid syntax" and column == len(text.rstrip()) + 1:
            reason = "the expression ends too early"
        raise ExprError(f"syntax error: {reason}", column, text) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"the expression is nested too deeply (more than {MAX_TREE_DEPTH} levels)") from None
    except ValueError as err:  # e.g. null bytes
        raise ExprError(f"the expression cannot be parsed: {err}") from None
    if lead:
        for node in ast.walk(tree):
            if hasattr(node, "col_offset") and getattr(node, "lineno", 1) == 1:
                node.col_offset += lead
    for node in ast.walk(tree):  # the tell-tale of an injection attempt gets named first
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        if name.startswith("__"):
            raise ExprError(f"names starting with '__' are not allowed: {excerpt(name)}", _col(node))
    names: list[str] = []
    _check(tree.body, names)
    return Expr(text, tree.body, tuple(names))


def _check(root: ast.expr, names: list[str]) -> None:
    """Walk the tree without recursion; refuse anything outside the whitelist."""
    stack: list[tuple[ast.AST, int, bool]] = [(root, 1, False)]  # node, depth, inside an exponent
    while stack:
        node, depth, in_exponent = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExprError(f"the expression is nested too deeply (more than {MAX_TREE_DEPTH} levels)", _col(node))
        where = _col(node)
        if isinstance(node, ast.Constant):
            _check_number(node)
        elif isinstance(node, ast.Name):
            _check_name(node.id, where)
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in BINARY:
                raise ExprError(f"the operator {_op_text(node.op)} is not allowed (use + - * / **)", where)
            if isinstance(node.op, ast.Pow):
                if in_exponent or _has_pow(node.right):
                    raise ExprError("nested powers (a ** b ** c) are not allowed", where)
                _check_exponent(node.right)
            stack.append((node.right, depth + 1, in_exponent or isinstance(node.op, ast.Pow)))
            stack.append((node.left, depth + 1, in_exponent))  # popped first: names in reading order
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExprError(f"the operator {_op_text(node.op)} is not allowed (only unary - and +)", where)
            stack.append((node.operand, depth + 1, in_exponent))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                what = REFUSED.get(type(func), "only calls of a function name are allowed, like tanh(x)")
                raise ExprError(what, _col(func))
            if func.id.startswith("__"):
                raise ExprError(f"names starting with '__' are not allowed: {excerpt(func.id)}", where)
            if func.id not in FUNCTIONS:
                raise ExprError(f"unknown function {excerpt(func.id)} (known: {', '.join(FUNCTIONS)})", where)
            if node.keywords:
                raise ExprError(f"{func.id}() takes no keyword arguments", _col(node.keywords[0].value) or where)
            if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise ExprError(f"{func.id}() takes exactly one argument, got {len(node.args)}", where)
            stack.append((node.args[0], depth + 1, in_exponent))
        else:
            what = REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
            raise ExprError(what, where)


def _op_text(op: ast.AST) -> str:
    symbols = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Not: "not",
        ast.Invert: "~",
    }
    return repr(symbols.get(type(op), type(op).__name__))


def _check_name(name: str, where: int | None) -> None:
    if name.startswith("__"):
        raise ExprError(f"names starting with '__' are not allowed: {excerpt(name)}", where)
    if name in FUNCTIONS:
        raise ExprError(f"{excerpt(name)} is a function: call it, as in {name}(x)", where)
    if not NAME.match(name):
        raise ExprError(f"names must be ASCII letters, digits and '_': {excerpt(name)}", where)


def _check_number(node: ast.Constant) -> None:
    value = node.value
    where = _col(node)
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise ExprError(f"{excerpt(value)} is not a number", where)
    if isinstance(value, (str, bytes)):
        raise ExprError("strings are not allowed", where)
    if isinstance(value, complex):
        raise ExprError("complex numbers are not allowed", where)
    if isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            raise ExprError("the number is too large for a float", where) from None
    if not isinstance(value, float) or not math.isfinite(value):
        raise ExprError(f"{excerpt(node.value)} is not a finite number", where)


def _has_pow(node: ast.AST) -> bool:
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node))


def _check_exponent(node: ast.expr) -> None:
    """A constant exponent (no names in it) must be finite and at most MAX_EXPONENT in size."""
    if any(isinstance(n, ast.Name) for n in ast.walk(node)):
        return  # a Value exponent: the engine checks the base and overflow
    _check(node, [])
    try:
        k = _evaluate(node, {})
    except (AutogradError, ArithmeticError):
        raise ExprError("the exponent cannot be computed", _col(node)) from None
    if not math.isfinite(k) or abs(k) > MAX_EXPONENT:
        raise ExprError(f"the exponent {excerpt(k)} is too large (at most {MAX_EXPONENT:g} in size)", _col(node))


def _evaluate(root: ast.expr, leaves: Mapping[str, Value]) -> Any:
    """Evaluate a checked tree without recursion: Values through their operators, numbers
    through the engine's forward functions (so 1/0 is a DomainError, not a ZeroDivisionError)."""
    results: list[Any] = []
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(float(node.value))
        elif isinstance(node, ast.Name):
            results.append(leaves[node.id])
        elif not ready:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                stack.append((node.right, False))
                stack.append((node.left, False))
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            else:  # a Call, checked to have one argument
                stack.append((node.args[0], False))
        elif isinstance(node, ast.BinOp):
            b, a = results.pop(), results.pop()
            symbol = BINARY[type(node.op)]
            if isinstance(a, Value) or isinstance(b, Value):
                results.append(PY_BINARY[symbol](a, b))
            else:
                results.append(ops.TABLE[symbol].forward(a, b))
        elif isinstance(node, ast.UnaryOp):
            x = results.pop()
            results.append(-x if isinstance(node.op, ast.USub) else x)
        else:
            results.append(FUNCTIONS[node.func.id](results.pop()))
    return results.pop()


def evaluate(text: str, values: Mapping[str, Any], strict: bool = True) -> tuple[Value, dict[str, Value]]:
    """Parse ``text`` safely and build its graph with ``values``: ``(output, leaves by name)``.

    Example:
        >>> out, leaves = evaluate("relu(x) * 2", {"x": -1.0}); out.backward()
        >>> out.data, leaves["x"].grad
        (0.0, 0.0)
    """
    return parse_expr(text).evaluate(values, strict=strict)
