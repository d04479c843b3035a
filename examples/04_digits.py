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
# # Handwritten digits with a scikit-learn-style classifier
#
# The real 8×8 digits (1,797 images; `load_digits` reads scikit-learn's copy). `MLPClassifier`
# takes scikit-learn's parameters; ten epochs are enough for about 98 % held-out accuracy, and
# fit says (with a `ConvergenceWarning`) that it stopped before converging.

# %%
import warnings

from nn import MLPClassifier, load_digits, train_test_split

X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, seed=0)
clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=32, max_iter=10, random_state=0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    clf.fit(X_train, y_train)
print(caught[0].category.__name__, caught[0].message)
score = clf.score(X_test, y_test)
print(f"held-out accuracy {score:.3f}")
assert score > 0.95

# %% [markdown]
# Some test images with what the network says:

# %%
import matplotlib.pyplot as plt

predicted = clf.predict(X_test[:10])
fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
for ax, image, label in zip(axes, X_test[:10], predicted):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")

# %% [markdown]
# The confusion matrix, counted with NumPy:

# %%
import numpy as np

confusion = np.zeros((10, 10), dtype=int)
for true, guess in zip(y_test, clf.predict(X_test)):
    confusion[true, guess] += 1
print(confusion)
assert confusion.trace() == round(score * len(y_test))
