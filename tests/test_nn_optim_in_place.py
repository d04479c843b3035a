"""The optimizers update the parameter buffer in place: the same bits as the out-of-place formulas.

The reference below is the optimizers' update written out of place, one NumPy expression per
line of PyTorch's formula (what ``nn/optim.py`` computed before it updated the buffer where it
lies). Random values, gradients and settings run through both for several steps, on a whole
buffer (updated in place) and on plain Values (copies in and out); every number must be equal.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Value
from autograd_core.params import ParamBuffer, ParamList
from nn.optim import SGD, Adam, Optimizer, RMSprop

FLOATS = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def reference_steps(kind, kw, p, grads):
    """The update of ``kind`` out of place: the values after each gradient of ``grads``."""
    p, state, out = p.copy(), {}, []
    for t, g in enumerate(grads, start=1):
        wd = kw.get("weight_decay", 0.0)
        if wd:
            g = g + wd * p
        if kind == "sgd":
            mu, damp = kw.get("momentum", 0.0), kw.get("dampening", 0.0)
            if mu:
                buf = state.get("buf")
                state["buf"] = buf = g.copy() if buf is None else mu * buf + (1 - damp) * g
                g = g + mu * buf if kw.get("nesterov") else buf
            p = p - kw["lr"] * g
        elif kind == "adam":
            b1, b2 = kw["betas"]
            m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
            v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
            denom = np.sqrt(v) / math.sqrt(1 - b2**t) + kw["eps"]
            p = p - (kw["lr"] / (1 - b1**t)) * m / denom
        else:
            a = kw["alpha"]
            sq = state["sq"] = a * state.get("sq", 0.0) + (1 - a) * g * g
            if kw["centered"]:
                ga = state["ga"] = a * state.get("ga", 0.0) + (1 - a) * g
                avg = np.sqrt(sq - ga**2) + kw["eps"]
            else:
                avg = np.sqrt(sq) + kw["eps"]
            if kw["momentum"]:
                buf = state["buf"] = kw["momentum"] * state.get("buf", 0.0) + g / avg
                p = p - kw["lr"] * buf
            else:
                p = p - kw["lr"] * g / avg
        out.append(p)
    return out


SETTINGS = st.one_of(
    st.fixed_dictionaries(
        {
            "lr": st.floats(0.0, 1.0),
            "momentum": st.sampled_from([0.0, 0.5, 0.9]),
            "weight_decay": st.sampled_from([0.0, 0.01]),
            "dampening": st.sampled_from([0.0, 0.3]),
        }
    ).map(lambda kw: ("sgd", kw)),
    st.fixed_dictionaries(
        {"lr": st.floats(0.0, 1.0), "momentum": st.just(0.9), "nesterov": st.just(True), "weight_decay": st.just(0.1)}
    ).map(lambda kw: ("sgd", kw)),
    st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 1.0),
            "betas": st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.5, 0.999])),
            "eps": st.sampled_from([0.0, 1e-8]),
            "weight_decay": st.sampled_from([0.0, 0.02]),
        }
    ).map(lambda kw: ("adam", kw)),
    st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 1.0),
            "alpha": st.sampled_from([0.5, 0.99]),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "momentum": st.sampled_from([0.0, 0.5]),
            "weight_decay": st.sampled_from([0.0, 0.02]),
            "centered": st.booleans(),
        }
    ).map(lambda kw: ("rmsprop", kw)),
)
CLASSES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def same_bits(a, b):
    np.testing.assert_array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


@settings(max_examples=120, deadline=None)
@given(
    setting=SETTINGS,
    n=st.integers(1, 6),
    steps=st.integers(1, 4),
    data=st.data(),
)
def test_in_place_update_has_the_out_of_place_bits(setting, n, steps, data):
    kind, kw = setting
    p0 = np.array(data.draw(st.lists(FLOATS, min_size=n, max_size=n)))
    grads = [np.array(data.draw(st.lists(FLOATS, min_size=n, max_size=n))) for _ in range(steps)]
    with np.errstate(all="ignore"):
        expected = reference_steps(kind, kw, p0, grads)

    buf = ParamBuffer(p0)  # one whole buffer: updated where it lies
    whole = CLASSES[kind](ParamList(buf.params), **kw)
    loose = [Value(float(x)) for x in p0]  # plain Values: copies in, copies out
    apart = CLASSES[kind](loose, **kw)
    assert whole._buffer() is buf and apart._buffer() is None
    with np.errstate(all="ignore"):  # eps = 0 with g = 0: both give the same NaN
        check_steps(grads, expected, buf, whole, loose, apart)


def check_steps(grads, expected, buf, whole, loose, apart):
    for g, want in zip(grads, expected, strict=True):
        buf.grad[:] = g
        for v, gi in zip(loose, g.tolist(), strict=True):
            v.grad = gi
        whole.step()
        apart.step()
        same_bits(buf.data, want)
        same_bits([v.data for v in loose], want)
        same_bits(buf.grad, g)  # the rules never write the gradients


def test_a_subclass_rule_gets_copies():
    """A user's ``_update`` may keep or write its arguments: it is not handed the buffer."""

    class Keeper(Optimizer):
        def _update(self, p, g):
            self.kept = p
            g *= 0.0  # writes its copy of the gradients
            return p - 1.0

    buf = ParamBuffer([1.0, 2.0])
    buf.grad[:] = [3.0, 4.0]
    opt = Keeper(ParamList(buf.params), lr=0.1)
    opt.step()
    assert buf.data.tolist() == [0.0, 1.0] and buf.grad.tolist() == [3.0, 4.0]
    assert opt.kept.tolist() == [1.0, 2.0]


def test_loaded_state_is_copied():
    """``load_state_dict`` copies the arrays it is given: the in-place rules never write the caller's."""
    buf = ParamBuffer([1.0])
    opt = Adam(ParamList(buf.params), lr=0.1)
    mine = np.array([0.5])
    opt.load_state_dict({"lr": 0.1, "t": 1, "buffers": {"buf_exp_avg": mine, "buf_exp_avg_sq": np.array([0.25])}})
    buf.grad[:] = 1.0
    opt.step()
    assert mine.tolist() == [0.5]
