"""Other names users type for activations and losses, in one place.

``nn.activations``, ``nn.losses`` and the NumPy oracle ``nn.reference`` all resolve names through
these tables (the oracle shares names with the engine side, never computation).

Example:
    >>> LOSS_ALIASES["bce"], ACTIVATION_ALIASES["logistic"]
    ('binary_cross_entropy', 'sigmoid')
"""

from __future__ import annotations

ACTIVATION_ALIASES: dict[str, str] = {"identity": "linear", "logistic": "sigmoid"}

LOSS_ALIASES: dict[str, str] = {
    "mean_squared_error": "mse",
    "l2": "mse",
    "mean_absolute_error": "mae",
    "l1": "mae",
    "bce": "binary_cross_entropy",
    "log_loss": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "ce": "cross_entropy",
    "softmax_cross_entropy": "cross_entropy",
    "nll": "categorical_cross_entropy",
    "max_margin": "hinge",
}
