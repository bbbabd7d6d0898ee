"""A small convolutional net for digits, LeNet's shape, written out in NumPy.

    x (B, 28, 28, 1)
    conv1 5x5, 1 -> c1, pad 2   (B, 28, 28, c1)   max-pool 2x2 -> (B, 14, 14, c1)   ReLU
    conv2 5x5, c1 -> c2, pad 2  (B, 14, 14, c2)   max-pool 2x2 -> (B, 7, 7, c2)     ReLU
    flatten (B, 49 c2) -> [fc1 hidden, ReLU] -> fc2 10 logits

Pooling before the ReLU gives the same numbers as after it (both are monotone) for a quarter of
the ReLU's work. The model contract of every model here (docs/ARCHITECTURE.md):
`forward(x, targets=None) -> (logits, loss)`, `backward()`, `state_dict()`, saved and loaded
through models.core.checkpoint (kind "digits-cnn"). After a forward, `maps` holds the feature
maps the "look inside" view draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core import checkpoint
from models.core.layers import CrossEntropy, Layer, Linear
from models.digits.classifier import DigitClassifier
from models.digits.conv import Conv2d, MaxPool2, ReLU

KIND = "digits-cnn"


@dataclass
class CNNConfig:
    c1: int = 16  # feature maps of the first convolution
    c2: int = 32  # feature maps of the second convolution
    hidden: int = 128  # units of the fully connected hidden layer; 0 = straight to the 10 logits
    kernel: int = 5  # kernel side of both convolutions
    seed: int = 0  # seed of the He initialisation


@checkpoint.register
class CNN(DigitClassifier, Layer):
    kind = KIND

    def __init__(self, config: CNNConfig | None = None):
        super().__init__()
        c = self.config = config or CNNConfig()
        rng = np.random.default_rng(c.seed)
        self.conv1 = Conv2d(1, c.c1, c.kernel, rng=rng)
        self.conv2 = Conv2d(c.c1, c.c2, c.kernel, rng=rng)
        self.conv1.need_dx = False  # set True for saliency only
        self.pool1, self.pool2 = MaxPool2(), MaxPool2()
        self.relu1, self.relu2 = ReLU(), ReLU()
        flat = 7 * 7 * c.c2
        gain = np.sqrt(2.0)  # He: ReLU halves the variance
        if c.hidden:
            self.fc1 = Linear(flat, c.hidden, gain=gain, rng=rng)
            self.relu3 = ReLU()
            self.fc2 = Linear(c.hidden, 10, rng=rng)
        else:
            self.fc2 = Linear(flat, 10, rng=rng)
        self.loss_fn = CrossEntropy()
        self.maps: list[np.ndarray] = []  # after forward: conv1, after pool1+ReLU, conv2, after pool2+ReLU

    @property
    def layers(self) -> list[tuple[str, Layer]]:
        """(name, layer) in forward order."""
        names = ["conv1", "pool1", "relu1", "conv2", "pool2", "relu2"]
        names += ["fc1", "relu3", "fc2"] if self.config.hidden else ["fc2"]
        return [(n, getattr(self, n)) for n in names]

    # ---- the model contract (models.core.checkpoint) ----------------------------------------
    def get_config(self) -> dict:
        c = self.config
        return {"c1": c.c1, "c2": c.c2, "hidden": c.hidden, "kernel": c.kernel, "seed": c.seed}

    @classmethod
    def from_config(cls, config: dict) -> "CNN":
        c = CNNConfig(**{k: int(config[k]) for k in ("c1", "c2", "hidden", "kernel") if k in config},
                      seed=int(config.get("seed", 0)))
        if not (1 <= c.c1 <= 256 and 1 <= c.c2 <= 256 and 0 <= c.hidden <= 4096 and c.kernel in (3, 5)):
            raise ValueError(f"not a CNN this app builds: {config}")
        return cls(c)

    @classmethod
    def tiny(cls) -> "CNN":
        return cls(CNNConfig(c1=2, c2=3, hidden=4))

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, live array) of every parameter: conv1.weight, conv1.bias, ..."""
        return [(f"{n}.{p}", getattr(layer, p)) for n, layer in self.layers for p in layer.param_names]

    def parameters(self) -> list[np.ndarray]:
        return [a for _, a in self.named_parameters()]

    def gradients(self) -> list[np.ndarray]:
        return [layer.grads[p] for _, layer in self.layers for p in layer.param_names]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {n: a.copy() for n, a in self.named_parameters()}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        mine = dict(self.named_parameters())
        checkpoint.check_shapes("the weights", arrays, {n: a.shape for n, a in mine.items()})
        for n, a in mine.items():
            a[...] = arrays[n]

    def num_params(self) -> int:
        return sum(a.size for a in self.parameters())

    @property
    def dtype(self):
        return self.conv1.weight.dtype

    def astype(self, dtype) -> "CNN":
        """Parameters (and gradients, scratch) in `dtype`: float64 for gradient checks."""
        for _, layer in self.layers:
            for p in layer.param_names:
                setattr(layer, p, getattr(layer, p).astype(dtype))
            layer._init_grads()
            layer._scratch = {}
        return self

    def train(self, mode: bool = True) -> "CNN":
        self.training = mode
        return self

    # ---- forward / backward -----------------------------------------------------------------
    def forward(self, x: np.ndarray, targets: np.ndarray | None = None):
        """x (B, 784), (B, 28, 28) or (B, 28, 28, 1) in [0, 1] -> (logits (B, 10), loss or None).
        The logits are a buffer reused by the next forward of the same batch size."""
        x = np.asarray(x, dtype=self.dtype)
        if x.size % 784 or x.ndim not in (2, 3, 4) or (x.ndim > 2 and x.shape[1:3] != (28, 28)):
            raise ValueError(f"input must be (N, 28, 28) or (N, 784), not {x.shape}")
        h = x.reshape(len(x), 28, 28, 1)  # (B, 28, 28, 1) NHWC
        self.maps = []
        for name, layer in self.layers:
            if name == "fc1" or (name == "fc2" and not self.config.hidden):
                h = h.reshape(len(h), -1)  # (B, 7*7*c2) flatten, NHWC order
            h = layer.forward(h)
            if name in ("conv1", "relu1", "conv2", "relu2"):
                self.maps.append(h)
        self.logits_ = h  # (B, 10)
        loss = None if targets is None else self.loss_fn.forward(h, np.asarray(targets, np.int64))
        return h, loss

    def backward(self, dlogits: np.ndarray | None = None, input_grad: bool = False, scale: float = 1.0,
                 param_grads: bool = True):
        """Backpropagate the loss of the last forward (or `dlogits` (B, 10)), times `scale` (plain
        SGD folds its rate in): fills every layer's grads (unless param_grads is False, as for
        saliency), returns d/dx (B, 28, 28) when input_grad."""
        d = self.loss_fn.backward() if dlogits is None else np.asarray(dlogits, self.dtype)
        if scale != 1.0:
            d = d * scale
        self.conv1.need_dx = input_grad
        for name, layer in reversed(self.layers):
            if name == "relu2":
                d = d.reshape(len(d), 7, 7, self.config.c2)  # undo the flatten
            if param_grads or not layer.param_names:
                d = layer.backward(d)
            elif isinstance(layer, Linear):  # only the input's gradient: d @ W.T
                d = d @ layer.weight.T
            else:  # a convolution: its patches' gradients, not its weights'
                layer.need_dw = False
                d = layer.backward(d)
                layer.need_dw = True
        self.conv1.need_dx = False
        return d.reshape(len(d), 28, 28) if input_grad else None
