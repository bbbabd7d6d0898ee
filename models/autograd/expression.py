"""Assignments typed by the user -> a graph of Values, parsed safely.

    x = 2.0
    w = -3.0
    z = tanh(x*w + 1)

A line `name = number` declares an input (a leaf the user can edit); every other line builds
Values from numbers, names, + - * / **, unary minus and the functions in FUNCTIONS. The text is
parsed with Python's `ast` and checked against a whitelist; nothing is ever eval'd or exec'd.
Every problem, at parse time or while computing, is an ExpressionError naming the problem and
its line, so the app shows it inline and keeps running.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from models.autograd.engine import MLP, Value, numerical_grads

MAX_CHARS = 5_000  # a page of assignments; more is a mistake or an attack
MAX_NODES = 2_000  # operations in the whole program
MAX_DEPTH = 200  # nesting of one expression (a sum of n terms nests n deep)
MAX_EXPONENT = 100  # x ** 1e9 overflows; refuse it up front
FUNCTIONS = ("tanh", "relu", "sigmoid", "exp", "log")
_FUNCTION_LIST = ", ".join(f"{f}()" for f in FUNCTIONS)
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OP_NAMES = {ast.BitXor: "^ (use ** for powers)", ast.FloorDiv: "//", ast.Mod: "%",
             ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<",
             ast.RShift: ">>"}


class ExpressionError(ValueError):
    """A problem with the user's text; `line` is 1-based (None for the text as a whole)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.message, self.line = message, line


@dataclass
class Program:
    """The checked text: inputs (name -> initial value, in order) and the assignments."""
    inputs: dict[str, float]
    statements: list[tuple[str, tuple, int]]  # (target name, expression tree, line)
    output: str  # the last assigned name: the root that backward() starts from


@dataclass
class ExpressionGraph:
    """A Program with live input leaves: edit a leaf's .data and call forward() again."""
    program: Program
    leaves: dict[str, Value] = field(default_factory=dict)
    root: Value | None = None

    def __post_init__(self):
        if not self.leaves:
            self.leaves = {n: Value(float(v), label=n) for n, v in self.program.inputs.items()}

    def forward(self) -> Value:
        self.root = evaluate(self.program, self.leaves)
        return self.root

    def clone(self) -> "ExpressionGraph":
        """An independent copy with the same leaf values (to probe without touching this one)."""
        return ExpressionGraph(self.program, {n: Value(v.data, label=n) for n, v in
                                              self.leaves.items()})


def leaf_numerical_grads(graph, eps: float = 1e-6) -> dict[str, float]:
    """d root / d leaf by central differences for every named leaf of an ExpressionGraph or
    MLPGraph, computed on a clone so the graph on screen keeps its values and grads."""
    copy = graph.clone()
    names = list(copy.leaves)
    try:
        grads = numerical_grads(copy.forward, [copy.leaves[n] for n in names], eps)
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError) as e:  # a probe stepped outside the domain (log(0))
        raise ExpressionError(f"finite differences failed: {e}") from None
    return dict(zip(names, grads))


# -- parsing -------------------------------------------------------------------------------------
def parse(text: str) -> Program:
    """Check `text` and return its Program. Raises ExpressionError."""
    if not isinstance(text, str):
        raise ExpressionError("the program must be text")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"the text is {len(text):,} characters long; the limit is "
                              f"{MAX_CHARS:,}")
    if "\x00" in text:
        raise ExpressionError("the text contains a NUL character")
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        raise ExpressionError(f"syntax error: {e.msg}", e.lineno) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the text is nested too deeply to read") from None
    except ValueError as e:  # e.g. a number with more than 4,300 digits
        raise ExpressionError(f"the text cannot be read: {e}") from None
    checker = _Checker()
    inputs, statements, defined = {}, [], set()
    for stmt in tree.body:
        line = getattr(stmt, "lineno", None)
        target, value = _assignment(stmt, line)
        if target in FUNCTIONS:
            raise ExpressionError(f"{target!r} is a function name; pick another name", line)
        number = _number(value)
        if number is not None and target not in defined:
            inputs[target] = number  # `x = 2.0` declares an input leaf
        else:
            statements.append((target, checker.check(value, line, defined | set(inputs)), line))
        defined.add(target)
    if not statements and not inputs:
        raise ExpressionError("nothing to compute: write assignments such as  L = (y - x*w)**2")
    output = statements[-1][0] if statements else list(inputs)[-1]
    return Program(inputs, statements, output)


def _assignment(stmt, line):
    """(target, value expression) of `name = expr` or `name += expr` (as name = name + expr)."""
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            what = _describe(stmt.targets[0]) if len(stmt.targets) == 1 else "chained assignment"
            raise ExpressionError(f"{what} cannot be assigned to; assign to one plain name, "
                                  "like  z = x*w", line)
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        return name, ast.BinOp(ast.Name(name, ast.Load()), stmt.op, stmt.value)
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        raise ExpressionError("imports are not allowed", line)
    if isinstance(stmt, ast.Expr):
        raise ExpressionError("each line must be an assignment, like  z = x*w", line)
    raise ExpressionError(f"{_describe(stmt)} is not allowed; only assignments like  z = x*w", line)


def _number(node):
    """The value of a plain numeric literal under any number of signs (`--2`), else None.
    A loop, not recursion: thousands of signs must not reach Python's recursion limit."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = _finite(node.value)
        return None if value is None else sign * value
    return None


def _finite(number):
    """float(number) if it is a finite float (10 ** 400 and 1e999 are not), else None."""
    try:
        value = float(number)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


class _Checker:
    """Whitelist walk of one expression -> a small tuple tree for evaluate()."""

    def __init__(self):
        self.nodes = 0

    def check(self, node, line, defined, depth=0):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"the program has more than {MAX_NODES:,} operations", line)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"an expression is nested more than {MAX_DEPTH} deep", line)
        sub = depth + 1
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise ExpressionError(f"{node.value!r} is not a number", line)
            value = _finite(node.value)
            if value is None:
                raise ExpressionError(f"the number {node.value!r} is too large", line)
            return ("num", value)
        if isinstance(node, ast.Name):
            if node.id not in defined:
                hint = f"; give it a value first, like  {node.id} = 1.0"
                raise ExpressionError(f"{node.id!r} is not defined{hint}", line)
            return ("name", node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.check(node.operand, line, defined, sub)
            return ("neg", inner) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise ExpressionError(f"the operator {_OP_NAMES.get(type(node.op), '?')} is "
                                      "not allowed; use + - * / **", line)
            if op == "**":
                exponent = _number(node.right)
                if exponent is None:
                    raise ExpressionError("the exponent must be a plain number, like  x**2", line)
                if abs(exponent) > MAX_EXPONENT:
                    raise ExpressionError(f"the exponent {exponent:g} is too large (at most "
                                          f"{MAX_EXPONENT})", line)
                return ("**", self.check(node.left, line, defined, sub), exponent)
            return (op, self.check(node.left, line, defined, sub),
                    self.check(node.right, line, defined, sub))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
                raise ExpressionError(f"calling {name!r} is not allowed; the functions are "
                                      f"{_FUNCTION_LIST}", line)
            if len(node.args) != 1 or node.keywords:
                raise ExpressionError(f"{node.func.id}() takes exactly one argument", line)
            return ("call", node.func.id, self.check(node.args[0], line, defined, sub))
        raise ExpressionError(f"{_describe(node)} is not allowed; use numbers, names, "
                              f"+ - * / ** and the functions {_FUNCTION_LIST}", line)


def _describe(node) -> str:
    names = {ast.Attribute: "attribute access (a.b)", ast.Lambda: "lambda",
             ast.Subscript: "indexing (a[i])", ast.Compare: "a comparison",
             ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.List: "a list", ast.Tuple: "a tuple",
             ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator",
             ast.NamedExpr: "the walrus operator", ast.Await: "await", ast.Starred: "*args",
             ast.FunctionDef: "a function definition", ast.ClassDef: "a class definition",
             ast.For: "a loop", ast.While: "a loop", ast.If: "an if statement",
             ast.With: "with", ast.Delete: "del", ast.Global: "global", ast.Try: "try",
             ast.Raise: "raise", ast.Return: "return", ast.AnnAssign: "an annotated assignment",
             ast.UnaryOp: "this operator (not, ~)"}
    return names.get(type(node), type(node).__name__)


# -- evaluation ----------------------------------------------------------------------------------
def evaluate(program: Program, leaves: dict[str, Value]) -> Value:
    """Build the Value graph of `program` on the given input leaves; returns the output Value."""
    env = dict(leaves)
    for target, tree, line in program.statements:
        try:
            value = _build(tree, env)
        except ZeroDivisionError:
            raise ExpressionError("division by zero", line) from None
        except OverflowError:
            raise ExpressionError(f"overflow: {target} is too large to compute", line) from None
        except ValueError as e:  # log of a non-positive number, fractional power of a negative
            raise ExpressionError(str(e), line) from None
        except RecursionError:
            raise ExpressionError("the expression is nested too deeply", line) from None
        if not value.label:
            value.label = target
        elif value.label != target:  # `y = x`: keep the graph honest, name the copy
            value = value + Value(0.0)
            value.label = target
        env[target] = value
    return env[program.output]


def _build(tree, env) -> Value:
    kind = tree[0]
    if kind == "num":
        return Value(tree[1], label=f"{tree[1]:g}")
    if kind == "name":
        return env[tree[1]]
    if kind == "neg":
        out = -_build(tree[1], env)
    elif kind == "**":
        out = _build(tree[1], env) ** tree[2]
    elif kind == "call":
        out = getattr(_build(tree[2], env), tree[1])()
    else:
        left, right = _build(tree[1], env), _build(tree[2], env)
        if kind == "+":
            out = left + right
        elif kind == "-":
            out = left - right
        elif kind == "*":
            out = left * right
        else:
            out = left / right
    if not math.isfinite(out.data):  # 1e200 * 1e200 is inf without an exception
        raise OverflowError
    return out


def build(text: str) -> ExpressionGraph:
    """parse + forward in one go (the convenience the tests and the tab use)."""
    graph = ExpressionGraph(parse(text))
    graph.forward()
    return graph


# -- presets -------------------------------------------------------------------------------------
PRESETS = {
    "Single neuron (lecture)": """\
# the lecture's neuron, o = tanh(x1*w1 + x2*w2 + b)
x1 = 2.0
x2 = 0.0
w1 = -3.0
w2 = 1.0
b = 6.8813735870195432
x1w1 = x1*w1
x2w2 = x2*w2
x1w1x2w2 = x1w1 + x2w2
n = x1w1x2w2 + b
o = tanh(n)
""",
    "Worked example (x = 2)": """\
# prediction z2 = x*w + b, squared error vs y
x = 2.0
w = 3.0
b = 1.0
y = 10.0
z1 = x*w
z2 = z1 + b
z3 = y - z2
L = z3**2
""",
    "micrograd README": """\
# micrograd's README: g = 24.7041,
# dg/da = 138.8338, dg/db = 645.5773
a = -4.0
b = 2.0
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
""",
}
MLP_PRESET = "Small MLP forward pass (2-8-8-1)"


class MLPGraph:
    """A small MLP on one input point, drawn op by op (micrograd's Neuron: w*x products summed
    onto b); its leaves are the inputs and every weight. Same interface as ExpressionGraph."""

    def __init__(self, sizes=(2, 8, 8, 1), x=(0.5, -1.0), seed=0):
        import random

        self.sizes, self.x, self.seed = tuple(sizes), tuple(x), seed
        self.model = MLP(sizes[0], list(sizes[1:]), ["tanh"] * (len(sizes) - 2) + ["linear"],
                         rng=random.Random(seed), fused=False)
        self.leaves = {f"x{i + 1}": Value(v, label=f"x{i + 1}") for i, v in enumerate(x)}
        for k, layer in enumerate(self.model.layers, 1):
            for j, neuron in enumerate(layer.neurons, 1):
                for i, w in enumerate(neuron.w, 1):
                    w.label = f"w{k}.{j}.{i}"
                    self.leaves[w.label] = w
                neuron.b.label = f"b{k}.{j}"
                self.leaves[neuron.b.label] = neuron.b
        self.root = None

    def forward(self) -> Value:
        self.root = self.model(list(self.leaves[f"x{i + 1}"] for i in range(self.model.sizes[0])))
        self.root.label = "out"
        return self.root

    def clone(self) -> "MLPGraph":
        copy = MLPGraph(self.sizes, self.x, self.seed)
        for name, leaf in self.leaves.items():
            copy.leaves[name].data = leaf.data
        return copy
