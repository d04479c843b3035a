# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A custom op, checked with hypothesis
#
# `define_op(name, forward, *rules)` adds an op as a row of the engine's derivative table:
# the forward on raw numbers and one rule per input, `rule(g, out, *inputs)` returning that
# input's share of the upstream gradient `g`. `autograd_core.testing.check_op` then
# property-tests the rules against central finite differences at points hypothesis draws
# (first and second order, and batch lanes against single points).

# %%
from autograd_core import Value, define_op, sigmoid
from autograd_core.testing import check_op

# swish(x) = x·σ(x);  d/dx = σ(x) + x·σ(x)·(1 − σ(x))
swish = define_op(
    "swish",
    lambda x: x * sigmoid(x),
    lambda g, out, x: g * (sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))),
)
x = Value(1.5, label="x")
y = swish(x)
y.backward()
print(y, x.grad)

# %%
check_op(swish, domain=(-4.0, 4.0), max_examples=30)
print("swish: first and second derivatives agree with finite differences")

# %% [markdown]
# A rule with a term missing is caught, with the point where it fails:

# %%
wrong = define_op("swish_wrong", lambda x: x * sigmoid(x), lambda g, out, x: g * sigmoid(x))
try:
    check_op(wrong, domain=(-4.0, 4.0), max_examples=30)
except AssertionError as err:
    message = str(err).splitlines()[0]
print(message)
assert "swish_wrong's derivative rule for input x" in message

# %% [markdown]
# The op is a node like any other: it appears in pictures under its own name.

# %%
from viz import GraphView

GraphView(y)
