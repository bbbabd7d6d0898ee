"""The expression parser: what it accepts, what it refuses (and says why), the presets' numbers,
and that nothing but ExpressionError ever escapes it."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.autograd.engine import numerical_grads, topological_order
from models.autograd.expression import (MLP_PRESET, PRESETS, ExpressionError, ExpressionGraph, MLPGraph,
                               build, parse)

ACCEPTED = [
    ("x = 2\ny = x * 3", 6.0),
    ("x = 2; w = -3; b = 1\nz = x*w + b", -5.0),
    ("a = 1.5\nb = -a", -1.5),
    ("a = 4\nb = a ** 0.5", 2.0),
    ("a = 2\nb = a ** -1", 0.5),
    ("a = 0.5\nb = tanh(a) + relu(a) + sigmoid(a) + exp(a) + log(a)",
     math.tanh(0.5) + 0.5 + 1 / (1 + math.exp(-0.5)) + math.exp(0.5) + math.log(0.5)),
    ("a = 3\na += 1\nb = a * 2", 8.0),
    ("a = 1\nb = 2 - a / 4", 1.75),
    ("x = 2\nL = ((x - 1) * (x + 1)) ** 2  # a comment", 9.0),
    ("a = 3\nb = +a", 3.0),
    ("x = 7", 7.0),  # inputs only: the last input is the output
    ("a = 1\nb = " + " + ".join(["a"] * 150), 150.0),  # a long sum is fine
]

REFUSED = [
    ("a = 1\nb = a.real", "attribute access"),
    ("a = 1\nb = abs(a)", "calling 'abs' is not allowed"),
    ("a = 1\nb = a.__class__.__bases__", "attribute access"),
    ("import os", "imports are not allowed"),
    ("from os import path", "imports are not allowed"),
    ("a = 1\nf = lambda: a", "lambda is not allowed"),
    ("a = 2\nb = a ** 1000", "exponent 1000 is too large"),
    ("a = 2\nb = a ** a", "exponent must be a plain number"),
    ("x" * 10_000, "10,000 characters"),
    ("a = 1\nb = a +", "syntax error"),
    ("a = 1\nb = c * a", "'c' is not defined"),
    ("a = 1\na.x = 2", "attribute access (a.b) cannot be assigned"),
    ("a = 1\nb = a[0]", "indexing"),
    ("a = 1\nb = a if a else 2", "if/else"),
    ("a = 1\nb = 'text'", "is not a number"),
    ("a = 1\nb = a // 2", "operator // is not allowed"),
    ("a = 1\nb = a ^ 2", "use ** for powers"),
    ("a = 1\nb = tanh(a, a)", "exactly one argument"),
    ("a = 1\ntanh = a", "function name"),
    ("a = 1\nb = (a < 2)", "comparison"),
    ("a = 1\nb = [a]", "a list"),
    ("a = 1\na", "must be an assignment"),
    ("def f(): pass", "function definition"),
    ("a = 1\nb = (c := a)", "walrus"),
    ("a = 1\nb = __import__('os')", "calling '__import__'"),
    ("a = 1\nb = exec('1')", "calling 'exec'"),
    ("", "nothing to compute"),
    ("a = 1\nb = " + " + ".join(["a"] * 300), "nested more than 200 deep"),
    ("a = 1\nb = " + "(" * 300 + "a" + ")" * 300, "syntax error"),
    ("a = 1\nb = " + "-" * 300 + "a", "nested"),
    ("a = 1\nb = " + " + ".join(["a"] * 2500), "characters long"),
    ("a = 10 ** 400\nb = a * 1", "too large"),
    ("a = 1e308 * 10\nb = a", "too large"),
]

RUNTIME = [
    ("a = 0\nb = 1 / a", "division by zero", 2),
    ("a = 0\nb = a ** -2", "division by zero", 2),
    ("a = -1\nb = log(a)", "log of a non-positive number", 2),
    ("a = 0\nb = log(a)", "log of a non-positive number", 2),
    ("a = 1000\nb = exp(a)", "overflow", 2),
    ("a = 1e200\nb = 1\nc = a * a * b", "overflow", 3),
    ("a = 1e300\nb = a ** 2", "overflow", 2),
    ("a = -8\nb = a ** 0.5", "not real", 2),
]


@pytest.mark.parametrize("text,expected", ACCEPTED)
def test_accepted(text, expected):
    graph = build(text)
    assert graph.root.data == pytest.approx(expected)


@pytest.mark.parametrize("text,fragment", REFUSED)
def test_refused_with_a_message_naming_the_problem(text, fragment):
    with pytest.raises(ExpressionError) as info:
        build(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text,fragment,line", RUNTIME)
def test_runtime_errors_are_reported_with_their_line(text, fragment, line):
    with pytest.raises(ExpressionError) as info:
        build(text)
    assert fragment in str(info.value)
    assert info.value.line == line


def test_inputs_are_leaves_and_the_last_assignment_is_the_output():
    program = parse("x = 2\nw = -3\nz = x * w\nL = z ** 2")
    assert program.inputs == {"x": 2.0, "w": -3.0}
    assert program.output == "L"
    graph = ExpressionGraph(program)
    root = graph.forward()
    assert root.label == "L" and root.data == 36.0
    graph.leaves["x"].data = 1.0  # edit a leaf and run forward again
    assert graph.forward().data == 9.0
    nodes = topological_order(graph.root)
    assert [v.label for v in nodes] == ["x", "w", "z", "L"]
    assert [v.op for v in nodes] == ["", "", "*", "**2"]


def test_presets_reference_values():
    g = build(PRESETS["micrograd README"])
    g.root.backward()
    assert round(g.root.data, 4) == 24.7041
    assert round(g.leaves["a"].grad, 4) == 138.8338
    assert round(g.leaves["b"].grad, 4) == 645.5773

    n = build(PRESETS["Single neuron (lecture)"])
    n.root.backward()
    assert n.root.label == "o" and n.root.data == pytest.approx(0.7071, abs=1e-4)
    grads = {k: v.grad for k, v in n.leaves.items()}
    assert grads == pytest.approx({"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5})

    w = build(PRESETS["Worked example (x = 2)"])
    assert w.leaves["x"].data == 2.0
    w.root.backward()
    assert w.root.label == "L"
    leaves = list(w.leaves.values())
    numeric = numerical_grads(w.forward, leaves)
    assert [v.grad for v in leaves] == pytest.approx(numeric, rel=1e-6)


def test_mlp_preset_is_a_few_hundred_nodes_with_editable_leaves():
    graph = MLPGraph()
    root = graph.forward()
    assert 200 <= len(topological_order(root)) <= 600
    root.backward()
    leaves = [graph.leaves["x1"], graph.leaves["w1.1.1"], graph.leaves["b3.1"]]
    numeric = numerical_grads(graph.forward, leaves)
    assert [v.grad for v in leaves] == pytest.approx(numeric, rel=1e-5)
    assert MLP_PRESET


TOKENS = ["x", "y", "w", "1", "0", "2.5", "1e308", "-", "+", "*", "/", "**", "(", ")", "tanh(",
          "log(", "exp(", "relu(", "sigmoid(", ".", "=", "\n", ";", " ", ",", "[", "lambda",
          "import", "__", "99", "abs(", ":", "'", "#", "+=", "1e-300"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_expression_error(text):
    try:
        graph = build(text)
        graph.root.backward()
    except ExpressionError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup_raises_only_expression_error(tokens):
    text = "x = 0.5\ny = -2\nw = 3\nz = " + "".join(tokens)
    try:
        graph = build(text)
        graph.root.backward()
    except ExpressionError:
        pass


# -- hostile input: deep nesting and fuzzing (issue 20) ------------------------------------------
# Nothing but ExpressionError may escape, at any input under MAX_CHARS: no RecursionError from
# thousands of signs, parentheses or calls. The slow fuzz (>= 10,000 examples) runs with
# PLAYGROUND_SLOW_TESTS=1; the default run keeps a fast sample (200) of the same strategies.
import os  # noqa: E402

from models.autograd.expression import MAX_CHARS  # noqa: E402

ATOMS = st.sampled_from(["x", "y", "w", "1", "0", "2.5", "1e308", "1e-300", "q"])
PREFIXES = ["-", "+", "-+", "(", "tanh(", "exp(", "log(", "-(", "not ", "~", "[", "x**", "x*", "1/"]
CLOSERS = {"(": ")", "tanh(": ")", "exp(": ")", "log(": ")", "-(": ")", "[": "]"}


def build_all_the_way(text):
    """What the tab does with a text: build, then backward."""
    try:
        graph = build(text)
        graph.root.backward()
    except ExpressionError:
        pass


def nested(prefix: str, n: int, atom: str, closed: bool, line: bool) -> str:
    core = prefix * n + atom + (CLOSERS.get(prefix, "") * n if closed else "")
    return ("x = 0.5\ny = -2\nw = 3\nz = " + core) if line else core


NESTED = st.builds(nested, st.sampled_from(PREFIXES), st.integers(1, 2_600), ATOMS, st.booleans(),
                   st.booleans())
TREES = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"({a}{op}{b})", inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["tanh", "exp", "log", "relu", "sigmoid", "abs"]), inner),
        st.builds(lambda s, a: f"{s}{a}", st.sampled_from(["-", "+", "--"]), inner)),
    max_leaves=60).map(lambda e: "x = 0.5\ny = -2\nw = 3\nz = " + e)
HOSTILE = st.one_of(NESTED, TREES, st.text(max_size=200),
                    st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))


def test_thousands_of_signs_are_an_expression_error_or_a_number():
    for text in ("a = " + "-" * 4990 + "1", "a = 1\nb = " + "-" * 4980 + "a",
                 "a = 1\nb = " + "+-" * 2490 + "a", "a = 1\nb = " + "tanh(" * 800 + "a" + ")" * 800):
        assert len(text) <= MAX_CHARS
        try:
            graph = build(text)
        except ExpressionError as e:
            assert "nested" in str(e) or "syntax" in str(e)
        else:
            assert graph.root.data == 1.0  # an even number of minus signs before 1


@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_hostile_text_raises_only_expression_error(text):
    build_all_the_way(text)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("PLAYGROUND_SLOW_TESTS"), reason="slow fuzz: set PLAYGROUND_SLOW_TESTS=1")
@settings(max_examples=12_000, deadline=None)
@given(HOSTILE)
def test_hostile_text_fuzz_slow(text):
    build_all_the_way(text)
