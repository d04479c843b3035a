"""autograd_core: a scalar reverse-mode automatic-differentiation engine with batch lanes.

Example:
    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); y = x * x + x.sin(); y.backward()
    >>> round(x.grad, 6)  # 2x + cos(x)
    3.583853
"""

from .compose import (
    dot,
    leaky_relu,
    log_softmax,
    logsumexp,
    maximum,
    mean_values,
    minimum,
    softmax,
    sum_squares,
    sum_values,
)
from .define import UserOp, define_op
from .errors import (
    AnomalyError,
    AutogradError,
    DomainError,
    GradcheckError,
    OpDefinitionError,
    OperandTypeError,
    ShapeError,
)
from .functional import grad, gradcheck, hessian, jacobian, numerical_grad, value_and_grad
from .fused import dot_rows
from .graph import (
    GraphStats,
    detect_anomaly,
    enable_grad,
    grads_array,
    graph_stats,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    topological_order,
    zero_grad,
)
from .ops import cos, exp, log, relu, sigmoid, sin, softplus, sqrt, tanh
from .params import ParamBuffer, Parameter, ParamList
from .value import Value, apply

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "AutogradError",
    "DomainError",
    "GradcheckError",
    "GraphStats",
    "OpDefinitionError",
    "OperandTypeError",
    "ParamBuffer",
    "ParamList",
    "Parameter",
    "ShapeError",
    "UserOp",
    "Value",
    "__version__",
    "apply",
    "cos",
    "define_op",
    "detect_anomaly",
    "dot",
    "dot_rows",
    "enable_grad",
    "exp",
    "grad",
    "gradcheck",
    "grads_array",
    "graph_stats",
    "hessian",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacobian",
    "leaky_relu",
    "log",
    "log_softmax",
    "logsumexp",
    "maximum",
    "mean_values",
    "minimum",
    "no_grad",
    "numerical_grad",
    "relu",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "sum_squares",
    "sum_values",
    "tanh",
    "topological_order",
    "value_and_grad",
    "zero_grad",
]
