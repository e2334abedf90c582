"""Tests of tinygrad_edu/scalar.py: Value's ops, backward, memory behaviour and errors."""

import gc
import math
import weakref

import pytest

from tinygrad_edu import Value
from tinygrad_edu.scalar import dot
from tinygrad_edu.scalar_nn import MLP, Layer, Neuron


def test_arithmetic_with_numbers_on_either_side():
    a = Value(3.0)
    assert (a + 1).data == 4.0 and (1 + a).data == 4.0
    assert (a - 1).data == 2.0 and (1 - a).data == -2.0
    assert (a * 2).data == 6.0 and (2 * a).data == 6.0
    assert (a / 2).data == 1.5 and (6 / a).data == 2.0
    assert (a**2).data == 9.0 and (-a).data == -3.0


def test_backward_of_a_small_expression():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + b**2  # d/da = b = -3, d/db = a + 2b = -4
    out.backward()
    assert a.grad == -3.0 and b.grad == -4.0 and out.grad == 1.0


def test_a_value_used_twice_gets_both_contributions():
    a = Value(5.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_deep_chain_has_no_recursion_error():
    x = Value(1.0)
    out = x
    for _ in range(100_000):
        out = out + 1.0
    out.backward()
    assert x.grad == 1.0 and out.data == 100_001.0


def test_graph_is_freed_by_reference_counting_alone():
    gc.disable()  # if the graph held a reference cycle, only the collector could free it
    try:
        a = Value(2.0)
        out = ((a * a).tanh() + a.exp() / 3 - a.relu()).sigmoid()
        out.backward()
        ref = weakref.ref(out)
        inner = weakref.ref(out._parents[0])
        del out
        assert ref() is None and inner() is None
        assert a.grad != 0.0  # the leaf we still hold keeps its gradient
    finally:
        gc.enable()


def test_unary_functions_values():
    assert Value(0.0).exp().data == 1.0
    assert Value(math.e).log().data == pytest.approx(1.0)
    assert Value(0.5).tanh().data == pytest.approx(math.tanh(0.5))
    assert Value(-2.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0
    assert Value(0.0).sigmoid().data == 0.5
    assert Value(-1000.0).sigmoid().data == pytest.approx(0.0)  # no overflow on either side
    assert Value(1000.0).sigmoid().data == pytest.approx(1.0)


def test_relu_gradient_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_dot_matches_sum_of_products():
    w = [Value(0.5), Value(-2.0), Value(3.0)]
    x = [Value(1.0), 4.0, Value(-1.0)]
    b = Value(0.25)
    fused = dot(w, x, b)
    fused.backward()
    fused_grads = [v.grad for v in (*w, x[0], x[2], b)]
    for v in (*w, x[0], x[2], b):
        v.grad = 0.0
    unfused = sum((wi * xi for wi, xi in zip(w, x)), b)
    unfused.backward()
    assert fused.data == unfused.data
    assert fused_grads == [v.grad for v in (*w, x[0], x[2], b)]


def test_errors_name_the_op():
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"__add__.*'str'"):
        a + "x"
    with pytest.raises(TypeError, match=r"__mul__.*'list'"):
        a * [1]
    with pytest.raises(TypeError, match=r"__init__.*'str'"):
        Value("3")
    with pytest.raises(ValueError, match=r"log.*-2"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match=r"log.*0"):
        Value(0.0).log()
    with pytest.raises(ValueError, match=r"__pow__.*exponent"):
        a ** Value(2.0)
    with pytest.raises(ValueError, match=r"__pow__.*exponent"):
        a ** "2"
    with pytest.raises(ZeroDivisionError, match="__truediv__"):
        a / Value(0.0)
    with pytest.raises(ValueError, match="dot: 2 weights but 1 inputs"):
        dot([a, a], [a])


def test_repr_and_describe():
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2, grad=0, label='a')"
    assert a._describe() == "a | data 2.0000 | grad 0.0000"
    assert Value(1.5)._describe() == "data 1.5000 | grad 0.0000"
    assert a._op_name == "" and a._parents == ()
    b = a * 3
    assert b._op_name == "*" and b._parents == (a,)


def test_mlp_parameters_zero_grad_and_repr():
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337  # (2*16+16) + (16*16+16) + (16+1)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert repr(model) == "MLP(Layer(2 -> 16, ReLU), Layer(16 -> 16, ReLU), Layer(16 -> 1, Linear))"
    assert repr(Neuron(3)) == "ReLUNeuron(3)" and repr(Layer(3, 2, nonlin=False)) == "Layer(3 -> 2, Linear)"


def test_fused_and_unfused_mlp_agree():
    import random

    random.seed(0)
    fused = MLP(3, [4, 2])
    random.seed(0)
    unfused = MLP(3, [4, 2], fused=False)
    x = [0.3, -0.7, 1.1]
    out_f, out_u = fused(x), unfused(x)
    assert [o.data for o in out_f] == pytest.approx([o.data for o in out_u])
    (out_f[0] + out_f[1]).backward()
    (out_u[0] + out_u[1]).backward()
    assert [p.grad for p in fused.parameters()] == pytest.approx([p.grad for p in unfused.parameters()])
