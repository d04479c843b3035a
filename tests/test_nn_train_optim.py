"""Optimizers against hand-computed PyTorch updates, and the learning-rate schedules."""

import math

import pytest

from autograd_core import AutogradError, Value
from nn.errors import ConfigError
from nn.optim import (
    SGD,
    Adam,
    AdaptiveLR,
    ConstantLR,
    CosineLR,
    ExponentialLR,
    InvScalingLR,
    LinearLR,
    RMSprop,
    StepLR,
    get_optimizer,
    get_schedule,
)

# Two parameters and a fixed sequence of gradients: the test sets .grad by hand so the
# expected updates below are written out with plain arithmetic.
P0 = [1.0, -2.0]
GRADS = [[0.5, -1.0], [0.25, 2.0], [-1.5, 0.5]]


def run(opt_cls, **kw):
    params = [Value(v) for v in P0]
    opt = opt_cls(params, **kw)
    for gs in GRADS:
        opt.zero_grad()
        for p, g in zip(params, gs, strict=True):
            p.grad = g
        opt.step()
    return [p.data for p in params]


def close(a, b):
    assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


def test_sgd_plain():
    lr = 0.1
    expected = [p - lr * sum(gs[i] for gs in GRADS) for i, p in enumerate(P0)]
    close(run(SGD, lr=lr), expected)


def test_sgd_momentum_dampening_weight_decay():
    lr, mu, damp, wd = 0.1, 0.9, 0.2, 0.01
    expected = []
    for i, p in enumerate(P0):
        buf = None
        for gs in GRADS:
            g = gs[i] + wd * p
            buf = g if buf is None else mu * buf + (1 - damp) * g
            p = p - lr * buf
        expected.append(p)
    close(run(SGD, lr=lr, momentum=mu, dampening=damp, weight_decay=wd), expected)


def test_sgd_nesterov():
    lr, mu, wd = 0.05, 0.8, 0.1
    expected = []
    for i, p in enumerate(P0):
        buf = None
        for gs in GRADS:
            g = gs[i] + wd * p
            buf = g if buf is None else mu * buf + g
            p = p - lr * (g + mu * buf)
        expected.append(p)
    close(run(SGD, lr=lr, momentum=mu, nesterov=True, weight_decay=wd), expected)


def test_sgd_first_momentum_step_by_hand():
    # p = 1, g = 0.5: buf = 0.5, p = 1 - 0.1 * 0.5 = 0.95; second step g = 0.25:
    # buf = 0.9 * 0.5 + 0.25 = 0.7, p = 0.95 - 0.07 = 0.88.
    w = Value(1.0)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for g in (0.5, 0.25):
        w.grad = g
        opt.step()
    close(w.data, 0.88)


def test_adam_bias_correction():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.05
    expected = []
    for i, p in enumerate(P0):
        m = v = 0.0
        for t, gs in enumerate(GRADS, start=1):
            g = gs[i] + wd * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat_scale = lr / (1 - b1**t)
            denom = math.sqrt(v) / math.sqrt(1 - b2**t) + eps
            p = p - m_hat_scale * m / denom
        expected.append(p)
    close(run(Adam, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), expected)


def test_adam_first_step_moves_by_lr():
    # After bias correction m_hat = g and v_hat = g**2, so the first step is lr * sign(g).
    params = [Value(1.0), Value(-3.0)]
    opt = Adam(params, lr=0.1, eps=0.0)
    params[0].grad, params[1].grad = 123.0, -0.001
    opt.step()
    close([p.data for p in params], [0.9, -2.9])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop(centered, momentum):
    lr, alpha, eps, wd = 0.01, 0.9, 1e-8, 0.02
    expected = []
    for i, p in enumerate(P0):
        sq = gavg = buf = 0.0
        for gs in GRADS:
            g = gs[i] + wd * p
            sq = alpha * sq + (1 - alpha) * g * g
            if centered:
                gavg = alpha * gavg + (1 - alpha) * g
                avg = math.sqrt(sq - gavg * gavg) + eps
            else:
                avg = math.sqrt(sq) + eps
            if momentum:
                buf = momentum * buf + g / avg
                p = p - lr * buf
            else:
                p = p - lr * g / avg
        expected.append(p)
    got = run(RMSprop, lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=wd, centered=centered)
    close(got, expected)


def test_step_uses_real_backward_and_zero_grad():
    w, b = Value(2.0), Value(-1.0)
    opt = SGD([w, b, w], lr=0.5)  # w listed twice is updated once
    assert len(opt.params) == 2
    loss = (w * 3.0 + b) ** 2  # (6 - 1)^2: dw = 2*5*3 = 30, db = 10
    loss.backward()
    opt.step()
    close([w.data, b.data], [2.0 - 15.0, -1.0 - 5.0])
    opt.zero_grad()
    assert w.grad == 0.0 and b.grad == 0.0


def test_optimizer_accepts_a_module_like_object():
    class Model:
        def __init__(self):
            self.p = [Value(1.0)]

        def parameters(self):
            return self.p

    assert SGD(Model()).params[0].data == 1.0


def test_state_dict_round_trip_continues_identically():
    a = [Value(1.0)]
    opt = Adam(a, lr=0.1)
    a[0].grad = 1.0
    opt.step()
    b = [Value(a[0].data)]
    opt2 = Adam(b, lr=0.3)
    opt2.load_state_dict(opt.state_dict())
    for p, o in ((a, opt), (b, opt2)):
        p[0].grad = -0.5
        o.step()
    assert a[0].data == b[0].data


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: SGD(p, lr=-0.1), "lr"),
        (lambda p: SGD(p, lr=float("nan")), "lr"),
        (lambda p: SGD(p, momentum=-1), "momentum"),
        (lambda p: SGD(p, nesterov=True), "nesterov"),
        (lambda p: SGD(p, momentum=0.9, nesterov=True, dampening=0.1), "nesterov"),
        (lambda p: SGD(p, weight_decay=-1e-3), "weight_decay"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "betas"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "betas"),
        (lambda p: Adam(p, betas=0.9), "pair"),
        (lambda p: Adam(p, eps=-1.0), "eps"),
        (lambda p: RMSprop(p, alpha=1.5), "alpha"),
        (lambda p: SGD([], lr=0.1), "empty"),
        (lambda p: SGD([1.0, 2.0]), "Value"),
        (lambda p: SGD([Value([1.0, 2.0])]), "lanes"),
        (lambda p: get_optimizer("adagrad", p), "unknown optimizer"),
        (lambda p: get_optimizer("sgd", p, betas=(0.9, 0.9)), "SGD"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises(ConfigError, match=match) as info:
        make([Value(1.0)])
    assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)


def test_lr_is_mutable_and_validated():
    opt = SGD([Value(1.0)], lr=0.1)
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ConfigError, match="lr"):
        opt.lr = -1


# --- schedules ----------------------------------------------------------------------------


def lrs(schedule, n, losses=None):
    return [schedule.step(loss=None if losses is None else losses[i]) for i in range(n)]


def opt(lr=1.0):
    return SGD([Value(0.0)], lr=lr)


def test_constant_schedule():
    assert lrs(ConstantLR(opt(0.3)), 3) == [0.3, 0.3, 0.3]


def test_step_schedule_matches_formula_and_sets_optimizer_lr():
    o = opt(0.2)
    s = StepLR(o, step_size=3, gamma=0.5)
    got = lrs(s, 7)
    assert got == pytest.approx([0.2 * 0.5 ** (e // 3) for e in range(1, 8)])
    assert o.lr == got[-1]


def test_exponential_schedule():
    assert lrs(ExponentialLR(opt(2.0), gamma=0.5), 3) == pytest.approx([1.0, 0.5, 0.25])


def test_invscaling_schedule_is_sklearns():
    # scikit-learn: learning_rate_init / (t + 1) ** power_t
    s = InvScalingLR(opt(0.1), power_t=0.25)
    assert lrs(s, 3) == pytest.approx([0.1 / (t + 1) ** 0.25 for t in (1, 2, 3)])
    assert s.step(epoch=99) == pytest.approx(0.1 / 100**0.25)


def test_cosine_schedule():
    s = CosineLR(opt(1.0), T_max=4, eta_min=0.1)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4)]
    assert lrs(s, 6) == pytest.approx([*expected, 0.1, 0.1])


def test_linear_schedule_is_micrograds_demo_by_default():
    s = LinearLR(opt(1.0))
    assert lrs(s, 100) == pytest.approx([1.0 - 0.9 * k / 100 for k in range(1, 101)])
    assert s.step() == pytest.approx(0.1)


def test_adaptive_schedule_divides_by_five_after_two_bad_epochs():
    s = AdaptiveLR(opt(1.0), tol=0.01)
    # 1.0 best; 0.995 fails by tol (1 bad); 0.999 (2 bad) -> /5; 0.5 improves; 0.5, 0.5 -> /5
    got = lrs(s, 6, [1.0, 0.995, 0.999, 0.5, 0.5, 0.5])
    assert got == pytest.approx([1.0, 1.0, 0.2, 0.2, 0.2, 0.04])
    assert not s.exhausted


def test_adaptive_schedule_exhausts_at_min_lr():
    s = AdaptiveLR(opt(1e-5), patience=1, min_lr=1e-6)
    s.step(loss=1.0)
    s.step(loss=1.0)  # 1e-5 -> 2e-6
    assert not s.exhausted
    s.step(loss=1.0)  # 2e-6 * 0.2 would be <= 1e-6
    assert s.exhausted and s.optimizer.lr == pytest.approx(2e-6)


def test_get_schedule_by_name_and_unbound_schedules():
    s = get_schedule("cosine", T_max=10)
    with pytest.raises(ConfigError, match="bind"):
        s.step()
    o = opt(0.5)
    s.bind(o)
    assert s.lr0 == 0.5 and s.step(epoch=10) == 0.0 and o.lr == 0.0
    for name in ("constant", "step", "exponential", "invscaling", "cosine", "linear", "adaptive"):
        assert get_schedule(name, opt()).name == name


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("step", {"step_size": 0}),
        ("step", {"gamma": -1}),
        ("cosine", {"T_max": 0}),
        ("adaptive", {"factor": 1.0}),
        ("adaptive", {"patience": 0}),
        ("invscaling", {"power_t": -0.5}),
        ("linear", {"total_iters": 0}),
        ("warmup", {}),
        ("step", {"bogus": 1}),
    ],
)
def test_bad_schedule_arguments(name, kw):
    with pytest.raises(ConfigError):
        get_schedule(name, opt(), **kw)


def test_adaptive_needs_a_loss():
    with pytest.raises(ConfigError, match="loss"):
        AdaptiveLR(opt()).step()
