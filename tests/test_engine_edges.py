"""Edge cases found in review: each test pins a behaviour that once was wrong or obscure."""

import math

import numpy as np
import pytest

from autograd_core import (
    DomainError,
    OperandTypeError,
    ShapeError,
    Value,
    grad,
    gradcheck,
    hessian,
    logsumexp,
    no_grad,
    numerical_grad,
    sum_squares,
)


def test_function_transforms_differentiate_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert hessian(lambda x: x**3)(2.0) == 12.0
        assert gradcheck(lambda x: x.tanh(), (0.3,))


def test_grad_wraps_every_numeric_argument_so_methods_work_on_all_of_them():
    assert grad(lambda x, y: x * y + x.exp(), argnums=(1,))(1.0, 2.0) == (1.0,)
    assert grad(lambda x, scale, name: x * scale if name == "s" else x, argnums=0)(2.0, 3.0, "s") == 3.0


def test_backward_checks_the_shape_of_a_value_grad():
    x = Value(2.0)
    with pytest.raises(ShapeError, match="shape"):
        (x * x).backward(grad=Value(np.array([1.0, 2.0])))
    lanes = Value(np.array([1.0, 2.0]))
    with pytest.raises(ShapeError, match="shape"):
        (lanes * 2.0).backward(grad=Value(1.0))


def test_gradient_arrays_are_never_shared():
    x = Value(np.array([1.0, 2.0]))
    y = x + 1.0
    G = np.array([1.0, 1.0])
    y.backward(grad=G)
    assert x.grad is not G and y.grad is not G and x.grad is not y.grad
    x.grad += 5.0  # in place: must touch x's gradient only
    assert list(y.grad) == [1.0, 1.0] and list(G) == [1.0, 1.0]
    a = Value(np.array([1.0, 2.0]))
    total = a.sum() + a.sum()  # sum's vjp hands the same g to several inputs
    total.backward()
    assert list(a.grad) == [2.0, 2.0]


def test_zero_exponent_lanes_have_zero_derivative_at_zero_base():
    x = Value(0.0)
    (x ** np.array([0.0, 2.0])).sum().backward()
    assert x.grad == 0.0
    y = Value(np.array([0.0, 3.0]))
    (y ** np.array([0.0, 2.0])).sum().backward()
    assert list(y.grad) == [0.0, 6.0]


def test_create_graph_keeps_the_context_of_a_non_finite_derivative():
    with pytest.raises(DomainError, match=r"sqrt: the derivative is not finite.*op chain: sqrt"):
        Value(0.0, label="x").sqrt().backward(create_graph=True)


def test_numbers_beyond_float64_and_odd_data_types():
    with pytest.raises(DomainError, match="beyond the range of float64"):
        Value(2**1100)
    with pytest.raises(DomainError, match="beyond the range of float64"):
        Value(1.0) + 2**1100
    assert Value(np.bool_(True)).data == 1.0
    with pytest.raises(OperandTypeError, match="already a Value"):
        Value(Value(1.0))


def test_comparisons_give_plain_bools_for_scalars():
    assert type(Value(2.0) < np.float64(3.0)) is bool
    assert type(Value(2.0) >= Value(np.float32(1.0))) is bool
    assert list(Value(np.array([1.0, 3.0])) > 2.0) == [False, True]


def test_logsumexp_with_infinities():
    assert logsumexp([Value(math.inf), Value(0.0)]).data == math.inf
    assert logsumexp([Value(-math.inf), Value(-math.inf)]).data == -math.inf
    lanes = logsumexp([Value(np.array([math.inf, 1.0])), Value(np.array([0.0, 2.0]))]).data
    assert lanes[0] == math.inf and lanes[1] == pytest.approx(math.log(math.e + math.e**2))


def test_domain_error_of_an_unnamed_intermediate_names_its_op_chain():
    with pytest.raises(DomainError, match=r"got -4\.0 \(input made by: \* <- leaf 'x'\)"):
        (Value(-2.0, label="x") * 2).log()


def test_sum_squares_gradient_is_twice_the_input():
    xs = [0.3, -1.2, 2.0]
    g = grad(lambda a, b, c: sum_squares([a, b, c]) * 0.5, argnums=(0, 1, 2))(*xs)
    assert g == pytest.approx(tuple(xs))  # d(½ Σ x²)/dx = x
    numeric = numerical_grad(lambda a, b, c: sum_squares([a, b, c]), *xs)
    assert numeric == pytest.approx([2 * x for x in xs], rel=1e-6)
    lanes = Value(np.array([1.0, -2.0]))
    w = Value(3.0)
    sum_squares([lanes, w]).sum().backward()  # w meets lanes: its share is summed over them
    assert list(lanes.grad) == [2.0, -4.0] and w.grad == 12.0


def test_grads_array_reads_scalar_gradients_at_once():
    from autograd_core import grads_array

    a, b, c = Value(2.0), Value(5.0), Value(1.0)
    (a * b).backward()
    assert list(grads_array([a, b, c])) == [5.0, 2.0, 0.0]
    x = Value(3.0)
    (x * x).backward(create_graph=True)  # x.grad is a Value now
    assert list(grads_array([x])) == [6.0]
    lanes = Value(np.array([1.0, 2.0]))
    (lanes * 2.0).sum().backward()
    with pytest.raises(ShapeError, match="scalar"):
        grads_array([lanes])


def test_no_grad_makes_plain_leaves_without_history():
    with no_grad():
        y = Value(2.0) * 3
    assert y.is_leaf and y.op == "" and y.parents == () and y.data == 6.0
