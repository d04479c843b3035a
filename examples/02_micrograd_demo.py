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
# # micrograd's demo: moons, a 2-16-16-1 network, hinge loss
#
# The same run as `backprop demo`: 100 points of `make_moons(noise=0.1)`, `MLP(2, [16, 16, 1])`
# (relu hidden, linear output), hinge loss + 1e-4 L2, SGD with learning rate 1.0 − 0.9·k/100,
# full batch (the whole batch is one graph whose nodes carry a lane per sample).

# %%
from nn import MLP, fit, make_moons
from nn.train import evaluate

X, y = make_moons(100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
history = fit(
    model,
    X,
    y,
    loss="hinge",
    optimizer="sgd",
    lr=1.0,
    epochs=100,
    batch_size=None,
    alpha=1e-4,
    schedule="linear",
    schedule_options={"total_iters": 100},
    progress=False,
    seed=0,
)
result = evaluate(model, X, y, loss="hinge")
print(f"loss {history.loss[-1]:.4f}, accuracy {result['accuracy']:.0%}")
assert result["accuracy"] >= 0.95

# %% [markdown]
# The decision boundary and the loss curve (matplotlib):

# %%
from viz.plots import decision_boundary, loss_curve

fig = decision_boundary(model, X, y)

# %%
fig = loss_curve(history, log=True)

# %% [markdown]
# The whole network on one sample: 402 nodes. The default picture is the network view (each
# layer one block, the first layer's busiest neuron in full), sized for a screen;
# `view="full"` would draw every node.

# %%
from viz import GraphView

out = model(list(X[0]))
out.backward()
GraphView(out)
