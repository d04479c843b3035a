"""Batch lanes against per-sample graphs: the same random expression run once on N lanes and
reduced with ``.sum()`` must give weight gradients equal to the sum of N per-sample gradients.

The per-sample side uses only floats (no NumPy in the graph), so it is computed along a
different code path (math.* forwards, no lane reduction in backward) from the laned side.
"""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.testing import expressions

N_WEIGHTS = 3

# Ops that keep values bounded and in every op's domain whatever the inputs, so any random
# program is valid: each takes two operands (unary ones ignore the second).
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + b.tanh()),  # denominator in [0.5, 2.5]
    "rdiv": lambda a, b: 2.0 / (b * b + 1.0),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "softplus": lambda a, b: a.softplus(),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: (a * 0.5).cos(),
    "exp": lambda a, b: a.tanh().exp(),
    "log": lambda a, b: (a * a + 1.0).log(),
    "sqrt": lambda a, b: (a * a + 0.5).sqrt(),
    "square": lambda a, b: a.tanh() ** 2,
    "pow_value": lambda a, b: (a.sigmoid() + 0.5) ** b.tanh(),
    "relu": lambda a, b: a.relu(),
    "leaky_relu": lambda a, b: a.leaky_relu(0.2),
    "abs": lambda a, b: abs(a),
    "neg": lambda a, b: -a,
    "maximum": lambda a, b: ag.maximum(a, b),
    "minimum": lambda a, b: ag.minimum(a, b),
    "sum_values": lambda a, b: ag.sum_values([a, b, a]),
    "mean_values": lambda a, b: ag.mean_values([a, b]),
    "dot": lambda a, b: ag.dot([a, b], [b.tanh(), 0.5]),
    "logsumexp": lambda a, b: ag.logsumexp([a, b, 0.3]),
    "softmax": lambda a, b: ag.softmax([a, b])[0],
    "log_softmax": lambda a, b: ag.log_softmax([a, b])[1],
    "const_add": lambda a, b: 1.5 - a,
    "const_mul": lambda a, b: a * -0.75,
}

# A program: a list of (op, i, j) steps; operands index the pool [w0, w1, w2, x, step0, ...].
# (The table's own ops come from autograd_core.testing.expressions above; these programs add the
# composites built on them, softmax, log_softmax, sum_values, ..., and guard domains by construction.)
steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 1000), st.integers(0, 1000)),
    min_size=1,
    max_size=12,
)


def run(program, weights, x):
    pool = [*weights, x]
    for name, i, j in program:
        pool.append(OPS[name](pool[i % len(pool)], pool[j % len(pool)]))
    return pool[-1] + pool[-2] * x  # make sure the output involves the input


@given(expressions(n_inputs=N_WEIGHTS + 1, scalar_inputs=N_WEIGHTS, max_ops=12, max_lanes=8))
def test_lanes_equal_sum_of_per_sample_gradients(e):
    """Random DAGs of the table's ops (autograd_core.testing.expressions): the weights are the
    first three inputs (one number for every lane), x the fourth (one lane per sample)."""
    *w, xs = e.lanes
    weights = [Value(v) for v in w]
    lanes_out = e(*weights, Value(xs)) * xs  # the output involves the input, lane by lane
    assert lanes_out.lanes == len(xs)
    lanes_out.sum().backward()
    laned_grads = [v.grad for v in weights]
    assert all(type(g) is float for g in laned_grads)

    per_sample_grads, per_sample_data, magnitude = [0.0] * N_WEIGHTS, [], [0.0] * N_WEIGHTS
    for point in e.points:
        ws = [Value(v) for v in point[:N_WEIGHTS]]
        out = e(*ws, Value(point[N_WEIGHTS])) * point[N_WEIGHTS]
        assert type(out.data) is float
        per_sample_data.append(out.data)
        out.backward()
        for k in range(N_WEIGHTS):
            per_sample_grads[k] += ws[k].grad
            magnitude[k] += abs(ws[k].grad)
    assert np.allclose(lanes_out.data, per_sample_data, rtol=1e-12, atol=1e-12)
    for k in range(N_WEIGHTS):
        # relative to the sum of magnitudes: the two sides add the same terms in another order
        assert abs(laned_grads[k] - per_sample_grads[k]) <= 1e-12 * max(magnitude[k], 1.0), (k, laned_grads)


@given(
    program=steps,
    w=st.lists(st.floats(-2, 2), min_size=N_WEIGHTS, max_size=N_WEIGHTS),
    xs=st.lists(st.floats(-3, 3), min_size=1, max_size=6),
)
def test_input_lane_gradients_equal_per_sample_input_gradients(program, w, xs):
    """The gradient that lands on the laned input is, lane by lane, the per-sample input gradient."""
    x_lanes = Value(np.array(xs))
    run(program, [Value(v) for v in w], x_lanes).sum().backward()
    for lane, x in enumerate(xs):
        xv = Value(x)
        run(program, [Value(v) for v in w], xv).backward()
        assert math.isclose(x_lanes.grad[lane], xv.grad, rel_tol=1e-12, abs_tol=1e-12)


@given(xs=st.lists(st.floats(-3, 3), min_size=2, max_size=8), w=st.floats(-2, 2), b=st.floats(-2, 2))
def test_mean_over_lanes_is_average_of_per_sample_gradients(xs, w, b):
    """A one-neuron MSE on lanes vs the hand formula: L = mean((tanh(w x + b) - x)**2)."""
    wv, bv = Value(w), Value(b)
    x = np.array(xs)
    loss = (((wv * x + bv).tanh() - x) ** 2).mean()
    loss.backward()
    t = np.tanh(w * x + b)
    common = 2 * (t - x) * (1 - t**2) / len(x)
    assert np.isclose(loss.data, np.mean((t - x) ** 2), rtol=1e-12)
    assert np.isclose(wv.grad, np.sum(common * x), rtol=1e-10, atol=1e-12)
    assert np.isclose(bv.grad, np.sum(common), rtol=1e-10, atol=1e-12)


def test_graph_size_does_not_grow_with_lanes():
    w = [Value(0.5), Value(-0.3), Value(0.1)]
    sizes = []
    for n in (1, 1000):
        x = Value(np.linspace(-1, 1, n))
        out = ((w[0] * x + w[1]).tanh() * w[2]).mean()
        sizes.append(ag.graph_stats(out).nodes)
    assert sizes[0] == sizes[1] == 9
