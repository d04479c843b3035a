"""backprop check --backprop FILE.py:FUNCTION: exit 0 on a correct backprop, 1 on a wrong one, 2 on bad input."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from viz.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "test_my_backprop.py"
FAST = ["--examples", "15", "--max-layers", "2"]

MISSING_1_OVER_M = """\
import numpy as np

def backprop(Ws, bs, activations, X, Y, loss):
    dZ = Ws[0] @ X + bs[0] - Y
    return [dZ @ X.T], [dZ.sum(axis=1, keepdims=True) / X.shape[1]]
"""


def run(capsys, *argv):
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_correct_backprop_passes(capsys):
    code, out, err = run(capsys, "--backprop", f"{EXAMPLE}:my_backprop", "--losses", "sse,bce", *FAST)
    assert code == 0, out + err
    assert "sse                   sigmoid,tanh,relu,linear  pass" in out
    assert "binary_cross_entropy  sigmoid,tanh,relu,linear  pass" in out
    assert out.rstrip().endswith("all 2 rows pass")


def test_a_wrong_gradient_exits_1_with_the_report(tmp_path, capsys):
    user = tmp_path / "mine.py"
    user.write_text(MISSING_1_OVER_M)
    argv = ["--backprop", f"{user}:backprop", "--losses", "sse", "--activations", "linear", "--max-layers", "1"]
    code, out, _ = run(capsys, *argv, "--examples", "15")
    assert code == 1
    assert "sse   linear       FAIL" in out
    assert re.search(r"check_backprop: dW1 is wrong at layer 1 \(the output layer\), row 0, column \d", out), out
    assert "expected (engine)" in out and "reproduce:" in out and "m = 2 samples" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nowhere.py:f", "no such file: nowhere.py"),
        ("{user}", "expected FILE.py:FUNCTION"),
        ("{user}:nope", "has no function 'nope'; its functions: backprop"),
        ("{user}:np", "np in {user} is a module, not a function"),
        ("{bad}:f", "does not import: SyntaxError: "),
        ("{raises}:f", "does not import: ZeroDivisionError: division by zero (line 2)"),
        ("{user}:two", "two(a, b) cannot be called as two(Ws, bs, activations, X, Y, loss)"),
        ("{text}:f", "is not a Python file"),
    ],
)
def test_bad_input_exits_2_in_one_line(tmp_path, capsys, target, message):
    user = tmp_path / "mine.py"
    user.write_text(MISSING_1_OVER_M + "\ndef two(a, b):\n    return a\n")
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "raises.py").write_text("x = 1\ny = x / 0\n")
    (tmp_path / "notes.txt").write_text("def f(): pass\n")
    names = {"user": user, "bad": tmp_path / "bad.py", "raises": tmp_path / "raises.py", "text": tmp_path / "notes.txt"}
    code, out, err = run(capsys, "--backprop", target.format(**names), *FAST)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("backprop: error: --backprop: ")
    assert message.format(**names) in err, err


def test_bad_options_exit_2(tmp_path, capsys):
    user = tmp_path / "mine.py"
    user.write_text(MISSING_1_OVER_M)
    code, _, err = run(capsys, "--backprop", f"{user}:backprop", "--losses", "hinge")
    assert code == 2 and "unknown loss 'hinge'" in err
    code, _, err = run(capsys, "--backprop", f"{user}:backprop", "--activations", "swish")
    assert code == 2 and "unknown activation 'swish'" in err


def test_the_installed_command_exits_1_on_a_wrong_gradient(tmp_path):
    user = tmp_path / "mine.py"
    user.write_text(MISSING_1_OVER_M)
    backprop = Path(sys.executable).with_name("backprop")
    proc = subprocess.run(
        [str(backprop), "check", "--backprop", f"{user}:backprop", "--losses", "sse", "--activations", "linear"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "FAIL" in proc.stdout and proc.stderr == ""


def test_without_hypothesis_the_import_and_the_command_name_the_extra(tmp_path):
    """hypothesis is optional: autograd_core.testing says which extra to install, the CLI in one line."""
    user = tmp_path / "mine.py"
    user.write_text(MISSING_1_OVER_M)
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"  # as if it were not installed
        "try:\n    import autograd_core.testing\nexcept ImportError as err:\n    print(err)\n"
        "from viz.cli import main\n"
        f"sys.exit(main(['check', '--backprop', {str(user) + ':backprop'!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "needs hypothesis, which is optional: pip install 'autograd-core[testing]'" in proc.stdout
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "pip install 'autograd-core[testing]'" in err[0], proc.stderr
