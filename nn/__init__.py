"""nn: neurons, layers and MLPs built on autograd_core, with losses and a NumPy reference.

Example:
    >>> import numpy as np
    >>> from nn import MLP, losses
    >>> model = MLP(2, [8, 1], seed=0)
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([1.0, -1.0])
    >>> loss = losses.mse(model(X), y); loss.backward()
    >>> len(model.parameters()), loss.lanes is None
    (33, True)
"""

from . import activations, losses, reference
from .errors import ConfigError, ConversionError, ModelFileError, StateDictError
from .layers import MLP, Layer, Neuron
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    hinge,
    l2_penalty,
    mae,
    mse,
    sse,
)
from .module import Module

__all__ = [
    "MLP",
    "ConfigError",
    "ConversionError",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "StateDictError",
    "activations",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "cross_entropy",
    "hinge",
    "l2_penalty",
    "losses",
    "mae",
    "mse",
    "reference",
    "sse",
]

# --- optim / train / data / estimators: exports added by that work go below this line ---
from . import data, estimators, optim, train
from .data import (
    MissingDependencyError,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    one_hot,
    standardize,
    train_test_split,
)
from .estimators import MLPClassifier, MLPRegressor
from .optim import SGD, Adam, RMSprop, get_optimizer, get_schedule
from .train import History, choose_loss, evaluate, fit, predict, predict_classes

__all__ += [
    "SGD",
    "Adam",
    "History",
    "MLPClassifier",
    "MLPRegressor",
    "MissingDependencyError",
    "RMSprop",
    "choose_loss",
    "data",
    "estimators",
    "evaluate",
    "fit",
    "get_optimizer",
    "get_schedule",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_regression",
    "make_spirals",
    "make_xor",
    "one_hot",
    "optim",
    "predict",
    "predict_classes",
    "standardize",
    "train",
    "train_test_split",
]

# --- the PyTorch bridge: torch is imported only inside its functions ---
from . import torch_bridge  # noqa: E402
from .torch_bridge import export_onnx, from_torch, to_torch  # noqa: E402

__all__ += ["export_onnx", "from_torch", "to_torch", "torch_bridge"]

# --- convolutional networks (issue 12) ---
from . import conv, sequential  # noqa: E402
from .cnn_estimator import CNNClassifier  # noqa: E402
from .conv import Activation, AvgPool2d, Conv2d, Flatten, MaxPool2d  # noqa: E402
from .sequential import Sequential  # noqa: E402

__all__ += [
    "Activation",
    "AvgPool2d",
    "CNNClassifier",
    "Conv2d",
    "Flatten",
    "MaxPool2d",
    "Sequential",
    "conv",
    "sequential",
]

# --- model files: one strict validator (nn.modelfile) behind every load path ---
from . import files, modelfile  # noqa: E402
from .module import load_model  # noqa: E402

__all__ += ["files", "load_model", "modelfile"]

# --- PyTorch's name for a dense layer (issue 15) ---
from .layers import Linear  # noqa: E402

__all__ += ["Linear"]
