"""micrograd's custom-op idiom: ``Value(data, _children, _op)`` and ``out._backward = fn``.

In micrograd a new op is written as a method that makes its output node by hand and assigns
the node a closure that adds the local derivatives into its children's ``.grad``::

    def cube(self):
        out = Value(self.data ** 3, (self,), "cube")
        def _backward():
            self.grad += 3 * self.data ** 2 * out.grad
        out._backward = _backward
        return out

Such a node carries a ``ClosureOp``: a per-node op whose step calls the closure. The engine's
``backward()`` runs it in its place in the reverse sweep, next to the table's ops, and takes
what the closure added to each child as that child's share (the children's gradients are set
aside while it runs and put back after, so the engine does the accumulating as for any op).
The closure computes on ``.data``: such an op is first order only (``create_graph=True``
gives no second derivative through it; use ``define_op`` for that).

Example:
    >>> from autograd_core import Value
    >>> x = Value(2.0)
    >>> out = Value(x.data ** 3, (x,), "cube")
    >>> def _backward():
    ...     x.grad += 3 * x.data ** 2 * out.grad
    >>> out._backward = _backward
    >>> (out * 2 + x).backward(); x.grad        # 2 · 3x² + 1
    25.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import ops
from .errors import OperandTypeError

if TYPE_CHECKING:
    from .value import Value


def nothing() -> None:
    """micrograd's default ``_backward``: a leaf passes nothing on."""


def _no_forward(*args: Any) -> Any:
    raise OperandTypeError(
        "this node was made by hand (Value(data, _children, _op)); it has a value and a _backward, not a forward"
    )


class ClosureOp(ops.Op):
    """The op of one hand-made node: its backward step is the node's ``_backward`` closure.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(3.0); y = Value(-x.data, (x,), "flip")
        >>> type(y._fn).__name__, y.op, y._backward()       # no closure yet: passes nothing on
        ('ClosureOp', 'flip', None)
    """

    __slots__ = ("closure", "node")

    def __init__(self, name: str, node: Value, closure: Callable[[], Any] | None = None) -> None:
        super().__init__(name, _no_forward, rules=None, vjp=self._shares)
        self.node = node  # the node itself: the closure reads node.grad (a cycle, as in micrograd)
        self.closure = closure

    def _shares(self, g: Any, out: Any, *inputs: Any) -> list[Any]:
        """Run the closure with ``node.grad = g`` and fresh child gradients; return what it added."""
        from .params import Parameter  # params imports value, which imports this module

        node = self.node
        args = node._args
        children = list(dict.fromkeys(a for a in args if hasattr(a, "_grad")))  # Values, once each
        kept_out, kept = node._grad, []
        for a in children:
            if type(a) is Parameter:
                kept.append(a.grad)  # its slot plus what this pass has added so far
                a.grad = 0.0
            else:
                kept.append(a._grad)
                a._grad = None
        node._grad = g
        try:
            if self.closure is not None:
                self.closure()
            added = {id(a): a.grad for a in children}
        finally:
            node._grad = kept_out
            for a, k in zip(children, kept):
                if type(a) is Parameter:
                    a.grad = k
                else:
                    a._grad = k
        # one share per argument: what the closure added for a child's first place, 0 for a repeat
        return [added.pop(id(a), 0.0) if hasattr(a, "_grad") else None for a in args]


def builtin_step(node: Value) -> Callable[[], None]:
    """A micrograd-style ``_backward`` for a node of the table's ops: adds its shares into its inputs.

    For code that walks the graph itself and calls ``v._backward()`` on every node, as
    micrograd's ``backward()`` does.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(3.0); y = x * x; y.grad = 1.0
        >>> y._backward(); x.grad
        6.0
    """

    def step() -> None:
        from .graph import local_shares  # graph imports value, which imports this module

        for a, share in local_shares(node, node.grad):
            a.grad = a.grad + share

    return step
