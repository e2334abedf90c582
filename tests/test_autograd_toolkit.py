"""The autograd toolkit a learner uses on their own code: custom `Function`s, `autograd.grad`, hooks,
`grad_fn`/`next_functions`, anomaly detection. Compared with torch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function
from tinygrad_edu.testing import assert_close, shapes, tensors


class Swish(Function):
    """swish(x) = x * sigmoid(x); backward written with Tensor ops, so it is twice differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data / (1 + np.exp(-x.data))

    @staticmethod
    def backward(ctx, grad_output):
        # d/dx x s(x) = s + x s (1 - s)
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * (s + x * s * (1 - s))


class Scale(Function):
    """x * factor with a plain-number factor: backward returns None for the number."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        ctx.seen_needs_input_grad = ctx.needs_input_grad
        return x.data * factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, "ignored: factor is not a tensor"


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _leaf(values, dtype=tg.float64):
    return tg.tensor(values, dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------------------------------
# custom ops


def test_custom_op_forward_and_backward():
    values = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    x = _leaf(values)
    y = Swish.apply(x)
    assert y.grad_fn.name() == "Swish" and not y.is_leaf
    assert_close(y, values * _sigmoid(values))
    y.sum().backward()
    s = _sigmoid(values)
    assert_close(x.grad, s + values * s * (1 - s))


@given(tensors(shape=shapes(max_dims=3), requires_grad=True))
def test_custom_op_gradient_matches_formula(x):
    Swish.apply(x).sum().backward()
    s = _sigmoid(x.data)
    assert_close(x.grad, s + x.data * s * (1 - s))


def test_custom_op_passes_gradcheck_and_gradgradcheck():
    x = tg.randn(3, 4, dtype=tg.float64, generator=tg.Generator(0)).requires_grad_()
    assert tg.gradcheck(Swish.apply, (x,))
    assert tg.gradgradcheck(Swish.apply, (x,))


def test_custom_op_second_derivative_with_create_graph():
    values = np.array([-1.5, 0.0, 2.0])
    x = _leaf(values)
    (first,) = tg.autograd.grad(Swish.apply(x).sum(), x, create_graph=True)
    assert first.requires_grad
    (second,) = tg.autograd.grad(first.sum(), x)
    s = _sigmoid(values)
    # d^2/dx^2 x s(x) = 2 s (1 - s) + x s (1 - s) (1 - 2 s)
    assert_close(second, 2 * s * (1 - s) + values * s * (1 - s) * (1 - 2 * s))


def test_non_tensor_arguments_get_none_and_needs_input_grad_is_seen_by_forward():
    x = _leaf([1.0, 2.0])
    y = Scale.apply(x, 3.0)
    assert y.grad_fn.seen_needs_input_grad == (True, False)
    y.sum().backward()  # the string returned for `factor` is ignored, as torch ignores it
    assert_close(x.grad, np.array([3.0, 3.0]))
    with tg.no_grad():
        z = Scale.apply(x, 3.0)
    assert z.grad_fn is None and not z.requires_grad


def test_backward_returning_the_wrong_number_of_gradients_names_the_function():
    class TwoInputs(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a.data + b.data

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output  # forgot b's gradient

    out = TwoInputs.apply(_leaf([1.0]), _leaf([2.0]))
    with pytest.raises(
        RuntimeError, match=r"TwoInputs\.backward returned 1 gradient\(s\), but forward took 2"
    ):
        out.sum().backward()


def test_backward_returning_a_wrong_shape_names_the_function_and_the_input():
    class SumsTooMuch(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a.data * b.data

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output.sum()

    out = SumsTooMuch.apply(_leaf([1.0, 2.0]), _leaf([3.0, 4.0]))
    with pytest.raises(
        RuntimeError, match=r"SumsTooMuch\.backward returned a gradient of shape \(\) for input 1"
    ):
        out.sum().backward()


def test_forward_returning_a_tuple_is_a_clear_error():
    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data, -x.data

    with pytest.raises(TypeError, match=r"TwoOutputs\.forward returned a tuple"):
        TwoOutputs.apply(_leaf([1.0]))


def test_forward_returning_its_input_leaves_the_input_a_leaf():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = _leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn.name() == "Identity"
    (y * 2).sum().backward()
    assert_close(x.grad, np.array([2.0, 2.0]))


def test_saved_tensor_changed_in_place_names_the_function():
    x = _leaf([1.0, 2.0])
    w = tg.tensor([3.0, 4.0], dtype=tg.float64)
    y = Swish.apply(x * w)
    base = y.grad_fn.saved_tensors[0]
    with tg.no_grad():
        base.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Swish: saved tensor 0 .* was modified in place"):
        y.sum().backward()


def test_custom_op_appears_in_the_graph_under_its_class_name():
    x = _leaf([1.0, 2.0])
    dot = tg.to_dot(Swish.apply(x * 2).sum())
    assert '[label="Swish", shape="ellipse"]' in dot


# --------------------------------------------------------------------------------------------------
# autograd.grad against torch.autograd.grad


def _both(torch, build, inputs, **grad_kwargs):
    """Run `build` on tinygrad_edu and on torch leaves with the same values; return both grads."""
    ours_inputs = [_leaf(v) for v in inputs]
    theirs_inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
    ours = tg.autograd.grad(*build(tg, ours_inputs), **grad_kwargs)
    theirs = torch.autograd.grad(*build(torch, theirs_inputs), **grad_kwargs)
    return ours, theirs, ours_inputs


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b.detach().numpy())


def test_grad_matches_torch_on_a_two_input_graph(torch):
    def build(lib, inputs):
        x, w = inputs
        return (x * w).tanh().sum() + (w * w).sum(), [x, w]

    ours, theirs, (x, w) = _both(torch, build, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    _assert_same(ours, theirs)
    assert x.grad is None and w.grad is None  # autograd.grad leaves .grad alone


def test_grad_allow_unused_matches_torch(torch):
    def build(lib, inputs):
        x, unused = inputs
        return (x * x).sum(), [x, unused]

    with pytest.raises(RuntimeError):
        torch.autograd.grad(
            *build(torch, [torch.ones(2, requires_grad=True), torch.ones(1, requires_grad=True)])
        )
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        tg.autograd.grad(*build(tg, [_leaf([1.0, 1.0]), _leaf([1.0])]))
    ours, theirs, _ = _both(torch, build, [[1.0, -2.0], [3.0]], allow_unused=True)
    _assert_same(ours, theirs)
    assert ours[1] is None


def test_grad_of_a_non_leaf_input_with_grad_outputs_matches_torch(torch):
    def build(lib, inputs):
        (x,) = inputs
        hidden = x * 3
        out = hidden * hidden + x  # a vector output: grad_outputs weights it
        weights = lib.tensor([1.0, -1.0, 0.5], dtype=lib.float64)
        return [out], [hidden, x], [weights]

    ours, theirs, _ = _both(torch, build, [[1.0, 2.0, -1.0]])
    _assert_same(ours, theirs)


def test_grad_create_graph_gives_second_derivatives_like_torch(torch):
    def first(lib, inputs):
        x, w = inputs
        loss = ((x * w).exp() * x).sum()
        return lib.autograd.grad(loss, [x, w], create_graph=True)

    ours_x, ours_w = _leaf([0.3, -0.2]), _leaf([1.1, 0.4])
    theirs_x = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    theirs_w = torch.tensor([1.1, 0.4], dtype=torch.float64, requires_grad=True)
    ours_g = first(tg, [ours_x, ours_w])
    theirs_g = first(torch, [theirs_x, theirs_w])
    _assert_same(ours_g, theirs_g)
    ours_second = tg.autograd.grad((ours_g[0] * ours_g[1]).sum(), [ours_x, ours_w])
    theirs_second = torch.autograd.grad((theirs_g[0] * theirs_g[1]).sum(), [theirs_x, theirs_w])
    _assert_same(ours_second, theirs_second)


def test_grad_frees_the_graph_unless_retain_graph_like_torch(torch):
    for lib, make in (
        (tg, _leaf),
        (torch, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)),
    ):
        x = make([1.0, 2.0])
        loss = x.exp().sum()
        lib.autograd.grad(loss, x, retain_graph=True)
        lib.autograd.grad(loss, x)  # allowed: the graph was retained once
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(loss, x)


def test_hessian_vector_product_of_a_small_mlp_matches_finite_differences():
    generator = tg.Generator(3)
    inputs = tg.randn(8, 3, dtype=tg.float64, generator=generator)
    targets = tg.randn(8, 1, dtype=tg.float64, generator=generator)
    w1_values = tg.randn(3, 5, dtype=tg.float64, generator=generator).numpy()
    w2_values = tg.randn(5, 1, dtype=tg.float64, generator=generator).numpy()
    direction = tg.randn(3, 5, dtype=tg.float64, generator=generator)

    def gradient_of_w1(w1_array, create_graph=False):
        w1 = tg.tensor(w1_array, dtype=tg.float64, requires_grad=True)
        w2 = tg.tensor(w2_values, dtype=tg.float64, requires_grad=True)
        loss = (((inputs @ w1).tanh() @ w2 - targets) ** 2).mean()
        return w1, tg.autograd.grad(loss, w1, create_graph=create_graph)[0]

    w1, grad_w1 = gradient_of_w1(w1_values, create_graph=True)
    (hvp,) = tg.autograd.grad((grad_w1 * direction).sum(), w1)  # H v, by reverse-over-reverse
    eps = 1e-5
    plus = gradient_of_w1(w1_values + eps * direction.numpy())[1].numpy()
    minus = gradient_of_w1(w1_values - eps * direction.numpy())[1].numpy()
    assert_close(hvp, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------------------------
# tensor hooks, module hooks


def _hook_trace(lib, make):
    calls = []
    x = make([1.0, 2.0, 3.0])
    hidden = x * 2
    out = hidden.exp() + hidden * hidden  # hidden is used twice: its hook sees the total, once
    x.register_hook(lambda g: calls.append(("x", g.tolist())))
    hidden.register_hook(lambda g: calls.append(("hidden first", g.tolist())))
    hidden.register_hook(lambda g: calls.append(("hidden second", g.tolist())) or g * 0 + 1)
    removed = hidden.register_hook(lambda g: calls.append(("removed", None)))
    removed.remove()
    out.register_hook(lambda g: calls.append(("out", g.tolist())))
    out.sum().backward()
    return calls, x.grad.tolist()


def test_tensor_hooks_run_in_torchs_order_and_can_replace_the_gradient(torch):
    ours = _hook_trace(tg, _leaf)
    theirs = _hook_trace(torch, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    assert [name for name, _ in ours[0]] == ["out", "hidden first", "hidden second", "x"]
    assert [name for name, _ in ours[0]] == [name for name, _ in theirs[0]]
    for (_, a), (_, b) in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(a, b)
    assert ours[1] == theirs[1] == [2.0, 2.0, 2.0]  # the replacement (ones) flowed on to x


def test_hook_returning_a_wrong_shape_is_a_clear_error():
    x = _leaf([1.0, 2.0])
    hidden = x * 2
    hidden.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"returned a Tensor of shape \(\) for a gradient of shape \(2,\)"):
        hidden.sum().backward()


def _module_hook_trace(nn, lib):
    calls = []
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh())

    def pre(module, args):
        calls.append("pre")
        return (args[0] * 2,)  # replaces the input

    def post(module, args, output):
        calls.append("post")
        return output + 1  # replaces the output

    handles = [layer.register_forward_pre_hook(pre), layer.register_forward_hook(post)]
    handles.append(model.register_forward_hook(lambda module, args, output: calls.append("outer")))
    with lib.no_grad():
        layer.weight.copy_(lib.tensor([[1.0, 0.5], [-0.5, 0.25]]))
        layer.bias.copy_(lib.tensor([0.1, -0.1]))
    x = lib.tensor([[1.0, -1.0]])
    hooked = model(x).tolist()
    for handle in handles:
        handle.remove()
    return calls, hooked, model(x).tolist()


def test_module_forward_hooks_and_pre_hooks_match_torch(torch):
    ours = _module_hook_trace(tg.nn, tg)
    theirs = _module_hook_trace(torch.nn, torch)
    assert ours[0] == theirs[0] == ["pre", "post", "outer"]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)  # removed: the plain model again
    assert not np.allclose(ours[1], ours[2])


def test_leaf_grads_do_not_share_memory():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same gradient to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.zero_()
    assert_close(b.grad, np.ones(2))


# --------------------------------------------------------------------------------------------------
# grad_fn and next_functions


def _walk(node):
    """Every node's class name by depth-first walk over next_functions (None for a constant input)."""
    names, stack = [], [node]
    while stack:
        node = stack.pop()
        names.append(None if node is None else node.name())
        stack.extend(reversed([child for child, _ in node.next_functions] if node is not None else []))
    return names


def test_grad_fn_and_next_functions_walk_like_torch(torch):
    values = {"x": [[1.0, 2.0]], "w": [[0.5], [-1.0]], "b": [0.1]}
    ours = {k: _leaf(v) for k, v in values.items()}
    theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    ours["x"].requires_grad_(False)
    theirs["x"].requires_grad_(False)
    ours_loss = (ours["x"] @ ours["w"] + ours["b"]).tanh().sum()
    theirs_loss = (theirs["x"] @ theirs["w"] + theirs["b"]).tanh().sum()
    theirs_names = [
        None if n is None else n.replace("Backward0", "").replace("torch::autograd::", "")
        for n in _walk(theirs_loss.grad_fn)
    ]
    theirs_names = ["MatMul" if n == "Mm" else n for n in theirs_names]
    assert _walk(ours_loss.grad_fn) == theirs_names
    assert theirs_names == ["Sum", "Tanh", "Add", "MatMul", None, "AccumulateGrad", "AccumulateGrad"]
    assert ours["w"].grad_fn is None  # a leaf has no grad_fn
    add = ours_loss.grad_fn.next_functions[0][0].next_functions[0][0]
    accumulate_b = add.next_functions[1][0]
    assert accumulate_b.variable is ours["b"]
    assert accumulate_b is add.next_functions[1][0]  # the same node each time, as in torch


# --------------------------------------------------------------------------------------------------
# anomaly detection


class TinyModel(tg.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = tg.nn.Linear(3, 2)

    def forward(self, x):
        return self.layer(x).log().mean()  # log of a negative pre-activation: nan


def test_anomaly_mode_names_the_forward_op_and_the_users_line():
    tg.manual_seed(0)
    model = TinyModel()
    x = tg.randn(4, 3)
    assert np.isnan(model(x).item())  # outside the mode: a silent nan
    with pytest.raises(RuntimeError) as error, tg.autograd.detect_anomaly():
        model(x)
    message = str(error.value)
    assert "Log returned nan in its forward output" in message
    assert __file__ in message and "self.layer(x).log().mean()" in message


def test_anomaly_mode_finds_a_nan_made_only_in_backward():
    x = _leaf([0.0, 4.0])
    mask = tg.tensor([0.0, 1.0], dtype=tg.float64)
    with tg.autograd.detect_anomaly():
        root = x.sqrt()  # forward is fine: sqrt(0) = 0
        loss = (root * mask).sum()
        with pytest.raises(RuntimeError) as error, np.errstate(all="ignore"):
            loss.backward()  # d sqrt / dx at 0 is 1/0; times the masked 0 it is 0/0 = nan
    message = str(error.value)
    assert "SqrtBackward returned nan in the gradient of its input 0" in message
    assert "root = x.sqrt()" in message and __file__ in message


def test_anomaly_mode_finds_a_custom_backward_that_divides_by_zero():
    class BadReciprocalGrad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output.numpy() * 0 / x.numpy()  # a numpy array: allowed, and checked too

    x = _leaf([0.0, 1.0])
    with tg.autograd.detect_anomaly():
        out = BadReciprocalGrad.apply(x)
        with (
            pytest.raises(RuntimeError, match="BadReciprocalGradBackward returned nan") as error,
            np.errstate(all="ignore"),
        ):
            out.sum().backward()
    assert "out = BadReciprocalGrad.apply(x)" in str(error.value)
    assert not tg.autograd.anomaly.STATE.enabled  # the mode ends with its block
