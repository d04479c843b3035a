"""check_backprop: a correct hand-written backprop passes; each planted bug fails with a precise message."""

import re
import textwrap

import numpy as np
import pytest

from autograd_core import GradcheckError
from autograd_core.testing import check_backprop, engine_gradients
from autograd_core.testing.network import SetupError


def sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-Z))


def make_backprop(bug=None):
    """A tutorial-style NumPy backprop; ``bug`` plants one mistake."""

    def g(name, Z):
        if name == "softmax":
            E = np.exp(Z - Z.max(axis=0))
            return E / E.sum(axis=0)
        return {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}[name](Z)

    def g_prime(name, Z):
        if name == "sigmoid":
            s = sigmoid(Z)
            return s if bug == "sigmoid_prime" else s * (1 - s)
        if name == "softmax":  # only with cross-entropy, whose dZ is A − Y directly
            return np.ones_like(Z)
        if name == "tanh":
            return 1 - np.tanh(Z) ** 2
        if name == "relu":
            return (Z > 0).astype(float)
        return np.ones_like(Z)

    def backprop(Ws, bs, activations, X, Y, loss):
        if bug == "raises" and X.shape[1] > 1:
            raise ZeroDivisionError("planted")
        m = X.shape[1]
        As, Zs = [X], []
        for W, b, name in zip(Ws, bs, activations):
            Zs.append(W @ As[-1] + b)
            As.append(g(name, Zs[-1]))
        A, k = As[-1], Y.shape[0]
        if loss == "sse":
            dA = A - Y
        elif loss == "mse":
            dA = 2 * (A - Y) / k
        elif loss == "categorical_cross_entropy":
            dA = A - Y  # with softmax' taken as 1 above: dZ = A − Y
        else:  # binary cross-entropy, one output
            dA = -(Y / A - (1 - Y) / (1 - A)) / k  # the loss is the mean over m·k entries
        dWs, dbs = [None] * len(Ws), [None] * len(Ws)
        for layer in reversed(range(len(Ws))):
            dZ = dA * g_prime(activations[layer], Zs[layer])
            dW = dZ @ As[layer].T
            dWs[layer] = dW if bug == "no_1/m" else dW / m
            if bug == "transposed":
                dWs[layer] = dWs[layer].T
            db = np.sum(dZ, axis=1, keepdims=bug != "db_shape") / m
            dbs[layer] = db
            dA = Ws[layer].T @ dZ
        return dWs, dbs

    return backprop


def failure(fn, **options):
    with pytest.raises(GradcheckError) as info:
        check_backprop(fn, **options)
    return str(info.value)


def test_a_correct_backprop_passes():
    check_backprop(make_backprop(), max_examples=40)


def test_sigmoid_prime_written_as_s_is_caught():
    msg = failure(make_backprop("sigmoid_prime"), activations=["sigmoid"], losses=["sse"], max_examples=40)
    head = msg.splitlines()[0]
    assert re.fullmatch(r"check_backprop: d[Wb]1 is wrong at layer 1 \(the output layer\), row 0, column 0", head), msg
    assert "expected (engine)" in msg and "got (backprop)" in msg
    assert "network 1 → 1 (sigmoid)" in msg  # shrunk to the smallest network
    # the numbers in the message are the real ones for the printed case
    case = {}
    code = textwrap.dedent(msg.split("reproduce:\n")[1]).replace("my_dWs, my_dbs =", "# ")
    exec(code, case)  # our own message's reproduction code
    expected = float(re.search(r"expected \(engine\)  \w+\[0, 0\] = (\S+)", msg).group(1))
    what = head.split()[1]
    grads = case["dWs"] if what == "dW1" else case["dbs"]
    assert expected == pytest.approx(grads[0][0, 0], rel=1e-9)


def test_a_missing_1_over_m_is_caught_and_shrinks_to_two_samples():
    msg = failure(make_backprop("no_1/m"), max_examples=40)
    assert re.search(r"dW\d is wrong at layer \d.*, row \d+, column \d+", msg), msg
    assert "m = 2 samples" in msg  # one sample cannot show a missing 1/m
    assert "(got / expected = 2)" in msg


def test_a_transposed_dW_is_named_by_layer_and_expected_shape():
    msg = failure(make_backprop("transposed"), max_examples=40)
    head = msg.splitlines()[0]
    assert re.search(r"dW(\d) returned by .* has shape \((\d), (\d)\), expected \(\3, \2\) - it looks transposed", head)
    # square matrices keep their shape: then the values are compared and the wrong entry named
    msg = failure(make_backprop("transposed"), max_layers=1, n_inputs=2, n_outputs=2, max_examples=40)
    assert re.search(r"dW1 is wrong at layer 1 \(the output layer\), row (0, column 1|1, column 0)", msg), msg


def test_a_db_without_its_column_is_named():
    msg = failure(make_backprop("db_shape"), max_examples=30)
    assert "db1 returned by" in msg and "has shape (1,), expected (1, 1) - keep the column" in msg


def test_an_exception_in_fn_is_reported_with_the_network():
    msg = failure(make_backprop("raises"), max_examples=30)
    assert "raised ZeroDivisionError: planted" in msg
    assert "m = 2 samples" in msg and "Ws = [np.array(" in msg
    assert re.search(r"at .*test_check_backprop\.py:\d+: raise ZeroDivisionError", msg)


def test_a_bad_return_value_and_bad_options_are_named():
    msg = failure(lambda *args: None, max_examples=5)
    assert "must return (dWs, dbs), two lists of" in msg
    with pytest.raises(SetupError, match="unknown loss 'hinge'"):
        check_backprop(make_backprop(), losses=["hinge"])
    with pytest.raises(SetupError, match="unknown activation 'swish'"):
        check_backprop(make_backprop(), activations=["swish"])


def test_the_reproduction_code_runs_and_gives_the_expected_numbers():
    msg = failure(make_backprop("no_1/m"), activations=["tanh"], losses=["mse"], max_examples=40)
    scope = {"make_backprop": make_backprop}
    code = msg.split("reproduce:\n")[1].replace("= backprop(Ws", "= make_backprop('no_1/m')(Ws")
    exec(textwrap.dedent(code), scope)  # our own message's reproduction code
    _, dWs, _ = engine_gradients(scope["Ws"], scope["bs"], scope["activations"], scope["X"], scope["Y"], "mse")
    np.testing.assert_allclose(scope["my_dWs"][0], 2 * dWs[0])
