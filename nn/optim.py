"""Optimizers (SGD with momentum and Nesterov, Adam, RMSprop) and learning-rate schedules.

The updates follow PyTorch's ``torch.optim`` formulas exactly (same defaults, same order of
operations, weight decay added to the gradient). An optimizer holds a list of parameters
(Values with float data); ``step()`` reads their ``.grad`` and updates their ``.data`` in
place; ``zero_grad()`` clears the gradients. The learning rate ``optimizer.lr`` can be changed
at any time, by hand or by a schedule.

Schedules (``get_schedule(name, optimizer, **kw)``) set ``optimizer.lr`` once per epoch:
``constant``, ``step``, ``exponential``, ``cosine``, ``linear`` (PyTorch's), ``invscaling`` and
``adaptive`` (scikit-learn's).

Example:
    >>> from autograd_core import Value
    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()
    >>> round(w.data, 6)  # 1 - 0.1*2 = 0.8; buf = 0.9*2 + 1.6 = 3.4; 0.8 - 0.34
    0.46
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Value, zero_grad
from autograd_core.errors import excerpt
from autograd_core.params import Parameter, ParamList

from .errors import ConfigError, check_count

__all__ = [
    "SGD",
    "Adam",
    "AdaptiveLR",
    "ConstantLR",
    "CosineLR",
    "ExponentialLR",
    "InvScalingLR",
    "LinearLR",
    "Optimizer",
    "RMSprop",
    "Schedule",
    "StepLR",
    "get_optimizer",
    "get_schedule",
]


def _number(x: Any, name: str, low: float = 0.0, high: float = math.inf, high_open: bool = False) -> float:
    """Check ``low <= x <= high`` (or ``< high``) for a finite real number and return a float."""
    ok = isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)
    if ok:
        ok = low <= x and (x < high if high_open else x <= high)
    if not ok:
        bound = f"in [{low}, {high})" if high_open else (f">= {low}" if high == math.inf else f"in [{low}, {high}]")
        raise ConfigError(f"{name} must be a finite number {bound}, got {excerpt(x)}")
    return float(x)


def _params(params: Any, who: str) -> ParamList:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value):
        params = [params]
    try:
        items = list(params)
    except TypeError:
        raise ConfigError(f"{who}: params must be an iterable of Values, got {type(params).__name__}") from None
    out: list[Value] = []
    seen: set[int] = set()
    for p in items:
        if not isinstance(p, Value):
            raise ConfigError(f"{who}: every parameter must be a Value, got {type(p).__name__}")
        if type(p) is not Parameter and isinstance(p.data, np.ndarray):  # a Parameter holds one number
            raise ConfigError(f"{who}: parameters must hold a single number, got a Value with {p.data.shape[0]} lanes")
        if id(p) not in seen:  # a parameter listed twice is updated once
            seen.add(id(p))
            out.append(p)
    if not out:
        raise ConfigError(f"{who} got an empty parameter list")
    return ParamList(out)


class Optimizer:
    """Base class: holds the parameters and the learning rate; subclasses define ``_update``.

    Example:
        >>> from autograd_core import Value
        >>> opt = SGD([Value(1.0)], lr=0.5); opt.lr = 0.25; opt.lr
        0.25
    """

    weight_decay = 0.0  # subclasses set it from their argument

    def __init__(self, params: Iterable[Value] | Any, lr: float) -> None:
        self.params = _params(params, type(self).__name__)
        self.lr = lr
        self.initial_lr = self.lr
        self.t = 0  # number of steps taken

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``; settable (schedules set it).

        Example:
            >>> from autograd_core import Value
            >>> opt = Adam([Value(1.0)], lr=0.01); opt.lr *= 0.5; opt.lr
            0.005
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _number(value, f"{type(self).__name__}: lr")

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero (one fill per parameter buffer).

        Example:
            >>> from autograd_core import Value
            >>> w = Value(2.0); (w * w).backward(); opt = SGD([w]); opt.zero_grad(); w.grad
            0.0
        """
        zero_grad(self.params)

    def step(self) -> None:
        """Update every parameter in place from its current ``.grad``: one vectorised update of the buffer.

        Example:
            >>> from autograd_core import Value
            >>> w = Value(1.0); (3 * w).backward(); SGD([w], lr=0.1).step(); round(w.data, 6)
            0.7
        """
        buf = self._buffer() if self._in_place else None
        if buf is not None:  # the list is one whole buffer: update its values where they lie
            p, g = buf._data, buf._grad
        else:
            p, g = self.params.values(), self.params.grads()
        if self.weight_decay:  # PyTorch's L2 form: added to the gradient before the update rule
            g = g + self.weight_decay * p
        self.t += 1
        new = self._update(p, g)
        if buf is None or new is not p:  # copies were updated (or a new array came back): write them
            self.params.assign(new)

    # The built-in rules write the new values into ``p`` and never write ``g``: ``step`` hands
    # them the parameter buffer itself (no copies in or out). A subclass's ``_update`` gets
    # copies unless it sets this too.
    _in_place = False

    def _buffer(self) -> Any:
        """The ParamBuffer when the parameters are exactly one whole buffer with float gradients, else None."""
        single = self.params.plan().single
        if single is None or single[0].value_grads:
            return None
        return single[0]

    def _update(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The new values from the values ``p`` and the gradients ``g`` (may write ``p``, never ``g``)."""
        raise NotImplementedError

    def _scratch(self, k: int) -> np.ndarray:
        """Work array ``k`` of the parameters' length, made once (the rules' temporaries go there)."""
        arrays = self.__dict__.setdefault("_work", [])
        while len(arrays) <= k:
            arrays.append(np.empty(len(self.params)))
        return arrays[k]

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (learning rate, step count, buffers) as JSON-friendly data.

        Example:
            >>> from autograd_core import Value
            >>> sorted(Adam([Value(1.0)]).state_dict())
            ['buffers', 'lr', 't']
        """
        buffers = {k: v.tolist() for k, v in vars(self).items() if k.startswith("buf_") and v is not None}
        return {"lr": self.lr, "t": self.t, "buffers": buffers}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state saved by ``state_dict()``.

        Example:
            >>> from autograd_core import Value
            >>> a = Adam([Value(1.0)], lr=0.5); b = Adam([Value(1.0)]); b.load_state_dict(a.state_dict()); b.lr
            0.5
        """
        self.lr = state["lr"]
        self.t = int(state["t"])
        for k, v in state.get("buffers", {}).items():
            if not k.startswith("buf_") or not hasattr(self, k):
                raise ConfigError(f"{type(self).__name__}.load_state_dict(): unknown buffer {excerpt(k)}")
            arr = np.array(v, dtype=np.float64)  # a copy: the rules update their buffers in place
            if arr.shape != (len(self.params),):
                raise ConfigError(
                    f"{type(self).__name__}.load_state_dict(): buffer {excerpt(k)} has shape {arr.shape}, "
                    f"expected ({len(self.params)},)"
                )
            setattr(self, k, arr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    PyTorch's update: ``g = grad + weight_decay * p``; with momentum, ``buf = g`` on the first
    step and ``buf = momentum * buf + (1 - dampening) * g`` afterwards, then ``g = g + momentum *
    buf`` (Nesterov) or ``g = buf``; finally ``p -= lr * g``.

    Parameters:
        params: the Values to optimize (or a Module: its ``parameters()``).
        lr: learning rate, >= 0.
        momentum: momentum factor, >= 0.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty coefficient added to the gradient, >= 0.
        dampening: dampening of the momentum, in [0, 1].

    Example:
        >>> from autograd_core import Value
        >>> w = Value(1.0); opt = SGD([w], lr=0.1, weight_decay=0.5)
        >>> (2 * w).backward(); opt.step(); round(w.data, 6)  # 1 - 0.1 * (2 + 0.5)
        0.75
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _number(momentum, "SGD: momentum")
        self.weight_decay = _number(weight_decay, "SGD: weight_decay")
        self.dampening = _number(dampening, "SGD: dampening", 0.0, 1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ConfigError(
                f"SGD: nesterov momentum needs momentum > 0 and dampening 0, "
                f"got momentum={excerpt(momentum)} dampening={excerpt(dampening)}"
            )
        self.buf_momentum: np.ndarray | None = None

    _in_place = True

    def _update(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        tmp = self._scratch(0)
        if self.momentum:
            if self.buf_momentum is None:
                self.buf_momentum = g.copy()
            else:  # buf = momentum * buf + (1 - dampening) * g
                buf = self.buf_momentum
                buf *= self.momentum
                buf += np.multiply(g, 1 - self.dampening, out=tmp)
            if self.nesterov:  # g = g + momentum * buf
                g = np.add(g, np.multiply(self.buf_momentum, self.momentum, out=tmp), out=tmp)
            else:
                g = self.buf_momentum
        p -= np.multiply(g, self.lr, out=tmp)  # p = p - lr * g
        return p


class Adam(Optimizer):
    """Adam with bias correction (Kingma and Ba), PyTorch's formulation.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2``, then
    ``p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``; weight decay is added
    to the gradient first (L2, not AdamW's decoupled decay).

    Parameters:
        params: the Values to optimize (or a Module).
        lr: learning rate, >= 0.
        betas: decay rates of the first and second moment estimates, each in [0, 1).
        eps: added to the denominator for stability, >= 0.
        weight_decay: L2 penalty coefficient added to the gradient, >= 0.

    Example:
        >>> from autograd_core import Value
        >>> w = Value(1.0); opt = Adam([w], lr=0.1)
        >>> (5 * w).backward(); opt.step(); round(w.data, 6)  # the first step moves by ~lr
        0.9
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ConfigError(f"Adam: betas must be a pair (beta1, beta2), got {excerpt(betas)}") from None
        self.betas = (_number(b1, "Adam: betas[0]", 0.0, 1.0, True), _number(b2, "Adam: betas[1]", 0.0, 1.0, True))
        self.eps = _number(eps, "Adam: eps")
        self.weight_decay = _number(weight_decay, "Adam: weight_decay")
        n = len(self.params)
        self.buf_exp_avg = np.zeros(n)
        self.buf_exp_avg_sq = np.zeros(n)

    _in_place = True

    def _update(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        b1, b2 = self.betas
        m, v, tmp, step = self.buf_exp_avg, self.buf_exp_avg_sq, self._scratch(0), self._scratch(1)
        m *= b1  # m = b1 m + (1 - b1) g
        m += np.multiply(g, 1 - b1, out=tmp)
        v *= b2  # v = b2 v + (1 - b2) g g
        tmp = np.multiply(g, 1 - b2, out=tmp)
        tmp *= g
        v += tmp
        bias1 = 1 - b1**self.t
        bias2 = 1 - b2**self.t
        denom = np.sqrt(v, out=tmp)  # sqrt(v) / sqrt(bias2) + eps
        denom /= math.sqrt(bias2)
        denom += self.eps
        step = np.multiply(m, self.lr / bias1, out=step)  # lr / bias1 * m / denom
        step /= denom
        p -= step
        return p


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's formulation, with optional momentum and centering.

    ``v = alpha v + (1 - alpha) g**2``; ``avg = sqrt(v) + eps`` (centered: ``sqrt(v - mean_g**2)
    + eps`` with ``mean_g = alpha mean_g + (1 - alpha) g``); with momentum ``buf = momentum buf
    + g / avg`` and ``p -= lr buf``, else ``p -= lr g / avg``.

    Parameters:
        params: the Values to optimize (or a Module).
        lr: learning rate, >= 0.
        alpha: smoothing constant of the squared-gradient average, in [0, 1].
        eps: added to the denominator for stability, >= 0.
        momentum: momentum factor, >= 0.
        weight_decay: L2 penalty coefficient added to the gradient, >= 0.
        centered: normalise by the estimated variance of the gradient instead of its second moment.

    Example:
        >>> from autograd_core import Value
        >>> w = Value(1.0); opt = RMSprop([w], lr=0.01, alpha=0.99)
        >>> (2 * w).backward(); opt.step(); round(w.data, 6)  # 1 - 0.01 * 2 / sqrt(0.01 * 4)
        0.9
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _number(alpha, "RMSprop: alpha", 0.0, 1.0)
        self.eps = _number(eps, "RMSprop: eps")
        self.momentum = _number(momentum, "RMSprop: momentum")
        self.weight_decay = _number(weight_decay, "RMSprop: weight_decay")
        self.centered = bool(centered)
        n = len(self.params)
        self.buf_square_avg = np.zeros(n)
        self.buf_momentum = np.zeros(n)
        self.buf_grad_avg = np.zeros(n)

    _in_place = True

    def _update(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        a = self.alpha
        tmp, avg = self._scratch(0), self._scratch(1)
        sq = self.buf_square_avg
        sq *= a  # sq = a sq + (1 - a) g g
        tmp = np.multiply(g, 1 - a, out=tmp)
        tmp *= g
        sq += tmp
        if self.centered:  # avg = sqrt(sq - mean_g**2) + eps, mean_g = a mean_g + (1 - a) g
            mean_g = self.buf_grad_avg
            mean_g *= a
            mean_g += np.multiply(g, 1 - a, out=tmp)
            avg = np.subtract(sq, np.square(mean_g, out=tmp), out=avg)
            avg = np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(sq, out=avg)
        avg += self.eps
        if self.momentum:  # buf = momentum buf + g / avg; p = p - lr buf
            buf = self.buf_momentum
            buf *= self.momentum
            buf += np.divide(g, avg, out=tmp)
            p -= np.multiply(buf, self.lr, out=tmp)
            return p
        tmp = np.multiply(g, self.lr, out=tmp)  # p = p - lr g / avg
        tmp /= avg
        p -= tmp
        return p


_OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get_optimizer(name: str, params: Iterable[Value] | Any, **kwargs: Any) -> Optimizer:
    """Make an optimizer by name: ``"sgd"``, ``"adam"`` or ``"rmsprop"``.

    Example:
        >>> from autograd_core import Value
        >>> get_optimizer("adam", [Value(1.0)], lr=0.01)
        Adam(1 parameters, lr=0.01)
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {excerpt(name)}; choose one of {sorted(_OPTIMIZERS)}")
    try:
        return _OPTIMIZERS[key](params, **kwargs)
    except TypeError as err:
        raise ConfigError(f"{_OPTIMIZERS[key].__name__}: {err}") from None


# --- learning-rate schedules --------------------------------------------------------------


class Schedule:
    """A learning-rate schedule: ``step(epoch, loss)`` sets ``optimizer.lr`` for the next epoch.

    ``lr0`` is the optimizer's learning rate when the schedule is bound (at construction, or
    later with ``bind(optimizer)``: ``fit`` binds a schedule to the optimizer it makes).
    ``step`` is called once at the end of each epoch; ``epoch`` is the number of epochs done
    (counted by the schedule when not given), and returns the new learning rate.

    Example:
        >>> from autograd_core import Value
        >>> opt = SGD([Value(1.0)], lr=1.0)
        >>> s = StepLR(opt, step_size=2, gamma=0.5)
        >>> [s.step() for _ in range(4)]
        [1.0, 0.5, 0.5, 0.25]
    """

    name = "schedule"

    def __init__(self, optimizer: Optimizer | None = None) -> None:
        self.optimizer: Optimizer | None = None
        self.lr0: float | None = None
        self.epoch = 0
        if optimizer is not None:
            self.bind(optimizer)

    def bind(self, optimizer: Optimizer) -> Schedule:
        """Attach to ``optimizer``; its current ``lr`` becomes ``lr0``. Returns self.

        Example:
            >>> from autograd_core import Value
            >>> ExponentialLR(gamma=0.5).bind(SGD([Value(1.0)], lr=0.2)).lr0
            0.2
        """
        if not hasattr(optimizer, "lr") or not callable(getattr(optimizer, "step", None)):
            raise ConfigError(f"{type(self).__name__}: bind() needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.lr0 = optimizer.lr
        self.epoch = 0
        return self

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` epochs (before any, ``epoch`` = 0).

        Example:
            >>> from autograd_core import Value
            >>> ExponentialLR(SGD([Value(1.0)], lr=1.0), gamma=0.5).lr_at(3)
            0.125
        """
        raise NotImplementedError

    def step(self, epoch: int | None = None, loss: float | None = None) -> float:
        """End of an epoch: set and return the optimizer's learning rate for the next one.

        Example:
            >>> from autograd_core import Value
            >>> opt = SGD([Value(1.0)], lr=1.0); s = StepLR(opt, step_size=1, gamma=0.5)
            >>> s.step(), s.step(epoch=3), opt.lr
            (0.5, 0.125, 0.125)
        """
        if self.optimizer is None or self.lr0 is None:
            raise ConfigError(f"{type(self).__name__}: bind it to an optimizer before calling step()")
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)
        lr = self.lr_at(self.epoch)
        self.optimizer.lr = lr
        return lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr0={self.lr0})"


class ConstantLR(Schedule):
    """Keep the learning rate fixed.

    Example:
        >>> from autograd_core import Value
        >>> ConstantLR(SGD([Value(1.0)], lr=0.3)).step(epoch=10)
        0.3
    """

    name = "constant"

    def lr_at(self, epoch: int) -> float:
        """``lr0`` at every epoch.

        Example:
            >>> from autograd_core import Value
            >>> ConstantLR(SGD([Value(1.0)], lr=0.1)).lr_at(50)
            0.1
        """
        return self.lr0


class StepLR(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (PyTorch's StepLR).

    ``lr = lr0 * gamma ** (epoch // step_size)``.

    Example:
        >>> from autograd_core import Value
        >>> s = StepLR(SGD([Value(1.0)], lr=1.0), step_size=10, gamma=0.1)
        >>> s.lr_at(9), round(s.lr_at(10), 12), round(s.lr_at(25), 12)
        (1.0, 0.1, 0.01)
    """

    name = "step"

    def __init__(self, optimizer: Optimizer | None = None, step_size: int = 10, gamma: float = 0.1) -> None:
        self.step_size = check_count(step_size, "StepLR: step_size")
        self.gamma = _number(gamma, "StepLR: gamma")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``lr0 * gamma ** (epoch // step_size)``.

        Example:
            >>> from autograd_core import Value
            >>> StepLR(SGD([Value(1.0)], lr=1.0), step_size=2, gamma=0.5).lr_at(5)
            0.25
        """
        return self.lr0 * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = lr0 * gamma ** epoch``.

    Example:
        >>> from autograd_core import Value
        >>> round(ExponentialLR(SGD([Value(1.0)], lr=1.0), gamma=0.9).lr_at(2), 12)
        0.81
    """

    name = "exponential"

    def __init__(self, optimizer: Optimizer | None = None, gamma: float = 0.95) -> None:
        self.gamma = _number(gamma, "ExponentialLR: gamma")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``lr0 * gamma ** epoch``.

        Example:
            >>> from autograd_core import Value
            >>> ExponentialLR(SGD([Value(1.0)], lr=1.0), gamma=0.5).lr_at(1)
            0.5
        """
        return self.lr0 * self.gamma**epoch


class InvScalingLR(Schedule):
    """Inverse scaling (scikit-learn's ``invscaling``): ``lr = lr0 / (t + 1) ** power_t``.

    ``t`` is the epoch count here; scikit-learn's MLP passes the number of samples seen
    instead (``MLPClassifier`` does the same).

    Example:
        >>> from autograd_core import Value
        >>> s = InvScalingLR(SGD([Value(1.0)], lr=1.0), power_t=0.5)
        >>> s.lr_at(0), s.lr_at(3)
        (1.0, 0.5)
    """

    name = "invscaling"

    def __init__(self, optimizer: Optimizer | None = None, power_t: float = 0.5) -> None:
        self.power_t = _number(power_t, "InvScalingLR: power_t")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``lr0 / (epoch + 1) ** power_t``.

        Example:
            >>> from autograd_core import Value
            >>> InvScalingLR(SGD([Value(1.0)], lr=1.0), power_t=1.0).lr_at(4)
            0.2
        """
        return self.lr0 / (epoch + 1) ** self.power_t


class CosineLR(Schedule):
    """Cosine annealing from ``lr0`` down to ``eta_min`` over ``T_max`` epochs (PyTorch's formula).

    ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``; after ``T_max``
    epochs it stays at ``eta_min`` (PyTorch's would rise again).

    Example:
        >>> from autograd_core import Value
        >>> s = CosineLR(SGD([Value(1.0)], lr=1.0), T_max=10, eta_min=0.0)
        >>> s.lr_at(0), round(s.lr_at(5), 12), s.lr_at(10), s.lr_at(20)
        (1.0, 0.5, 0.0, 0.0)
    """

    name = "cosine"

    def __init__(self, optimizer: Optimizer | None = None, T_max: int = 100, eta_min: float = 0.0) -> None:
        self.T_max = check_count(T_max, "CosineLR: T_max")
        self.eta_min = _number(eta_min, "CosineLR: eta_min")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """The cosine-annealed rate at ``min(epoch, T_max)``.

        Example:
            >>> from autograd_core import Value
            >>> CosineLR(SGD([Value(1.0)], lr=1.0), T_max=2).lr_at(1)
            0.5
        """
        e = min(epoch, self.T_max)
        return self.eta_min + (self.lr0 - self.eta_min) * (1 + math.cos(math.pi * e / self.T_max)) / 2


class LinearLR(Schedule):
    """Change the learning rate linearly from ``start_factor * lr0`` to ``end_factor * lr0``.

    ``lr = lr0 * (start + (end - start) * min(epoch, total_iters) / total_iters)`` (PyTorch's
    LinearLR formula). The defaults reproduce micrograd's demo, ``lr = 1.0 - 0.9 * k / 100``
    with ``lr0 = 1``.

    Example:
        >>> from autograd_core import Value
        >>> s = LinearLR(SGD([Value(1.0)], lr=1.0))
        >>> s.lr_at(0), round(s.lr_at(50), 12), round(s.lr_at(100), 12), round(s.lr_at(500), 12)
        (1.0, 0.55, 0.1, 0.1)
    """

    name = "linear"

    def __init__(
        self,
        optimizer: Optimizer | None = None,
        start_factor: float = 1.0,
        end_factor: float = 0.1,
        total_iters: int = 100,
    ) -> None:
        self.start_factor = _number(start_factor, "LinearLR: start_factor")
        self.end_factor = _number(end_factor, "LinearLR: end_factor")
        self.total_iters = check_count(total_iters, "LinearLR: total_iters")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``lr0`` times the interpolated factor at ``min(epoch, total_iters)``.

        Example:
            >>> from autograd_core import Value
            >>> LinearLR(SGD([Value(1.0)], lr=2.0), start_factor=0.5, end_factor=1.0, total_iters=2).lr_at(1)
            1.5
        """
        frac = min(epoch, self.total_iters) / self.total_iters
        return self.lr0 * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class AdaptiveLR(Schedule):
    """Divide the learning rate by 5 when the loss stops improving (scikit-learn's ``adaptive``).

    Each epoch whose loss is not below ``best - tol`` counts as a failure (a better loss resets
    the count); after ``patience`` consecutive failures (scikit-learn's documented 2) the
    learning rate is multiplied by ``factor`` (1/5) and the count restarts. ``exhausted``
    becomes True once the rate would drop to ``min_lr`` (1e-6) or below: scikit-learn stops
    training then.

    Example:
        >>> from autograd_core import Value
        >>> s = AdaptiveLR(SGD([Value(1.0)], lr=1.0), tol=1e-4)
        >>> [s.step(loss=x) for x in (1.0, 0.5, 0.5, 0.5)]
        [1.0, 1.0, 1.0, 0.2]
    """

    name = "adaptive"

    def __init__(
        self,
        optimizer: Optimizer | None = None,
        tol: float = 1e-4,
        patience: int = 2,
        factor: float = 0.2,
        min_lr: float = 1e-6,
    ) -> None:
        self.tol = _number(tol, "AdaptiveLR: tol")
        self.patience = check_count(patience, "AdaptiveLR: patience")
        self.factor = _number(factor, "AdaptiveLR: factor", 0.0, 1.0, True)
        self.min_lr = _number(min_lr, "AdaptiveLR: min_lr")
        super().__init__(optimizer)

    def bind(self, optimizer: Optimizer) -> Schedule:
        """Attach to ``optimizer`` and reset the loss record.

        Example:
            >>> from autograd_core import Value
            >>> AdaptiveLR().bind(SGD([Value(1.0)], lr=0.3)).current
            0.3
        """
        super().bind(optimizer)
        self.best_loss = math.inf
        self.bad_epochs = 0
        self.current = self.lr0
        self.exhausted = False
        return self

    def lr_at(self, epoch: int) -> float:
        """The current rate (it depends on the losses seen, not on the epoch).

        Example:
            >>> from autograd_core import Value
            >>> AdaptiveLR(SGD([Value(1.0)], lr=0.3)).lr_at(100)
            0.3
        """
        return self.current

    def step(self, epoch: int | None = None, loss: float | None = None) -> float:
        """Record this epoch's ``loss`` (required) and set the learning rate.

        Example:
            >>> from autograd_core import Value
            >>> s = AdaptiveLR(SGD([Value(1.0)], lr=1.0), patience=1)
            >>> s.step(loss=1.0), s.step(loss=1.0)
            (1.0, 0.2)
        """
        if loss is None or not isinstance(loss, numbers.Real):
            raise ConfigError(f"AdaptiveLR: step() needs the epoch's loss, got {excerpt(loss)}")
        if self.optimizer is None:
            raise ConfigError("AdaptiveLR: bind it to an optimizer before calling step()")
        loss = float(loss)
        self.bad_epochs = self.bad_epochs + 1 if loss > self.best_loss - self.tol else 0
        self.best_loss = min(self.best_loss, loss)
        if self.bad_epochs >= self.patience:
            self.bad_epochs = 0
            if self.current * self.factor <= self.min_lr:
                self.exhausted = True
            else:
                self.current *= self.factor
        return super().step(epoch, loss)


_SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantLR, StepLR, ExponentialLR, InvScalingLR, CosineLR, LinearLR, AdaptiveLR)
}


def get_schedule(name: str, optimizer: Optimizer | None = None, **kwargs: Any) -> Schedule:
    """Make a schedule by name: constant, step, exponential, invscaling, cosine, linear or adaptive.

    Leave ``optimizer`` out to get an unbound schedule (``fit`` binds it to its optimizer).

    Example:
        >>> from autograd_core import Value
        >>> opt = SGD([Value(1.0)], lr=0.1)
        >>> s = get_schedule("exponential", opt, gamma=0.5); _ = s.step(); opt.lr
        0.05
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _SCHEDULES:
        raise ConfigError(f"unknown learning-rate schedule {excerpt(name)}; choose one of {sorted(_SCHEDULES)}")
    try:
        return _SCHEDULES[key](optimizer, **kwargs)
    except TypeError as err:
        raise ConfigError(f"{_SCHEDULES[key].__name__}: {err}") from None
