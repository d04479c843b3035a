"""viz.expr: the whitelist is accepted, everything else is refused with ExprError, nothing runs."""

from __future__ import annotations

import builtins
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_core import AutogradError, DomainError, Value
from viz.expr import MAX_LENGTH, ExprError, evaluate, parse_expr


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


GOOD = [
    ("x + y", lambda x, y: x + y),
    ("x - y * 2", lambda x, y: x - y * 2),
    ("x / (y + 3)", lambda x, y: x / (y + 3)),
    ("x ** 2 + y ** -1", lambda x, y: x**2 + y**-1),
    ("-x + +y", lambda x, y: -x + y),
    ("((x))", lambda x, y: x),
    ("tanh(x*y + 1)", lambda x, y: math.tanh(x * y + 1)),
    ("exp(x) + log(y)", lambda x, y: math.exp(x) + math.log(y)),
    ("sqrt(y) * sigmoid(x)", lambda x, y: math.sqrt(y) * sig(x)),
    ("relu(x) + relu(-x)", lambda x, y: abs(x)),
    ("softplus(x)", lambda x, y: math.log1p(math.exp(x))),
    ("abs(x - y)", lambda x, y: abs(x - y)),
    ("sin(x) ** 2 + cos(x) ** 2", lambda x, y: 1.0),
    ("(x ** 2) ** 3", lambda x, y: x**6),
    ("2 ** x", lambda x, y: 2**x),
    ("1e-3 * x + 0.5", lambda x, y: 1e-3 * x + 0.5),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_whitelist_is_accepted_and_evaluated(text, expected):
    x, y = 0.7, 1.3
    names = parse_expr(text).names
    out, leaves = evaluate(text, {n: {"x": x, "y": y}[n] for n in names})
    assert out.data == pytest.approx(expected(x, y), rel=1e-12)
    out.backward()  # the graph is real
    for name, leaf in leaves.items():
        assert leaf.label == name and isinstance(leaf.grad, float)


def test_names_in_reading_order_and_labels():
    e = parse_expr("tanh(x*w + b) + x")
    assert e.names == ("x", "w", "b")
    out, leaves = e.evaluate({"x": 2, "w": -3, "b": 6.88})
    out.backward()
    assert leaves["w"].grad == pytest.approx(2 * (1 - math.tanh(0.88) ** 2))
    assert leaves["x"].grad == pytest.approx(-3 * (1 - math.tanh(0.88) ** 2) + 1)
    assert out.label == "out"


def test_values_can_be_given_as_values():
    w = Value(4.0, label="weight")
    out, leaves = evaluate("w * 2", {"w": w})
    assert leaves["w"] is w and out.data == 8.0


def test_constants_only_and_domain_errors_are_our_errors():
    out, leaves = evaluate("2 * 3 + 1", {})
    assert out.data == 7.0 and leaves == {}
    with pytest.raises(DomainError):
        evaluate("1 / 0", {})
    with pytest.raises(DomainError):
        evaluate("log(x)", {"x": -1.0})
    with pytest.raises(DomainError):
        evaluate("(0 - 8) ** 0.5", {})


BAD = [
    ("x * * w", "syntax error"),
    ("tanh(x", "syntax error"),
    ("", "empty"),
    ("   ", "empty"),
    ("foo(x)", "unknown function 'foo'"),
    ("eval(x)", "unknown function 'eval'"),
    ("exp", "is a function"),
    ("x.real", "attribute access"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("[a for a in b]", "comprehensions"),
    ("(a for a in b)", "comprehensions"),
    ("{a: 1 for a in b}", "comprehensions"),
    ("__import__('os')", "'__'"),
    ("__builtins__", "'__'"),
    ("().__class__.__bases__", "'__'"),
    ("x.__class__", "'__'"),
    ("tanh(x=1)", "keyword"),
    ("tanh(x, y)", "exactly one argument"),
    ("tanh()", "exactly one argument"),
    ("tanh(*x)", "exactly one argument"),
    ("'text'", "strings"),
    ("f'{x}'", "strings"),
    ("b'x'", "strings"),
    ("x ** 1001", "too large"),
    ("x ** -5000.5", "too large"),
    ("x ** (600 * 2)", "too large"),
    ("x ** 1e400", "finite"),
    ("x ** 2 ** 3", "nested powers"),
    ("x ** (y ** 2)", "nested powers"),
    ("x ** (2 * (3 ** 2))", "nested powers"),
    ("1j * x", "complex"),
    ("True + x", "not a number"),
    ("None", "not a number"),
    ("x < y", "comparisons"),
    ("x and y", "'and' / 'or'"),
    ("x if y else 1", "'if ... else'"),
    ("x, y", "tuples"),
    ("[x]", "lists"),
    ("{x}", "sets"),
    ("(y := 2)", "':='"),
    ("x // y", "'//'"),
    ("x % y", "'%'"),
    ("~x", "'~'"),
    ("not x", "'not'"),
    ("x;y", "syntax error"),
    ("import os", "syntax error"),
    ("x\x00", "null bytes"),
    ("9" * 5000, "too many digits"),
    ("α + 1", "ASCII"),
    ("(" * 101 + "x" + ")" * 101, "nested too deeply"),
    ("-" * 5000 + "x", "nested too deeply"),
    ("+".join(["x"] * 400), "nested too deeply"),
    ("x" + "+x" * MAX_LENGTH, "too long"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD)
def test_refusals_name_the_problem(text, fragment):
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)
    assert "\n" not in str(info.value)


def test_syntax_errors_point_at_the_column():
    with pytest.raises(ExprError) as info:
        parse_expr("  x * * w")
    assert info.value.column == 7
    assert info.value.pointer() == "  x * * w\n      ^"
    with pytest.raises(ExprError) as info:
        parse_expr("x + y.z")
    assert info.value.column == 5
    with pytest.raises(ExprError, match="column 4: syntax error: the expression ends too early"):
        parse_expr("x *  ")


def test_missing_and_unknown_names():
    e = parse_expr("x * w")
    with pytest.raises(ExprError, match=r"no value for 'w'; give w=VALUE"):
        e.evaluate({"x": 1.0})
    with pytest.raises(ExprError, match=r"unknown name 'q'"):
        e.evaluate({"x": 1.0, "w": 2.0, "q": 3.0})
    out, _ = e.evaluate({"x": 1.0, "w": 2.0, "q": 3.0}, strict=False)
    assert out.data == 2.0
    with pytest.raises(ExprError):
        parse_expr(42)  # type: ignore[arg-type]


def test_sum_of_many_terms_and_deep_but_allowed_nesting():
    out, _ = evaluate("+".join(["x"] * 250), {"x": 1.0})
    assert out.data == 250.0
    out, _ = evaluate("(" * 90 + "x" + ")" * 90, {"x": 2.0})
    assert out.data == 2.0


# --- fuzz: random text raises nothing but our errors and runs nothing ------------------------------

PIECES = st.sampled_from(
    [
        "x", "w", "b", "y1", "_", "__", "__import__", "os", "system", "eval", "exec", "open", "tanh", "exp", "log",
        "sqrt", "sigmoid", "relu", "abs", "sin", "cos", "lambda", "for", "in", "if", "else", "not", "and", "import",
        "0", "1", "2.5", "1e309", "1e-5", "0x1F", "9" * 30, "j", "'", '"', "(", ")", "[", "]", "{", "}", ",", ".",
        ":", ";", "=", "+", "-", "*", "**", "/", "//", "%", "@", "~", "<", ">", "!", "\\", "\n", " ", "\t", "#",
        "f'", "b'", "\x00", "é", "∑", "__class__", "__subclasses__", "()",
    ]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=25).map("".join))


class Forbidden(Exception):
    pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_fuzz_only_our_errors_and_no_code_runs(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def forbidden(*args, **kwargs):
        raise Forbidden(f"called with {args!r:.80}")

    with monkeypatch.context() as m:
        for name in ("eval", "exec"):
            m.setattr(builtins, name, forbidden)
        m.setattr(os, "system", forbidden)
        try:
            e = parse_expr(text)
        except ExprError:
            return
        try:
            out, _ = e.evaluate(dict.fromkeys(e.names, 0.5))
            out.backward()
        except AutogradError:
            pass
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('touch pwned')",
        "open('pwned', 'w')",
        "exec(\"open('pwned','w')\")",
        "eval(\"__import__('os').system('touch pwned')\")",
        "().__class__.__base__.__subclasses__()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "(lambda: open('pwned', 'w'))()",
        "tanh(x).__class__",
    ],
)
def test_injection_attempts_are_refused_and_create_nothing(attack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExprError):
        evaluate(attack, {"x": 1.0})
    assert not (tmp_path / "pwned").exists()
