"""A scalar autograd engine with micrograd's interface, and a small MLP built on it.

Every Value keeps its parents and the local derivative of itself with respect to each parent,
computed during the forward pass (`_prev`, `_local`). Backward is then one generic loop:
parent.grad += local * grad. There are no per-op closures, so no reference cycles: a graph is
freed by reference counting the moment the last Value of it goes away, and the cyclic garbage
collector has nothing to chase.

Topological order comes from creation order: a Value's parents always exist before it, so
sorting the reachable Values by a creation counter is a valid order, found without recursion.
"""
from __future__ import annotations

import math
import random
from itertools import count
from operator import attrgetter, mul

_next_id = count().__next__  # creation order = a topological order
_by_id = attrgetter("_id")
_data_of = attrgetter("data")

MAX_EXPONENT = 1_000  # beyond this `**` is an overflow waiting to happen, not a lesson


class Value:
    """A scalar, its gradient, and how it was made (op name, parents, local derivatives)."""
    __slots__ = ("data", "grad", "label", "_op", "_prev", "_local", "_id")

    def __init__(self, data, label="", _prev=(), _local=(), _op=""):
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = _prev  # parents, in a fixed order (a parent used twice appears twice)
        self._local = _local  # d self / d parent, one per entry of _prev
        self._id = _next_id()

    # -- read-only views for the graph view and tests ------------------------------------------
    @property
    def op(self) -> str:
        return self._op

    @property
    def parents(self) -> tuple:
        return self._prev

    @property
    def local_grads(self) -> tuple:
        return self._local

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, other):
        if type(other) is not Value:
            other = _constant(other)
            if other is NotImplemented:
                return other
        return Value(self.data + other.data, "", (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        if type(other) is not Value:
            other = _constant(other)
            if other is NotImplemented:
                return other
        return Value(self.data * other.data, "", (self, other), (other.data, self.data), "*")

    def __pow__(self, exponent):
        if isinstance(exponent, Value) or not isinstance(exponent, (int, float)):
            raise TypeError("only a plain number is supported as an exponent")
        if abs(exponent) > MAX_EXPONENT:
            raise OverflowError(f"exponent {exponent:g} is too large (limit {MAX_EXPONENT})")
        x = float(self.data)
        if x == 0 and exponent < 0:
            raise ZeroDivisionError(f"0 ** {exponent:g} divides by zero")
        if x < 0 and exponent != int(exponent):
            raise ValueError(f"a negative number ({x:g}) to a fractional power is not real")
        if x == 0 and 0 < exponent < 1:
            raise ValueError(f"the slope of x ** {exponent:g} at x = 0 is infinite")
        out = x ** exponent  # OverflowError when too large
        local = exponent * x ** (exponent - 1) if exponent != 0 else 0.0
        return Value(out, "", (self,), (local,), f"**{exponent:g}")

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        if type(other) is not Value:
            other = _constant(other)
            if other is NotImplemented:
                return other
        return self * other ** -1

    def __rtruediv__(self, other):  # other / self
        return other * self ** -1

    # -- functions -------------------------------------------------------------------------------
    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, "", (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        x = self.data
        return Value(x if x > 0 else 0.0, "", (self,), (1.0 if x > 0 else 0.0,), "relu")

    def sigmoid(self):
        s = _sigmoid(self.data)
        return Value(s, "", (self,), (s * (1.0 - s),), "sigmoid")

    def exp(self):
        e = math.exp(self.data)  # OverflowError beyond ~709
        return Value(e, "", (self,), (e,), "exp")

    def log(self):
        x = self.data
        if x <= 0:
            raise ValueError(f"log of a non-positive number ({x:g})")
        return Value(math.log(x), "", (self,), (1.0 / x,), "log")

    def softplus(self):
        """log(1 + e^x), computed without overflow; the stable form of binary cross-entropy."""
        x = self.data
        return Value(max(x, 0.0) + math.log1p(math.exp(-abs(x))), "", (self,), (_sigmoid(x),),
                     "softplus")

    # -- backward --------------------------------------------------------------------------------
    def backward(self):
        """Fill .grad of every Value this one depends on (accumulating, like micrograd)."""
        self.grad = 1.0
        for v in reversed(topological_order(self)):
            g = v.grad
            if g:
                for p, local in zip(v._prev, v._local):
                    p.grad += local * g

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


def _constant(x):
    """A plain number as a leaf Value (shown as such in the graph, like micrograd)."""
    if not isinstance(x, (int, float)):
        return NotImplemented
    return Value(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def topological_order(root: Value) -> list[Value]:
    """Every Value `root` depends on (itself included), parents before children. Iterative."""
    seen = {root}
    stack = [root]
    pop, push, add = stack.pop, stack.extend, seen.update
    while stack:
        prev = pop()._prev
        if prev:
            fresh = set(prev)
            fresh -= seen
            if fresh:
                add(fresh)
                push(fresh)
    return sorted(seen, key=_by_id)


def dot(weights, inputs, bias, label=""):
    """bias + sum(w * x) as ONE node, the fused weighted sum of a neuron. Parents (w..., b, x...),
    local grads (x..., 1, w...).

    Summing in micrograd's order (bias first) gives bit-identical forward values."""
    wd = list(map(_data_of, weights))
    xd = list(map(_data_of, inputs))
    return Value(sum(map(mul, wd, xd), bias.data), label, (*weights, bias, *inputs),
                 (*xd, 1.0, *wd), "dot")


def total(values, scale=1.0, label=""):
    """scale * sum(values) as ONE node (op "sum"), e.g. the mean of a batch's losses."""
    values = tuple(values)
    return Value(sum(map(_data_of, values)) * scale, label, values, (scale,) * len(values), "sum")


def abs_total(values, scale=1.0, label=""):
    """scale * sum(|v|) as ONE node (op "sum|v|"), the L1 penalty. Its slope at v = 0 is taken
    as 0 (a subgradient), so a weight that reached 0 stays there unless the data pulls it."""
    values = tuple(values)
    data = tuple(map(_data_of, values))
    return Value(sum(map(abs, data)) * scale, label, values,
                 tuple(scale * ((d > 0) - (d < 0)) for d in data), "sum|v|")


# -- the MLP, micrograd's nn.py on Values ---------------------------------------------------------
# ValueModule / ValueLayer are micrograd's Module / Layer, renamed so they are never mistaken for
# models.core.layers.Layer, the NumPy layer base of every other model.
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


class ValueModule:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(ValueModule):
    """act(w . x + b). `fused`: one n-ary "dot" node (fast); else micrograd's op-by-op graph."""

    def __init__(self, nin, activation="relu", rng=None, fused=True):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
        rng = rng or random
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.fused = fused
        self._wb = (*self.w, self.b)  # the parents a fused node shares with every call

    def __call__(self, x):
        x = tuple(x)
        xd = tuple(map(_data_of, x))
        return self.forward(x, xd, xd + (1.0,))

    def forward(self, x, xd, xd1):
        """The neuron on inputs x (a tuple of Values) whose data xd the ValueLayer computed once for
        all its neurons (xd1 = xd + (1.0,), the local grads towards w and b)."""
        if self.fused:  # dot(self.w, x, self.b) with the tuples shared across the layer
            wd = tuple(map(_data_of, self.w))
            act = Value(sum(map(mul, wd, xd), self.b.data), "", self._wb + x, xd1 + wd, "dot")
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act if self.activation == "linear" else getattr(act, self.activation)()

    def parameters(self):
        return self.w + [self.b]


class ValueLayer(ValueModule):
    def __init__(self, nin, nout, activation="relu", rng=None, fused=True):
        self.neurons = [Neuron(nin, activation, rng, fused) for _ in range(nout)]

    def __call__(self, x):
        x = tuple(xi if type(xi) is Value else Value(xi) for xi in x)
        xd = tuple(map(_data_of, x))
        xd1 = xd + (1.0,)
        out = [n.forward(x, xd, xd1) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(ValueModule):
    """MLP(2, [16, 16, 1]): ReLU hidden layers and a linear output unless `activations` says
    otherwise. Weights ~ U(-1, 1) drawn in micrograd's order from `rng` (default: the `random`
    module, so random.seed(1337) reproduces micrograd's demo network), biases 0."""

    def __init__(self, nin, nouts, activations=None, rng=None, fused=True):
        if activations is None:
            activations = ["relu"] * (len(nouts) - 1) + ["linear"]
        if len(activations) != len(nouts):
            raise ValueError("give one activation per layer")
        self.sizes = [nin, *nouts]
        self.activations = list(activations)
        self.layers = [ValueLayer(self.sizes[i], self.sizes[i + 1], activations[i], rng, fused)
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def batch(self, rows) -> list:
        """[self(r) for r in rows], the same graph and numbers, faster: each fused neuron's
        weights are read once for the batch, not once per row (they cannot change meanwhile)."""
        if not all(n.fused for layer in self.layers for n in layer.neurons):
            return [self(r) for r in rows]
        plan = [[(n._wb, tuple(map(_data_of, n.w)), n.b.data, n.activation) for n in layer.neurons]
                for layer in self.layers]
        outs = []
        for r in rows:
            x = tuple(xi if type(xi) is Value else Value(xi) for xi in r)
            for neurons in plan:
                xd = tuple(map(_data_of, x))
                xd1 = xd + (1.0,)
                h = []
                for wb, wd, bd, act in neurons:  # Neuron.forward, fused
                    a = Value(sum(map(mul, wd, xd), bd), "", wb + x, xd1 + wd, "dot")
                    h.append(a if act == "linear" else getattr(a, act)())
                x = tuple(h)
            outs.append(x[0] if len(x) == 1 else list(x))
        return outs

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# -- backprop one node at a time, and the finite-difference yardstick -------------------------
class BackwardStep:
    """One node's gradient filled in: grad = sum over its consumers of local * upstream."""
    __slots__ = ("node", "terms", "grad")

    def __init__(self, node, terms, grad):
        self.node = node  # the Value whose grad was just filled
        self.terms = terms  # [(consumer, local d consumer / d node, consumer.grad)]
        self.grad = grad  # node.grad after this step


def backward_steps(root: Value):
    """backward() as a generator, node by node in reverse topological order. The grads end up
    exactly as root.backward() leaves them (accumulating onto what was there before)."""
    order = topological_order(root)
    consumers = {v: [] for v in order}
    for v in order:
        for p, local in zip(v._prev, v._local):
            consumers[p].append((v, local))
    root.grad = 1.0
    yield BackwardStep(root, [], 1.0)
    for v in reversed(order[:-1]):
        terms = [(c, local, c.grad) for c, local in consumers[v]]
        v.grad += sum(local * g for _, local, g in terms)
        yield BackwardStep(v, terms, v.grad)


def numerical_grads(forward, leaves, eps: float = 1e-6) -> list[float]:
    """Central differences d root / d leaf.data for each leaf, where forward() rebuilds the graph
    from the leaves' current data and returns the root. Leaves are restored afterwards."""
    grads = []
    for leaf in leaves:
        old = leaf.data
        try:
            leaf.data = old + eps
            up = forward().data
            leaf.data = old - eps
            down = forward().data
        finally:
            leaf.data = old
        grads.append((up - down) / (2 * eps))
    return grads
