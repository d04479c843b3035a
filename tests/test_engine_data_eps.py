"""Issue 14 item 9 (engine part): ``Value.data`` assignment is checked; numerical_grad checks eps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import DomainError, OperandTypeError, ShapeError, Value, numerical_grad
from autograd_core.params import ParamBuffer


@pytest.mark.parametrize("bad", ["abc", None, [1, "x"], {"a": 1}, object(), Value(1.0)])
def test_assigning_a_non_number_to_data_fails_at_the_assignment(bad):
    v = Value(1.0)
    with pytest.raises(OperandTypeError):
        v.data = bad
    assert v.data == 1.0  # unchanged


def test_assigned_data_is_converted_like_the_constructor():
    v = Value(1.0)
    v.data = 3
    assert type(v.data) is float and v.data == 3.0
    v.data = [1, 2]
    assert v.data.dtype == np.float64 and v.data.tolist() == [1.0, 2.0]
    with pytest.raises(ShapeError):
        v.data = np.zeros((2, 2))


def test_the_engine_uses_assigned_data():
    x = Value(2.0)
    x.data = 5
    y = x * x
    y.backward()
    assert (y.data, x.grad) == (25.0, 10.0)


def test_a_parameter_keeps_its_own_checks_and_the_engine_reads_its_buffer():
    w = ParamBuffer([2.0], labels=["w"]).params[0]
    with pytest.raises(OperandTypeError):
        w.data = "abc"
    w.data = 3.0
    (w * w).backward()
    assert w.grad == 6.0


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan, math.inf, -math.inf])
def test_numerical_grad_refuses_an_eps_that_is_not_finite_and_positive(eps):
    with pytest.raises(DomainError, match="eps must be a finite number > 0"):
        numerical_grad(lambda x: x * x, 1.0, eps=eps)


@pytest.mark.parametrize("eps", ["1e-6", None, True, [1e-6]])
def test_numerical_grad_refuses_an_eps_that_is_not_a_number(eps):
    with pytest.raises(OperandTypeError, match="eps must be a number"):
        numerical_grad(lambda x: x * x, 1.0, eps=eps)


def test_numerical_grad_refuses_an_eps_too_small_for_the_argument_and_names_a_usable_one():
    with pytest.raises(DomainError, match=r"too small for argument 1 .*use eps >= ") as info:
        numerical_grad(lambda x, y: x * y, 1.0, 1e12, eps=1e-6)
    need = float(str(info.value).rsplit(">= ", 1)[1])
    assert numerical_grad(lambda x, y: x * y, 1.0, 1e12, eps=need)[1] == pytest.approx(1.0, rel=1e-3)


def test_numerical_grad_names_the_lane_and_refuses_non_finite_arguments():
    with pytest.raises(DomainError, match="argument 0, lane 2"):
        numerical_grad(lambda x: (x * x).sum(), np.array([1.0, 2.0, 1e15]))
    with pytest.raises(DomainError, match="is inf; finite differences need finite"):
        numerical_grad(lambda x: x * x, math.inf)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-1e6, 1e6), eps=st.floats(1e-6, 1e-2))
def test_numerical_grad_accepts_every_ordinary_eps_and_is_right(x, eps):
    (d,) = numerical_grad(lambda v: v * v, x, eps=eps)
    rounding = 4 * float(np.spacing(x * x + eps * eps)) / eps  # f's own rounding, amplified by 1/eps
    assert d == pytest.approx(2 * x, rel=1e-9, abs=rounding + 1e-9)
