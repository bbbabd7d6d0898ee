"""From the big picture to the small one: one neuron of the tiny MLP, or the loss on one training
point, as the scalar Value graph the Graph page draws and steps through.

    graph = NetworkPointGraph(model.get_config(), model.state_dict(), point=(0.3, -0.2),
                              target=1.0, neuron=None)        # None: the point's loss
    graph.forward(); graph.root.backward()                  # the live model's numbers

The graph is written op by op (w*x products summed onto b, micrograd's Neuron), so every
multiplication the fused "dot" of training hides is a box. Its leaves are the point's features
and the weights that reach the root, named like the MLP preset: w{layer}.{neuron}.{input} and
b{layer}.{neuron}, counted from 1. Same interface as expression.ExpressionGraph.
"""
from __future__ import annotations

from models.autograd import features as feats
from models.autograd.engine import Value

MAX_VALUES = 3_000  # a bigger graph is no longer readable (nor quick to draw): pick a neuron


class NetworkPointGraph:
    def __init__(self, config: dict, arrays: dict, point, target=None, neuron=None,
                 loss: str = "max_margin"):
        """config/arrays: a PlaneMLP's get_config() and state_dict() (copies). neuron: (layer,
        index) counted from 1 over the hidden layers and the output (the output is (L, 1)), or
        None for the loss of `point` against `target`."""
        self.config, self.arrays = config, arrays
        self.point, self.target, self.neuron = tuple(float(v) for v in point), target, neuron
        self.loss = "mse" if config.get("task") == "regress" else loss
        sizes = config["sizes"]
        self.features = tuple(config.get("features", feats.DEFAULT))
        depth = len(sizes) - 1  # weighted layers
        if neuron is None:
            if target is None:
                raise ValueError("the loss needs the point's label")
            layer, keep = depth, {0}
        else:
            layer, j = neuron
            if not (1 <= layer <= depth and 1 <= j <= sizes[layer]):
                raise ValueError(f"there is no neuron {layer}.{j} in a {sizes} network")
            keep = {j - 1}
        self.layer, self.keep = layer, keep
        size = sum(2 * sizes[k] * sizes[k + 1] + 3 * sizes[k + 1] for k in range(layer))
        if size > MAX_VALUES:
            raise ValueError(f"this graph would have about {size:,} values, too many to read; "
                             "pick a neuron of an earlier layer or a smaller network")
        x = feats.feature_matrix([self.point], self.features)[0]  # (F,)
        self.leaves = {f: Value(float(v), label=feats.label(f)) for f, v in zip(self.features, x)}
        self._weights = []  # per layer: [(neuron's weight leaves, bias leaf) or None]
        for k in range(layer):
            W, b = arrays[f"W{k}"], arrays[f"b{k}"]
            rows = range(len(b)) if k < layer - 1 else sorted(keep)
            per = [None] * len(b)
            for r in rows:
                ws = [Value(float(W[r, i]), label=f"w{k + 1}.{r + 1}.{i + 1}")
                      for i in range(W.shape[1])]
                bias = Value(float(b[r]), label=f"b{k + 1}.{r + 1}")
                self.leaves.update({w.label: w for w in ws})
                self.leaves[bias.label] = bias
                per[r] = (ws, bias)
            self._weights.append(per)
        self.root = None

    def forward(self) -> Value:
        """Rebuild the graph from the leaves' data (edited leaves included)."""
        h = [self.leaves[f] for f in self.features]
        acts = self.config["activations"]
        for k, per in enumerate(self._weights):
            out = []
            for r, pair in enumerate(per):
                if pair is None:
                    out.append(None)
                    continue
                ws, bias = pair
                z = bias
                for w, xi in zip(ws, h):
                    z = z + w * xi
                a = z if acts[k] == "linear" else getattr(z, acts[k])()
                a.label = f"h{k + 1}.{r + 1}" if k < len(self.config["sizes"]) - 2 else "score"
                out.append(a)
            h = out
        node = next(v for v in h if v is not None)
        if self.neuron is None:
            node = _point_loss(node, float(self.target), self.loss)
            node.label = "loss"
        self.root = node
        return node

    def clone(self) -> "NetworkPointGraph":
        """The same graph with the leaves' current data (what a probe may change)."""
        copy = NetworkPointGraph(self.config, self.arrays, self.point, self.target, self.neuron,
                                 self.loss)
        for name, leaf in self.leaves.items():
            copy.leaves[name].data = leaf.data
        return copy

    def describe(self, index: int | None = None) -> str:
        """What the graph is, in short comment lines for the Graph page's text box."""
        what = "the loss" if self.neuron is None else f"neuron {self.neuron[0]}.{self.neuron[1]}"
        which = "training point" + ("" if index is None else f" #{index}")
        label = "" if self.target is None else f", label {self.target:g}"
        root = "loss" if self.neuron is None else "h"
        return (f"# From the tiny MLP page: {what}\n# on {which}\n"
                f"# ({self.point[0]:.3f}, {self.point[1]:.3f}){label}.\n"
                "# The weights are the network's now;\n"
                f"# each grad is d {root} / d box, from\n"
                "# backward() on this point alone\n"
                "# (no regularisation term). Every w*x\n"
                "# that training fuses into one dot\n"
                "# node is a box of its own here.")


def _point_loss(score: Value, y: float, loss: str) -> Value:
    """One point's loss, exactly as models.autograd.model.loss_value builds each term."""
    if loss == "max_margin":
        return (1 + -y * score).relu()
    if loss == "mse":
        return (score - y) ** 2
    return (-y * score).softplus()
