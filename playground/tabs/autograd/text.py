"""Words and numbers for the Autograd tab's side panel: node names, the chain-rule product of a
backward step, a node's details. Plain functions returning HTML, tested without a window."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from playground.tabs.autograd.graph_view import fmt

DONE_TEXT = ("Backward is done. Press Forward to run it again on fresh values (the inputs' grads "
             "then accumulate), or Zero grad.")
MLP_TEXT = ("# Built in code, not typed: MLP(2, [8, 8, 1]) with tanh hidden layers, on the point\n"
            "# x = (0.5, -1.0), each neuron as micrograd writes it: b + w1*x1 + w2*x2 + ...\n"
            "# Every weight is a leaf: click one to change it and run forward again.")
GRAPH_EXPLAIN = (
    "Backpropagation, one node at a time",
    "Every box is a number (<i>data</i>) and the derivative of the output with respect to it "
    "(<i>grad</i>). <b>Forward</b> computes the data from left to right. <b>Backward step</b> "
    "fills one grad, right to left: the local derivative of the op times the grad flowing back "
    "from the output (the chain rule). A value used twice adds both contributions. Grads "
    "accumulate: run Backward all twice without <b>Zero grad</b> and they double, which is why "
    "training zeroes them every step.",
    "dL/da = Σ<sub>c uses a</sub> (∂c/∂a) · dL/dc")

LOCAL_RULES = {
    "+": "∂(a + b)/∂a = 1",
    "*": "∂(a·b)/∂a = b, the other factor",
    "tanh": "∂tanh(a)/∂a = 1 − tanh²(a)",
    "relu": "∂relu(a)/∂a = 1 if a > 0, else 0",
    "sigmoid": "∂σ(a)/∂a = σ(a)·(1 − σ(a))",
    "exp": "∂eᵃ/∂a = eᵃ",
    "log": "∂log(a)/∂a = 1/a",
    "softplus": "∂log(1 + eᵃ)/∂a = σ(a)",
    "dot": "∂(b + Σ wᵢxᵢ)/∂wᵢ = xᵢ,  ∂/∂xᵢ = wᵢ,  ∂/∂b = 1",
    "sum": "∂(c·Σ aᵢ)/∂aᵢ = c",
    "sum|v|": "∂(c·Σ |aᵢ|)/∂aᵢ = c·sign(aᵢ)",
}


def local_rule(op: str) -> str:
    if op.startswith("**"):
        n = op[2:]
        return f"∂(a<sup>{n}</sup>)/∂a = {n}·a<sup>{n}−1</sup>"
    return LOCAL_RULES.get(op, "")


def name_of(values, index: int) -> str:
    """A value's label, else what made it from what: '(z2 * -1)', 'tanh(n)', '#12 (dot)'."""
    return _name(values[index], index)


def _name(v, index=None, depth=0) -> str:
    if v.label:
        return v.label
    if not v.op:
        return f"{v.data:g}"  # an unnamed constant, e.g. the -1 of a subtraction
    if depth == 0 and len(v.parents) == 2 and v.op in ("+", "*"):
        a, b = (_name(p, None, 1) for p in v.parents)
        return f"({a} {v.op} {b})"
    if depth == 0 and len(v.parents) == 1:
        inner = _name(v.parents[0], None, 1)
        return f"({inner}){v.op}" if v.op.startswith("**") else f"{v.op}({inner})"
    return f"#{index} ({v.op})" if index is not None else "…"


def step_html(step, values, position: int, total: int, root_name: str) -> str:
    """The chain-rule product that filled step.node's grad, in numbers."""
    where = {v: i for i, v in enumerate(values)}
    name = escape(name_of(values, where[step.node]))
    root = escape(root_name)
    head = f"<b>Step {position} of {total}: the grad of {name}</b><br>"
    if not step.terms:
        return head + (f"d{root}/d{root} = <b>1</b>: backprop starts at the output with "
                       "gradient 1.")
    lines = []
    total_grad = 0.0
    for consumer, local, upstream in step.terms:
        c = escape(name_of(values, where[consumer]))
        rule = local_rule(consumer.op)
        product = local * upstream
        total_grad += product
        lines.append(f"∂{c}/∂{name} × d{root}/d{c} = ({fmt(local)}) × ({fmt(upstream)}) = "
                     f"<b>{fmt(product)}</b>" + (f"<br>&nbsp;&nbsp;<i>{rule}</i>" if rule else ""))
    body = "<br>".join(lines)
    if len(step.terms) > 1:
        body += (f"<br>{name} is used {len(step.terms)} times, so the contributions add up: "
                 f"<b>{fmt(total_grad)}</b>")
    previous = step.grad - total_grad
    if abs(previous) > 1e-12 * max(1.0, abs(step.grad)):
        body += (f"<br>plus the grad it already had ({fmt(previous)}) — grads accumulate until "
                 "you zero them")
    return head + f"d{root}/d{name} = local derivative × upstream grad:<br>" + body + \
        f"<br>grad of {name} = <b>{fmt(step.grad)}</b>"


def node_html(values, index: int, numeric: float | None = None, stale: bool = False) -> str:
    """A node's details; `stale`: its grad is left from an earlier backward pass."""
    v = values[index]
    grad = fmt(v.grad) + (" <i>(from the last backward pass: the next one adds to it; Zero grad "
                          "clears it)</i>" if stale else "")
    rows = [("name", escape(name_of(values, index))), ("data", fmt(v.data)), ("grad", grad)]
    if numeric is not None:
        rows.append(("finite-difference grad", fmt(numeric)))
    if v.op:
        where = {p: i for i, p in enumerate(values)}
        parents = ", ".join(escape(name_of(values, where[p])) for p in v.parents)
        rows += [("made by", escape(v.op)), ("from", parents)]
        rule = local_rule(v.op)
        if rule:
            rows.append(("local derivative", rule))
    else:
        rows.append(("kind", "a leaf: an input or a parameter, nothing flows into it"))
    return "<table>" + "".join(f"<tr><td><i>{k}</i>&nbsp;&nbsp;</td><td>{val}</td></tr>"
                               for k, val in rows) + "</table>"


TRAIN_EXPLAIN = (
    "A neural net of Values",
    "The same engine as on the first page, now with a few hundred weights: every weight is a "
    "Value, every step builds the graph of the loss over the step's points, calls backward() "
    "and nudges each weight against its grad (SGD). The network on the left is drawn as in "
    "TensorFlow Playground: each square is a neuron, coloured by what it outputs at every "
    "point of the plane (blue negative, red positive); each line is a weight, as thick as it "
    "is large, red (solid) if positive, blue (dashed) if negative. The squares and the big "
    "plot are computed with a NumPy forward pass of the same weights over 6,400 points at "
    "once; training itself stays on the Value engine. Hollow points are test data, never "
    "trained on: when their loss rises while the training loss falls, the net overfits. Send "
    "a neuron or one point's loss to the first page to see the same numbers as a graph.",
    "w ← w − lr · ∂loss/∂w")


def rich_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.RichText)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label
