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
# # XOR and its error surface
#
# Four points no line separates. A 2-4-1 network with tanh hidden units and a sigmoid output
# learns them with binary cross-entropy; then we look at the loss over two of its weights
# (the others held fixed), the error surface of the tutorials.

# %%
from nn import MLP, fit, make_xor, predict_classes

X, y = make_xor()
model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
history = fit(
    model, X, y, loss="binary_cross_entropy", optimizer="adam", lr=0.1, epochs=200, batch_size=4, seed=0, progress=False
)
print(X.tolist(), y.tolist(), predict_classes(model, X).tolist())
assert predict_classes(model, X).tolist() == y.astype(int).tolist()

# %% [markdown]
# The loss as a function of the output neuron's first two weights (± 2 around the trained
# values; the star marks where training ended):

# %%
from viz.plots import loss_surface

fig = loss_surface(model, X, y, "binary_cross_entropy", "L1.N0.w0", "L1.N0.w1", resolution=25)

# %% [markdown]
# Gradient descent went downhill on this surface: the gradient at the end is small.

# %%
from autograd_core import grads_array
from nn import losses

model.zero_grad()
losses.get("binary_cross_entropy")(model(X), y, reduction="mean").backward()
norm = float((grads_array(model.parameters()) ** 2).sum() ** 0.5)
print(f"|gradient| = {norm:.2e}")
assert norm < 0.05
