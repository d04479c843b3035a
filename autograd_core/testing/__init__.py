"""Property-test your own gradients: hypothesis strategies and checks built on the engine.

Needs hypothesis (``pip install 'autograd-core[testing]'``); nothing else in autograd_core
imports it.

- ``expressions``, ``networks``, ``batches``, ``targets``: hypothesis strategies.
- ``check_backprop(fn)``: a hand-written backprop in the tutorials' notation against the engine.
- ``check_op(op)``: a ``define_op`` op's first and second derivatives against finite differences.
- ``assert_grads_close(f, *args)``: any function of Values against central differences.
- ``engine_gradients(Ws, bs, activations, X, Y, loss)``: the engine's (loss, dWs, dbs).

Example:
    >>> from autograd_core import define_op, sigmoid
    >>> from autograd_core.testing import check_op
    >>> swish = define_op("swish", lambda x: x * sigmoid(x),
    ...                   lambda g, out, x: g * (out + sigmoid(x) * (1 - out)))
    >>> check_op(swish, domain=(-5, 5), max_examples=10)
"""

try:
    import hypothesis  # noqa: F401
except ImportError as err:  # the optional extra is missing
    raise ImportError(
        "autograd_core.testing needs hypothesis, which is optional: pip install 'autograd-core[testing]'"
    ) from err

from .backprop import check_backprop
from .gradients import assert_grads_close, check_op
from .network import LOSSES, Network, engine_gradients
from .strategies import Expression, batches, expressions, networks, targets

__all__ = [
    "LOSSES",
    "Expression",
    "Network",
    "assert_grads_close",
    "batches",
    "check_backprop",
    "check_op",
    "engine_gradients",
    "expressions",
    "networks",
    "targets",
]
