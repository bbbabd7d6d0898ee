"""The tiny MLP of the Autograd tab: a point of the plane -> its features -> hidden layers of
Values -> one score. Trained on the scalar engine; drawn with a NumPy twin of the same weights.

    model = PlaneMLP(hidden=(8, 8), activations=("tanh", "tanh"), features=("x1", "x2"))
    scores, loss = model.forward(X, y)   # X (N, 2) points, y (N,): a list of Values and a Value
    model.backward()                     # every weight's .grad, from that loss

Classification (micrograd's demo): labels are -1 / +1 and the sign of the score is the class.
Regression: the score is the prediction of a target in [-1, 1], and the loss is MSE.
The NumPy twin (`layer_outputs`) evaluates every neuron of the same weights on thousands of
points at once: the decision regions and the neuron heatmaps. Through the Value engine that
would be millions of Python objects a second.
"""
from __future__ import annotations

import random

import numpy as np

from models.autograd import features as feats
from models.autograd.engine import ACTIVATIONS, MLP, total
from models.core import checkpoint

TASKS = ("classify", "regress")
LOSSES = ("max_margin", "mse", "bce")
LOSS_NAMES = {"max_margin": "max-margin (hinge)", "mse": "mean squared error",
              "bce": "binary cross-entropy"}
MAX_WIDTH = 64  # neurons in a layer: the engine is scalar, a wider net crawls
MAX_HIDDEN = 4  # hidden layers


@checkpoint.register
class PlaneMLP:
    """MLP(F, [*hidden, 1]) of Values on F features of a 2-D point; a linear score out."""
    kind = "autograd-mlp"

    def __init__(self, hidden=(16, 16), activations=("relu", "relu"), seed=1337,
                 features=feats.DEFAULT, task="classify"):
        hidden, activations = tuple(int(h) for h in hidden), tuple(activations)
        if len(hidden) != len(activations):
            raise ValueError("give one activation per hidden layer")
        if len(hidden) > MAX_HIDDEN:
            raise ValueError(f"use at most {MAX_HIDDEN} hidden layers")
        for size in hidden:
            if not 1 <= size <= MAX_WIDTH:
                raise ValueError(f"a layer has {size} neurons; use 1 to {MAX_WIDTH} (the engine "
                                 "is scalar)")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
        self.features = feats.check(features)
        self.task = task
        self.mlp = MLP(len(self.features), [*hidden, 1], [*activations, "linear"],
                       rng=random.Random(seed))
        self.loss = None  # the last forward's loss Value, what backward() starts from

    # -- shape ----------------------------------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        return self.mlp.sizes  # [F, *hidden, 1]

    @property
    def activations(self) -> list[str]:
        return self.mlp.activations  # one per layer, the last "linear"

    @property
    def layers(self):
        return self.mlp.layers

    def parameters(self):
        return self.mlp.parameters()

    def zero_grad(self) -> None:
        self.mlp.zero_grad()

    # -- forward / backward on Values -----------------------------------------------------------
    def inputs(self, X) -> np.ndarray:
        """(N, 2) points -> (N, F) the network's inputs."""
        return feats.feature_matrix(X, self.features)

    def forward(self, X, targets=None, loss: str = "max_margin"):
        """Scores of the points X (N, 2) as Values, and the mean data loss against `targets`
        (N,) (None without targets). `loss` is ignored in regression, which is always MSE."""
        rows = self.inputs(X).tolist()  # Python floats: the engine works on scalars
        scores = self.mlp.batch(rows)  # = [self.mlp(r) for r in rows]
        self.loss = None
        if targets is not None:
            self.loss = loss_value(scores, np.asarray(targets, np.float64).tolist(),
                                   "mse" if self.task == "regress" else loss)
        return scores, self.loss

    def backward(self, loss=None) -> None:
        """Fill every weight's .grad from `loss` (default: the last forward's), grads zeroed first."""
        loss = loss if loss is not None else self.loss
        if loss is None:
            raise RuntimeError("call forward(X, targets) before backward()")
        self.zero_grad()
        loss.backward()

    # -- NumPy twin ------------------------------------------------------------------------------
    def layer_outputs(self, X) -> list[np.ndarray]:
        """[(N, F) inputs, (N, h1), ..., (N, 1) scores]: every neuron on every point, in NumPy."""
        return layer_outputs(self.state_dict(), self.activations, self.inputs(X))

    # -- the model contract: state, config, files ------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """{"W0": (h1, F), "b0": (h1,), "W1": ..., ...} copied out of the Values."""
        arrays = {}
        for k, layer in enumerate(self.layers):
            arrays[f"W{k}"] = np.array([[w.data for w in n.w] for n in layer.neurons])  # (out, in)
            arrays[f"b{k}"] = np.array([n.b.data for n in layer.neurons])  # (out,)
        return arrays

    def load_state_dict(self, arrays) -> None:
        for k, layer in enumerate(self.layers):
            W, b = np.asarray(arrays[f"W{k}"]), np.asarray(arrays[f"b{k}"])
            if W.shape != (len(layer.neurons), len(layer.neurons[0].w)) or b.shape != W.shape[:1]:
                raise ValueError(f"W{k} / b{k} have shapes {W.shape} / {b.shape}, not this "
                                 "network's")
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = float(W[j, i])
                neuron.b.data = float(b[j])

    def grad_dict(self) -> dict[str, np.ndarray]:
        """The weights' current .grad, named and shaped like state_dict()."""
        arrays = {}
        for k, layer in enumerate(self.layers):
            arrays[f"W{k}"] = np.array([[w.grad for w in n.w] for n in layer.neurons])
            arrays[f"b{k}"] = np.array([n.b.grad for n in layer.neurons])
        return arrays

    def load_grad_dict(self, arrays) -> None:
        """Set every weight's .grad (a run in another process brings its last step's back)."""
        for k, layer in enumerate(self.layers):
            W, b = np.asarray(arrays[f"W{k}"]), np.asarray(arrays[f"b{k}"])
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.grad = float(W[j, i])
                neuron.b.grad = float(b[j])

    def get_config(self) -> dict:
        return {"sizes": list(self.sizes), "activations": list(self.activations),
                "features": list(self.features), "task": self.task}

    @classmethod
    def from_config(cls, config: dict) -> "PlaneMLP":
        """An (untrained) model of this shape. Files of the old save_mlp have only sizes and
        activations: two inputs x1, x2 and a classifier."""
        sizes, acts = config["sizes"], config["activations"]
        features = tuple(config.get("features", feats.DEFAULT))
        if (not isinstance(sizes, list) or not isinstance(acts, list)
                or len(sizes) != len(acts) + 1 or len(sizes) < 2
                or not all(isinstance(s, int) for s in sizes)
                or not all(a in ACTIVATIONS for a in acts)):
            raise ValueError("sizes and activations do not describe an MLP")
        if sizes[-1] != 1 or acts[-1] != "linear" or sizes[0] != len(features):
            raise ValueError(f"a {sizes} network with {acts[-1]} output does not fit "
                             f"features {', '.join(features)}")
        return cls(sizes[1:-1], acts[:-1], 0, features, config.get("task", "classify"))

    @classmethod
    def tiny(cls) -> "PlaneMLP":
        return cls(hidden=(3,), activations=("tanh",), seed=0)

    def copy(self) -> "PlaneMLP":
        """An independent model with the same weights (to save or probe off the GUI thread)."""
        twin = PlaneMLP.from_config(self.get_config())
        twin.load_state_dict(self.state_dict())
        return twin


# -- losses, on Values and in NumPy ----------------------------------------------------------------
def loss_value(scores, targets, loss: str):
    """The mean loss of the scores (Values) against targets (floats), as ONE "sum" node."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if loss == "max_margin":
        losses = [(1 + -yi * si).relu() for yi, si in zip(targets, scores)]
    elif loss == "mse":
        losses = [(si - yi) ** 2 for yi, si in zip(targets, scores)]
    else:  # -log sigmoid(y * s), the cross-entropy of the label under p = sigmoid(s)
        losses = [(-yi * si).softplus() for yi, si in zip(targets, scores)]
    return total(losses, 1.0 / len(losses))


def loss_numpy(scores, targets, loss: str) -> float:
    """loss_value's twin: the same number from arrays (N,), for held-out points."""
    s, t = np.asarray(scores, np.float64), np.asarray(targets, np.float64)
    if not len(t):
        return float("nan")
    if loss == "max_margin":
        return float(np.mean(np.maximum(1.0 - t * s, 0.0)))
    if loss == "mse":
        return float(np.mean((s - t) ** 2))
    z = -t * s  # softplus(z), without overflow
    return float(np.mean(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))))


def accuracy(scores, y) -> float:
    """Fraction of points whose score has the sign of their label."""
    s, t = np.asarray(scores), np.asarray(y)
    return float(np.mean((s > 0) == (t > 0))) if len(t) else 0.0


# -- the NumPy twin ---------------------------------------------------------------------------------
_NUMPY_ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
              "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "linear": lambda z: z}


def layer_outputs(arrays, activations, inputs) -> list[np.ndarray]:
    """The forward pass of weights `arrays` (state_dict names) on feature rows (N, F), keeping
    every layer: [(N, F), (N, h1), ..., (N, 1)]. Equal to the Value engine's numbers."""
    h = np.asarray(inputs, dtype=np.float64)  # (N, F)
    outs = [h]
    for k, act in enumerate(activations):
        h = _NUMPY_ACT[act](h @ arrays[f"W{k}"].T + arrays[f"b{k}"])  # (N, out_k)
        outs.append(h)
    return outs


def scores_numpy(arrays, activations, inputs) -> np.ndarray:
    """The scores (N,) of feature rows (N, F), in NumPy."""
    return layer_outputs(arrays, activations, inputs)[-1][:, 0]
