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
# # One neuron's backprop, by hand and by the engine
#
# The neuron of micrograd's lecture: inputs `x`, weight `w`, bias `b`, `z = x·w + b`,
# `a = tanh(z)`. We run `backward()` and then redo the chain rule by hand, and check every
# gradient against central finite differences.

# %%
from autograd_core import Value, numerical_grad
from viz import GraphView

x = Value(2.0, label="x")
w = Value(-3.0, label="w")
b = Value(6.881373587, label="b")
z = x * w + b
z.label = "z"
a = z.tanh()
a.label = "a"
a.backward()
a

# %% [markdown]
# The chain rule by hand: da/dz = 1 − a², dz/dw = x, dz/dx = w, dz/db = 1.

# %%
dadz = 1 - a.data**2
by_hand = {"x": dadz * w.data, "w": dadz * x.data, "b": dadz}
engine = {"x": x.grad, "w": w.grad, "b": b.grad}
for name in by_hand:
    print(f"{name}: engine {engine[name]: .6f}   by hand {by_hand[name]: .6f}")
    assert abs(engine[name] - by_hand[name]) < 1e-12

# %% [markdown]
# And central finite differences of the same function, as numbers only:

# %%
import math


def neuron(xv, wv, bv):
    return math.tanh(xv * wv + bv)


numeric = numerical_grad(neuron, 2.0, -3.0, 6.881373587)
for name, g in zip(("x", "w", "b"), numeric):
    assert abs(engine[name] - g) < 1e-6, (name, engine[name], g)
[round(g, 6) for g in numeric]

# %% [markdown]
# The graph, with every value and gradient (it renders inline; `dot` draws it):

# %%
GraphView(a)
