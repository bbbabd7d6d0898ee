"""The scalar engine: every op against finite differences, shared nodes, long chains, no cycles,
micrograd's reference values, the MLP and the step-by-step backward."""
import gc
import math
import random

import numpy as np
import pytest

from models.autograd.engine import (MLP, Neuron, Value, backward_steps, dot, numerical_grads,
                             topological_order, total)
from models.core.gradcheck import max_relative_error

UNARY = {
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "softplus": lambda a: a.softplus(),
    "neg": lambda a: -a,
    "pow2": lambda a: a ** 2,
    "pow3": lambda a: a ** 3,
    "pow-1": lambda a: a ** -1,
    "pow0.5": lambda a: a ** 0.5,
    "radd": lambda a: 3.0 + a,
    "rsub": lambda a: 1 - a,
    "rmul": lambda a: 2 * a,
    "rdiv": lambda a: 1 / a,
    "sub_const": lambda a: a - 2.5,
    "div_const": lambda a: a / 4,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "mixed": lambda a, b: (a * b + b ** 2).tanh() / (a.exp() + 1) - (b.sigmoid() * a).relu(),
}


def check(build, leaves, tol=1e-6):
    out = build()
    out.backward()
    analytic = np.array([leaf.grad for leaf in leaves])
    numeric = np.array(numerical_grads(build, leaves))
    assert max_relative_error(analytic, numeric) < tol, (analytic, numeric)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [0.7, 1.9, -1.3])
def test_unary_op_gradient_matches_finite_differences(name, x):
    if name in ("log", "pow0.5") and x < 0:
        x = -x
    a = Value(x)
    check(lambda: UNARY[name](a), [a])


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_gradient_matches_finite_differences(name):
    a, b = Value(0.8), Value(-1.7)
    check(lambda: BINARY[name](a, b), [a, b])


def test_fused_dot_and_sum_gradients():
    rng = random.Random(0)
    w = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    x = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    b = Value(0.3)
    check(lambda: (dot(w, x, b) * total(x, 0.5)).tanh(), w + x + [b])
    for v in w:
        v.grad = 0.0
    out = dot(w, w, b)  # a parent used on both sides: d/dw of sum w^2 is 2w
    out.backward()
    assert w[0].grad == pytest.approx(2 * w[0].data)


def test_node_used_twice_and_diamond():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0

    a = Value(3.0)
    b, c = a * 2, a + 4  # a diamond: a -> b, a -> c, (b, c) -> d
    d = b * c
    d.backward()
    assert d.data == 42.0
    assert a.grad == pytest.approx(2 * 7 + 6 * 1)  # d(2a (a + 4))/da = 4a + 8 = 20
    assert a.grad == 20.0


def test_backward_accumulates_like_micrograd():
    a = Value(2.0)
    out = a * a
    out.backward()
    out.backward()
    assert a.grad == 8.0  # two passes without zero_grad add up


def test_chain_of_100000_nodes_has_no_recursion_limit():
    x = Value(0.5)
    v = x
    for _ in range(100_000):
        v = v * 1.0
    v.backward()
    assert x.grad == 1.0
    assert len(topological_order(v)) == 200_001  # the chain plus the constant leaves


def test_micrograd_readme_example():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_lecture_single_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


def test_graph_is_freed_without_the_cycle_collector():
    gc.collect()
    model = MLP(2, [4, 4, 1], rng=random.Random(0))
    gc.disable()
    try:
        loss = sum((model([0.3, -0.2 * i]) - 1) ** 2 for i in range(5))
        loss.backward()
        del loss
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, Value)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []


def test_errors_are_plain_python_errors():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="non-positive"):
        Value(0.0).log()
    with pytest.raises(OverflowError):
        Value(1000.0).exp()
    with pytest.raises(OverflowError):
        Value(2.0) ** 5000
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)
    with pytest.raises(TypeError):
        Value(2.0) + "1"


def test_mlp_interface_and_fused_equals_op_by_op():
    fused = MLP(3, [4, 4, 1], ["tanh", "relu", "linear"], rng=random.Random(5))
    plain = MLP(3, [4, 4, 1], ["tanh", "relu", "linear"], rng=random.Random(5), fused=False)
    assert len(fused.parameters()) == 4 * 4 + 4 * 5 + 5
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    x = [0.2, -0.7, 1.1]
    a, b = fused(x), plain(x)
    assert a.data == pytest.approx(b.data, abs=1e-12)
    (a * a).backward()
    (b * b).backward()
    for p, q in zip(fused.parameters(), plain.parameters()):
        assert p.grad == pytest.approx(q.grad, abs=1e-12)
    fused.zero_grad()
    assert all(p.grad == 0.0 for p in fused.parameters())
    assert len(topological_order(a)) < len(topological_order(b))  # the fused graph is smaller


def test_neuron_gradient_matches_finite_differences():
    n = Neuron(3, "sigmoid", rng=random.Random(1))
    x = [Value(0.4), Value(-0.3), Value(0.9)]
    check(lambda: n(x), n.parameters() + x)
    with pytest.raises(ValueError):
        Neuron(2, "softmax")


def test_backward_steps_fill_the_same_grads_as_backward():
    def build(a, b):
        c = a * b
        return (c + a).tanh() * c

    a1, b1 = Value(0.5), Value(-1.2)
    build(a1, b1).backward()
    a2, b2 = Value(0.5), Value(-1.2)
    root = build(a2, b2)
    steps = list(backward_steps(root))
    assert steps[0].node is root and steps[0].grad == 1.0
    assert len(steps) == len(topological_order(root))
    assert (a2.grad, b2.grad) == (pytest.approx(a1.grad), pytest.approx(b1.grad))
    for step in steps[1:]:  # each step's grad is its chain-rule sum
        assert step.grad == pytest.approx(sum(local * up for _, local, up in step.terms))
    a_step = next(s for s in steps if s.node is a2)
    assert len(a_step.terms) == 2  # a feeds two ops: two terms in its sum


def test_numerical_grads_restore_the_leaves():
    a = Value(1.5)
    grads = numerical_grads(lambda: a * a * a, [a])
    assert grads[0] == pytest.approx(3 * 1.5 ** 2, rel=1e-6)
    assert a.data == 1.5


def test_batch_forward_is_the_row_by_row_forward():
    import random

    for fused in (True, False):
        mlp = MLP(3, [4, 2, 1], ["tanh", "relu", "linear"], rng=random.Random(5), fused=fused)
        rows = [[0.1, -0.5, 2.0], [1.5, 0.3, -0.7]]
        one, many = [mlp(r) for r in rows], mlp.batch(rows)
        assert [v.data for v in many] == [v.data for v in one]
        total(many).backward()
        grads = [p.grad for p in mlp.parameters()]
        mlp.zero_grad()
        total(one).backward()
        assert [p.grad for p in mlp.parameters()] == grads
    wide = MLP(2, [3], ["tanh"], rng=random.Random(0))
    assert [v.data for v in wide.batch([[0.2, 0.4]])[0]] == [v.data for v in wide([0.2, 0.4])]
