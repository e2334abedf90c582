"""tinygrad_edu.testing: assert_close's messages and tolerances, the strategies, and gradcheck's
errors (the checks must be able to fail)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import (
    GradcheckError,
    assert_close,
    broadcastable_shapes,
    gradcheck,
    gradgradcheck,
    noncontiguous_tensors,
    shapes,
    tensors,
)

# --------------------------------------------------------------------------------------------------
# assert_close


def test_assert_close_passes_within_default_tolerances():
    assert_close(tg.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6], dtype=np.float32))
    assert_close(1.0, 1.0 + 1e-8)
    assert_close(tg.tensor([1, 2]), [1, 2])
    assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))


def test_assert_close_message_names_worst_element():
    actual = tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64)
    expected = np.array([[1.0, 2.1], [3.0, 5.0]])
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected)
    message = str(info.value)
    assert "2 of 4 elements mismatch" in message
    assert "(1, 1)" in message and "actual 4.0" in message and "expected 5.0" in message
    assert "|difference| 1 > tolerance" in message and "rtol=1e-07" in message


def test_assert_close_float32_defaults_and_explicit_tolerances():
    with pytest.raises(AssertionError, match="rtol=1.3e-06"):
        assert_close(tg.tensor([1.0]), tg.tensor([1.001]))
    assert_close(tg.tensor([1.0]), tg.tensor([1.001]), rtol=1e-2, atol=0)
    with pytest.raises(ValueError, match="both"):
        assert_close(1.0, 1.0, rtol=1e-3)


def test_assert_close_integers_exact_and_shape_mismatch():
    with pytest.raises(AssertionError, match="mismatch"):
        assert_close(tg.tensor([1, 2]), tg.tensor([1, 3]))
    with pytest.raises(AssertionError, match=r"shapes do not match.*\(2,\).*\(2, 1\)"):
        assert_close(np.zeros(2), np.zeros((2, 1)))


def test_assert_close_nan_against_number_fails():
    with pytest.raises(AssertionError, match="1 of 2"):
        assert_close(np.array([np.nan, 0.0]), np.array([0.0, 0.0]))


def test_assert_close_accepts_torch_tensors(torch):
    assert_close(tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(AssertionError):
        assert_close(torch.tensor([1.0]), tg.tensor([2.0]))


# --------------------------------------------------------------------------------------------------
# strategies generate what they document


@given(shape=shapes())
def test_shapes_defaults(shape):
    assert isinstance(shape, tuple) and 0 <= len(shape) <= 4
    assert all(1 <= s <= 5 for s in shape)


@given(shape=shapes(min_dims=2, max_dims=3, min_side=2, max_side=3))
def test_shapes_bounds(shape):
    assert 2 <= len(shape) <= 3 and all(2 <= s <= 3 for s in shape)


@given(data=st.data())
def test_broadcastable_shapes_broadcast(data):
    shape = data.draw(shapes())
    other = data.draw(broadcastable_shapes(shape))
    assert len(other) <= len(shape)
    assert np.broadcast_shapes(shape, other) == shape or 1 in shape


@given(data=st.data())
def test_broadcastable_shapes_with_more_dims(data):
    shape = data.draw(shapes(max_dims=2))
    other = data.draw(broadcastable_shapes(shape, max_dims=4))
    np.broadcast_shapes(shape, other)  # raises if they do not broadcast


@given(x=tensors(shape=(2, 3)))
def test_tensors_fixed_shape_default_elements(x):
    assert isinstance(x, tg.Tensor) and x.shape == (2, 3) and x.dtype == tg.float64
    assert np.isfinite(x.data).all() and np.abs(x.data).max(initial=0) <= 3
    assert not x.requires_grad


@given(
    x=tensors(
        shape=shapes(max_dims=2), dtype=np.float32, elements=st.floats(0, 1, width=32), requires_grad=True
    )
)
def test_tensors_options(x):
    assert x.dtype == tg.float32 and x.requires_grad and x.is_leaf
    assert x.ndim <= 2 and ((x.data >= 0) & (x.data <= 1)).all()


@given(x=tensors(shape=(4,), dtype=np.int64))
def test_tensors_integers(x):
    assert x.dtype == tg.int64 and x.shape == (4,)


@given(x=noncontiguous_tensors(shape=shapes(min_dims=1, max_dims=3, min_side=2)))
def test_noncontiguous_tensors_are_noncontiguous(x):
    assert not x.data.flags.c_contiguous
    assert x.dtype == tg.float64 and 1 <= x.ndim <= 3


@given(x=noncontiguous_tensors(shape=(3, 2), requires_grad=True))
def test_noncontiguous_tensors_shape(x):
    assert x.shape == (3, 2) and x.requires_grad


# --------------------------------------------------------------------------------------------------
# gradcheck fails when it should


class WrongSquare(tg.autograd.Function):
    """x^2 with a backward that is off by a factor: 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x * 3


class SquareWithConstantBackward(tg.autograd.Function):
    """x^2 whose backward is right but is not itself differentiable (2x computed outside the graph)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * tg.Tensor._wrap(2 * x.data)


def test_gradcheck_reports_output_and_input_with_both_jacobians():
    x = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([0.5], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a * b, WrongSquare.apply(a) + b), (x, y))
    message = str(info.value)
    assert "output 1 with respect to input 0" in message
    assert "numerical:" in message and "analytical:" in message
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(lambda a, b: (a * b, WrongSquare.apply(a) + b), (x, y), raise_exception=False) is False


def test_gradcheck_requires_float64():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda a: a * 2, (tg.randn(3, requires_grad=True),))


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = tg.tensor([1.0, -2.0, 0.5], dtype=tg.float64, requires_grad=True)
    assert gradcheck(SquareWithConstantBackward.apply, (x,))
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(SquareWithConstantBackward.apply, (x,))


def test_public_gradcheck_dispatches_values_and_tensors():
    assert tg.gradcheck(lambda a, b: a * b + a.tanh(), [tg.Value(0.3), tg.Value(-1.2)])
    assert tg.gradcheck(lambda t: t.exp().sum(), tg.randn(3, dtype=tg.float64, requires_grad=True))
    assert tg.gradgradcheck(lambda t: t.exp(), (tg.randn(3, dtype=tg.float64, requires_grad=True),))
