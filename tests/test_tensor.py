"""The Tensor API surface, backward semantics, clear errors and graph memory (tensor.py, autograd/)."""

import gc
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.testing import assert_close

# --------------------------------------------------------------------------------------------------
# factories and dtypes


def test_factories_and_default_dtypes():
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros(2, 3).dtype == tg.float32
    assert tg.ones((2, 3)).data.sum() == 6
    assert tg.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tg.arange(5).dtype == tg.int64 and tg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(0, 1, 0.5).dtype == tg.float32
    assert tg.randn(3, 4).dtype == tg.float32 and tg.rand(5).data.min() >= 0
    assert tg.randint(0, 10, (100,)).dtype == tg.int64
    x = tg.randn(2, 3, dtype=tg.float64)
    assert tg.zeros_like(x).dtype == tg.float64 and tg.ones_like(x).shape == (2, 3)


def test_float64_end_to_end():
    x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    w = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    loss = ((x @ w).tanh().softmax(-1) * 2.0 + 1.0).log().mean()
    assert loss.dtype == tg.float64
    loss.backward()
    assert x.grad.dtype == tg.float64 and w.grad.dtype == tg.float64


def test_float32_stays_float32_with_python_numbers():
    x = tg.randn(3, requires_grad=True)
    y = (2.5 * x + 1) ** 2 / 3.0 - x.exp()
    assert y.dtype == tg.float32
    y.sum().backward()
    assert x.grad.dtype == tg.float32


def test_repr_item_tolist_numpy_detach():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert "tensor(" in repr(x) and "requires_grad=True" in repr(x)
    assert "grad_fn" in repr(x * 2)
    assert "dtype=float64" in repr(tg.tensor([1.0], dtype=tg.float64))
    assert tg.tensor(3.5).item() == 3.5
    with pytest.raises(ValueError):
        x.item()
    assert x.tolist() == [[1.0, 2.0]]
    assert isinstance(x.numpy(), np.ndarray)
    y = (x * 3).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert x.float().dtype == tg.float32 and x.double().dtype == tg.float64 and x.long().dtype == tg.int64


def test_no_grad_as_context_manager_and_decorator():
    x = tg.randn(3, requires_grad=True)
    with tg.no_grad():
        assert not (x * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled() and (x * 2).requires_grad

    @tg.no_grad()
    def inference(t):
        return t.exp()

    assert not inference(x).requires_grad
    assert tg.is_grad_enabled()


def test_manual_seed_and_generator_reproducible():
    tg.manual_seed(123)
    first = tg.randn(5).tolist()
    tg.manual_seed(123)
    assert tg.randn(5).tolist() == first
    g1, g2 = tg.Generator(7), tg.Generator(7)
    assert tg.rand(4, generator=g1).tolist() == tg.rand(4, generator=g2).tolist()
    assert tg.randn(4, generator=tg.Generator(8)).tolist() != tg.randn(4, generator=tg.Generator(9)).tolist()


def test_multinomial_statistics():
    probs = tg.tensor([0.1, 0.2, 0.7])
    samples = tg.multinomial(probs, 20000, replacement=True, generator=tg.Generator(0))
    assert samples.dtype == tg.int64 and samples.shape == (20000,)
    frequencies = np.bincount(samples.data, minlength=3) / 20000
    assert np.abs(frequencies - [0.1, 0.2, 0.7]).max() < 0.015
    draws = tg.multinomial(tg.tensor([[1.0, 1.0, 0.0, 1.0]]), 3, generator=tg.Generator(1))
    assert sorted(draws.tolist()[0]) == [0, 1, 3]  # without replacement: each non-zero class once


# --------------------------------------------------------------------------------------------------
# backward semantics


def test_gradients_accumulate_into_leaves():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, np.array([2 + 3, 4 + 3], dtype=np.float32))


def test_variable_used_twice_gets_both_contributions():
    x = tg.tensor([3.0], dtype=tg.float64, requires_grad=True)
    y = x * x + x.exp() * x  # d/dx = 2x + e^x + x e^x
    y.sum().backward()
    assert_close(x.grad, [6 + np.exp(3) * 4])


def test_non_leaf_grad_only_with_retain_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    kept = x * 3
    kept.retain_grad()
    (hidden + kept).sum().backward()
    assert hidden.grad is None
    assert_close(kept.grad, np.ones(2, dtype=np.float32))


def test_second_backward_raises_unless_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()  # allowed: the graph was kept


def test_create_graph_gives_second_derivatives():
    x = tg.tensor([0.5, -1.0], dtype=tg.float64, requires_grad=True)
    y = (x**3).sum()
    (grad,) = tg.autograd.grad(y, x, create_graph=True)
    assert_close(grad, 3 * x.data**2)
    grad.sum().backward()
    assert_close(x.grad, 6 * x.data)  # d/dx sum(3 x^2)
    z = x.tanh().sum()
    z.backward(create_graph=True)
    first = x.grad
    assert first.requires_grad


def test_autograd_grad_allow_unused_and_no_grad_touching():
    x = tg.randn(3, requires_grad=True)
    unused = tg.randn(3, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not used"):
        tg.autograd.grad(y, [x, unused], retain_graph=True)
    grad_x, grad_unused = tg.autograd.grad(y, [x, unused], allow_unused=True)
    assert grad_unused is None and x.grad is None
    assert_close(grad_x, np.full(3, 2.0, dtype=np.float32))


# --------------------------------------------------------------------------------------------------
# clear errors


def test_non_broadcastable_shapes_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        tg.zeros(2, 3) + tg.zeros(4)
    with pytest.raises(ValueError, match=r"mul.*\(2, 3\).*\(2,\)"):
        tg.zeros(2, 3) * tg.zeros(2)


def test_matmul_misalignment():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        tg.zeros(3, 4) @ tg.zeros(5, 2)
    with pytest.raises(ValueError, match="matmul"):
        tg.zeros(3) @ tg.zeros(4)


def test_index_errors():
    x = tg.zeros(3, 4)
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[5]
    with pytest.raises(IndexError):
        x[tg.tensor([0, 7])]
    with pytest.raises(IndexError, match="integer or bool"):
        x[tg.tensor([0.0, 1.0])]


def test_backward_on_non_scalar_needs_gradient():
    y = tg.randn(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(tg.ones(3))  # fine with an explicit gradient


def test_in_place_change_of_saved_tensor_is_detected():
    x = tg.randn(3, requires_grad=True)
    weight = tg.randn(3)
    y = (x * weight).sum()
    weight.mul_(2.0)  # weight was saved by mul for backward
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_on_leaf_requiring_grad_is_refused():
    x = tg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x.add_(1.0)
    with tg.no_grad():
        x.add_(1.0)


def test_only_float_tensors_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2], requires_grad=True)


# --------------------------------------------------------------------------------------------------
# memory and depth


def test_graph_is_freed_by_reference_counting():
    """No reference cycles: with the cycle collector off, the graph dies with its last tensor."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = tg.randn(4, 4, requires_grad=True)
        hidden = (x @ x).tanh()
        out = (hidden.softmax(-1) * hidden).sum()
        nodes = [weakref.ref(hidden), weakref.ref(out), weakref.ref(out.grad_fn), weakref.ref(hidden.grad_fn)]
        out.backward()
        del hidden, out
        assert all(node() is None for node in nodes)
    finally:
        if was_enabled:
            gc.enable()


def test_deep_chain_without_recursion_error():
    x = tg.tensor([0.5], dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    assert_close(x.grad, [1.0001**10_000], rtol=1e-9, atol=0)
    del y  # freeing a 10,000-deep graph must not overflow either


def test_backward_frees_intermediates_but_keeps_the_graph_drawable():
    """After backward, last step's loss no longer holds last step's activations (as in torch), yet the
    graph can still be walked (next_functions) and drawn; a second backward is a clear error."""
    a = tg.randn(4, 5, requires_grad=True)
    hidden = (a * 3.0).tanh()
    hidden_ref = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    gc.disable()
    try:
        loss.backward()
        assert hidden_ref() is None, "the intermediate tensor outlived backward"
    finally:
        gc.enable()
    assert a.grad is not None
    assert "Tanh" in tg.to_dot(loss)
    mul_node = loss.grad_fn.next_functions[0][0]
    assert mul_node.name() == "Mul" and mul_node.next_functions[0][0].name() == "Tanh"
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_keeps_intermediates_for_a_second_backward():
    a = tg.randn(3, requires_grad=True, dtype=tg.float64)
    loss = (a.tanh() * a).sum()
    loss.backward(retain_graph=True)
    first = a.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * first)
