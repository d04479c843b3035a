"""micrograd's own two engine checks (test/test_engine.py there compares against PyTorch),
reproduced with expected numbers derived by hand / NumPy below, not copied from the engine."""

import math

import numpy as np

from autograd_core import Value


def test_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    # By hand: z = 3x + 2 = -10; relu(z) = 0, so q = z x = 3x**2 + 2x = 40;
    # h = z**2 = 100; y = h + q + q x = z**2 + (1 + x) q = 100 + (-3)(40) = -20.
    # dy/dx = 2 z z' + q' (1 + x) + q with z' = 3 and q' = 6x + 2 = -22:
    #       = 2(-10)(3) + (-22)(-3) + 40 = -60 + 66 + 40 = 46.
    assert y.data == -20.0
    assert x.grad == 46.0


def _micrograd_more_ops(a, b, relu):
    """The same expression on plain numbers (a, b floats) or on Values (relu = Value.relu)."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_more_ops():
    a, b = Value(-4.0), Value(2.0)
    g = _micrograd_more_ops(a, b, Value.relu)
    g.backward()
    # By hand with a = -4, b = 2: c0 = a + b; c1 = 2 c0 + 1; c = 2 c1 + 1 - a = 3a + 4b + 3 = -1.
    # d0 = a b + b**3 = 0; d1 = 3 d0 + relu(a + b) = 3 d0 (a + b = -2, relu off);
    # d = 4 d1 + relu(b - a) = 12 d0 + (b - a) = 6 (b - a = 6, relu on).
    # e = c - d = -7, f = 49, g = f/2 + 10/f = 49/2 + 10/49 = 2421/98 = 24.70408163265306.
    assert math.isclose(g.data, 2421 / 98, rel_tol=1e-15)
    assert math.isclose(g.data, 24.70408163265306, rel_tol=1e-15)
    # g = e**2/2 + 10/e**2, so dg/de = e - 20/e**3.  de/da = dc/da - dd/da = 3 - (12 b - 1) = -20;
    # de/db = dc/db - dd/db = 4 - (12 (a + 3 b**2) + 1) = 4 - 97 = -93.
    e = -7.0
    dg_de = e - 20.0 / e**3
    dd_da = 12 * 2.0 - 1.0  # 12 b - 1
    dd_db = 12 * (-4.0 + 3 * 2.0**2) + 1.0  # 12 (a + 3 b**2) + 1
    da = dg_de * (3.0 - dd_da)
    db = dg_de * (4.0 - dd_db)
    assert math.isclose(a.grad, da, rel_tol=1e-13) and math.isclose(b.grad, db, rel_tol=1e-13)
    assert math.isclose(a.grad, 138.83381924198252, rel_tol=1e-13)
    assert math.isclose(b.grad, 645.5772594752186, rel_tol=1e-13)
    # and independently, central differences of the same expression on plain floats
    relu = lambda v: max(v, 0.0)
    h = 1e-6
    fd_a = (_micrograd_more_ops(-4.0 + h, 2.0, relu) - _micrograd_more_ops(-4.0 - h, 2.0, relu)) / (2 * h)
    fd_b = (_micrograd_more_ops(-4.0, 2.0 + h, relu) - _micrograd_more_ops(-4.0, 2.0 - h, relu)) / (2 * h)
    assert math.isclose(a.grad, fd_a, rel_tol=1e-6) and math.isclose(b.grad, fd_b, rel_tol=1e-6)


def test_more_ops_on_lanes_matches_per_sample():
    """The micrograd expression on 3 lanes at once equals three separate scalar runs."""
    av, bv = np.array([-4.0, 1.5, 0.5]), np.array([2.0, -0.5, 3.0])
    a, b = Value(av), Value(bv)
    g = _micrograd_more_ops(a, b, Value.relu)
    g.sum().backward()
    for lane in range(3):
        sa, sb = Value(av[lane]), Value(bv[lane])
        gs = _micrograd_more_ops(sa, sb, Value.relu)
        gs.backward()
        assert math.isclose(g.data[lane], gs.data, rel_tol=1e-14)
        assert math.isclose(a.grad[lane], sa.grad, rel_tol=1e-13)
        assert math.isclose(b.grad[lane], sb.grad, rel_tol=1e-13)
