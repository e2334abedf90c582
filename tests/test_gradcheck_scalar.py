"""Gradients of every scalar op against finite differences (hypothesis), identities, torch parity."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import GradcheckError, Value, gradcheck
from tinygrad_edu.scalar import dot

# moderate magnitudes keep central differences accurate; kinks (relu at 0) are avoided explicitly
reals = st.floats(-3.0, 3.0, allow_nan=False)
positives = st.floats(0.1, 5.0)
nonzero = reals.filter(lambda x: abs(x) > 0.1)
away_from_zero = reals.filter(lambda x: abs(x) > 1e-3)

UNARY = {
    "neg": (lambda a: -a, reals),
    "exp": (lambda a: a.exp(), reals),
    "log": (lambda a: a.log(), positives),
    "tanh": (lambda a: a.tanh(), reals),
    "relu": (lambda a: a.relu(), away_from_zero),
    "sigmoid": (lambda a: a.sigmoid(), reals),
    "square": (lambda a: a**2, reals),
    "cube": (lambda a: a**3, reals),
    "sqrt": (lambda a: a**0.5, positives),
    "reciprocal": (lambda a: a**-1, nonzero),
    "add_const": (lambda a: a + 2.5, reals),
    "rsub_const": (lambda a: 2.5 - a, reals),
    "mul_const": (lambda a: -1.5 * a, reals),
    "div_const": (lambda a: a / 4.0, reals),
    "rdiv_const": (lambda a: 4.0 / a, nonzero),
}
BINARY = {
    "add": (lambda a, b: a + b, reals, reals),
    "sub": (lambda a, b: a - b, reals, reals),
    "mul": (lambda a, b: a * b, reals, reals),
    "div": (lambda a, b: a / b, reals, nonzero),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradients(name):
    fn, domain = UNARY[name]

    @settings(max_examples=25, deadline=None)
    @given(domain)
    def check(x):
        assert gradcheck(fn, [Value(x)])

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_gradients(name):
    fn, left, right = BINARY[name]

    @settings(max_examples=25, deadline=None)
    @given(left, right)
    def check(x, y):
        assert gradcheck(fn, [Value(x), Value(y)])

    check()


@settings(max_examples=30, deadline=None)
@given(reals, reals, positives)
def test_composite_expression(x, y, z):
    def fn(a, b, c):
        return ((a * b).tanh() + c.log() * a - (b / c).sigmoid()) ** 2 + dot([a, b], [c, 2.0], a)

    assert gradcheck(fn, [x, y, z])


@settings(max_examples=30, deadline=None)
@given(reals, nonzero, reals, reals)
def test_identities(x, y, p, q):
    a = Value(x)
    zero = a - a
    zero.backward()
    assert zero.data == 0.0 and a.grad == 0.0
    b = Value(y)
    one = b / b
    one.backward()
    assert one.data == pytest.approx(1.0) and b.grad == pytest.approx(0.0, abs=1e-9)
    left = (Value(x) * Value(p)) * Value(q)
    right = Value(x) * (Value(p) * Value(q))
    assert left.data == pytest.approx(right.data, rel=1e-12, abs=1e-12)


def test_gradcheck_reports_the_wrong_input():
    def bad_square(a, b):  # claims d(a^2)/da = a instead of 2a
        return Value(a.data**2, "", "bad", (a,), (a.data,)) + b

    with pytest.raises(GradcheckError, match=r"input 0 \('x'\).*analytic 1\.5.*numerical 2\.99"):
        gradcheck(bad_square, [Value(1.5, label="x"), Value(1.0)])


def test_gradcheck_rejects_other_inputs():
    with pytest.raises(TypeError, match=r"gradcheck: inputs must be Values.* got str"):
        gradcheck(lambda a: a, ["x"])


@settings(max_examples=25, deadline=None)
@given(reals, reals, positives)
def test_parity_with_torch(x, y, z):
    torch = pytest.importorskip("torch")
    a, b, c = Value(x), Value(y), Value(z)
    ours = ((a * b).tanh() + c.log() - (a / c).exp() + (b - 1.0).relu() + (a + b).sigmoid() * c**1.5) / 2.0
    ours.backward()
    ta, tb, tc = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y, z))
    theirs = (
        (ta * tb).tanh() + tc.log() - (ta / tc).exp() + (tb - 1.0).relu() + (ta + tb).sigmoid() * tc**1.5
    ) / 2.0
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-9, abs=1e-12)
    for mine, reference in ((a, ta), (b, tb), (c, tc)):
        assert mine.grad == pytest.approx(reference.grad.item(), rel=1e-9, abs=1e-12)
    assert math.isfinite(ours.data)
