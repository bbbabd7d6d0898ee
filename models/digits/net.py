"""The MNIST classifier: a ReLU MLP with softmax cross-entropy, written out by hand.

Layers are x @ W + b, ReLU between them, softmax at the end; He initialisation. Every
activation and gradient lives in a buffer made once per batch size, and every NumPy call writes
into one (`out=`), so a training step allocates nothing: at batch 64 the step is two matmuls of
(64, 784) x (784, 128) plus small change, which is where the time should go.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.core import checkpoint
KIND = "mnist-mlp"
SMALL_BATCH = 8  # up to this many rows, products skip BLAS (see _matmul)
ARCHITECTURES = ("784-128-10", "784-256-10", "784-512-10", "784-800-10", "784-256-256-10",
                 "784-512-256-10", "784-800-800-10")


def parse_arch(text: str) -> tuple[int, ...]:
    """"784-256-10" -> (784, 256, 10); 784 in, 10 out, one or two hidden layers of 1..4096."""
    try:
        sizes = tuple(int(v) for v in str(text).split("-"))
    except ValueError:
        raise ValueError(f"architecture must look like 784-256-10, not {text!r}") from None
    if len(sizes) not in (3, 4) or sizes[0] != 784 or sizes[-1] != 10:
        raise ValueError(f"architecture must be 784-H-10 or 784-H1-H2-10, not {text!r}")
    if not all(1 <= h <= 4096 for h in sizes[1:-1]):
        raise ValueError(f"hidden layers must have 1 to 4096 units, not {text!r}")
    return sizes


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, spec: str) -> np.ndarray:
    """out = the product `spec` of a and b. For a few rows (a drawing being predicted live) NumPy's
    own einsum loop: a multi-threaded BLAS call waits for a second core that a busy machine (or our
    own training thread) is using, and one row took 36 ms that way instead of 0.07 ms."""
    if a.shape[0] <= SMALL_BATCH:  # a is (B, ...) in every spec
        return np.einsum(spec, a, b, out=out)
    if spec == "bi,ij->bj":
        return np.matmul(a, b, out=out)
    if spec == "bi,bj->ij":
        return np.matmul(a.T, b, out=out)
    return np.matmul(a, b.T, out=out)  # "bj,ij->bi"


@dataclass
class MLPConfig:
    sizes: tuple = (784, 128, 10)  # layer widths: 784 pixels in, hidden layer(s), 10 classes out
    seed: int = 0  # seed of the He initialisation

    @property
    def arch(self) -> str:
        return "-".join(str(s) for s in self.sizes)


class MLP:
    def __init__(self, config: MLPConfig | None = None):
        self.config = config or MLPConfig()
        sizes = self.config.sizes = tuple(int(s) for s in self.config.sizes)
        rng = np.random.default_rng(self.config.seed)
        self.W, self.b = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            # He et al.: variance 2 / fan_in keeps ReLU activations from shrinking layer by layer
            self.W.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32))
            self.b.append(np.zeros(fan_out, np.float32))
        self.dW = [np.zeros_like(w) for w in self.W]
        self.db = [np.zeros_like(b) for b in self.b]
        self._bufs: dict[int, dict] = {}  # per batch size: activations and gradient buffers
        self._eye = np.eye(sizes[-1], dtype=np.float32)  # one-hot rows to gather
        self.x = None  # the input of the last forward (a view, not a copy)

    # ---- parameters -------------------------------------------------------------------------
    @property
    def params(self) -> list[np.ndarray]:
        return [p for pair in zip(self.W, self.b) for p in pair]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for pair in zip(self.dW, self.db) for g in pair]

    def arrays(self) -> dict[str, np.ndarray]:
        """Named copies of the parameters: W1, b1, W2, b2, ..."""
        out = {}
        for i, (w, b) in enumerate(zip(self.W, self.b), start=1):
            out[f"W{i}"], out[f"b{i}"] = w.copy(), b.copy()
        return out

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy named parameters in place (shapes must match)."""
        for i, (w, b) in enumerate(zip(self.W, self.b), start=1):
            w[...] = arrays[f"W{i}"]
            b[...] = arrays[f"b{i}"]

    @property
    def dtype(self):
        return self.W[0].dtype

    def astype(self, dtype) -> "MLP":
        """Switch parameters, gradients and buffers to `dtype` in place (float64 for gradient
        checks; float32 everywhere else). Returns self."""
        self.W = [w.astype(dtype) for w in self.W]
        self.b = [b.astype(dtype) for b in self.b]
        self.dW = [np.zeros_like(w) for w in self.W]
        self.db = [np.zeros_like(b) for b in self.b]
        self._bufs.clear()
        self._eye = self._eye.astype(dtype)
        return self

    def shapes(self) -> dict[str, tuple]:
        return {k: v.shape for k, v in self.arrays().items()}

    # ---- forward / backward -----------------------------------------------------------------
    def _buffers(self, B: int) -> dict:
        if B not in self._bufs:
            if len(self._bufs) > 4:  # batch sizes come and go (GUI, eval); keep the cache small
                self._bufs.clear()
            outs, f = self.config.sizes[1:], self.dtype
            self._bufs[B] = {
                "a": [np.empty((B, n), f) for n in outs],  # post-ReLU activations; last = logits
                "d": [np.empty((B, n), f) for n in outs],  # gradients w.r.t. pre-activations
                "mask": [np.empty((B, n), f) for n in outs[:-1]],  # ReLU derivative, 0 or 1, from forward
                "dx": np.empty((B, self.config.sizes[0]), f),  # gradient w.r.t. the input
                "col": np.empty((B, 1), f),  # row max / row sum of the softmax
                "onehot": np.empty((B, outs[-1]), f),  # the labels, one-hot
                "row_start": np.arange(B) * outs[-1],  # flat index of each row's first logit
                "ones_b": np.ones(B, f),  # for column sums by matmul
                "ones_c": np.ones((outs[-1], 1), f),  # for row sums by matmul
            }
        return self._bufs[B]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (B, 784) float32 -> logits (B, 10). The returned array is a buffer reused by the
        next forward of the same batch size: copy it to keep it."""
        x = self._as_input(x)
        buf = self._buffers(len(x))
        self.x = x
        a = x
        last = len(self.W) - 1
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            z = buf["a"][i]
            _matmul(a, w, z, "bi,ij->bj")  # (B, n_out)
            z += b
            if i < last:  # ReLU in place, as z * (z > 0): two cheap passes, and the mask is kept
                mask = buf["mask"][i]  # for backward, where it is ReLU's derivative
                np.greater(z, 0.0, out=mask)
                np.multiply(z, mask, out=z)
            a = z
        return a

    def loss_and_grad(self, y: np.ndarray, scale: float = 1.0) -> float:
        """Softmax cross-entropy of the last forward's logits against labels y (B,); puts
        scale * dloss/dlogits = scale * (softmax - onehot) / B into the gradient buffer.
        Row sums and the one-hot rows come from tiny matmuls and gathers: NumPy's reductions along
        short rows cost more than the arithmetic."""
        buf = self._buffers(len(y))
        logits, p, col = buf["a"][-1], buf["d"][-1], buf["col"]
        B = len(y)
        # Shift by the batch's largest logit (one fast reduction) for a stable exp; should some row
        # be so far below it that all its exps vanish, shift each row by its own maximum instead.
        np.subtract(logits, np.maximum.reduce(logits, axis=None), out=p)
        np.exp(p, out=p)
        np.matmul(p, buf["ones_c"], out=col)  # (B, 1) row sums
        if not np.minimum.reduce(col, axis=None) > 1e-30:
            np.subtract(logits, np.maximum.reduce(logits, axis=1, keepdims=True), out=p)
            np.exp(p, out=p)
            np.matmul(p, buf["ones_c"], out=col)
        np.divide(p, col, out=p)  # (B, 10) softmax
        # (ufunc methods and ndarray.take directly: NumPy's Python wrappers cost more than the work)
        picked = p.reshape(-1).take(buf["row_start"] + y, mode="clip")  # (B,) probability of the right class
        loss = -float(np.add.reduce(np.log(np.maximum(picked, 1e-30, out=picked), out=picked))) / B
        self._eye.take(y, axis=0, out=buf["onehot"], mode="clip")  # (mode="raise" would copy first)
        np.subtract(p, buf["onehot"], out=p)  # fused softmax + cross-entropy gradient: p - onehot
        np.multiply(p, scale / B, out=p)
        return loss

    def backward(self, input_grad: bool = False, param_grads: bool = True):
        """From the gradient buffer of the logits, fill dW, db (unless param_grads is False, as
        for saliency) and return dloss/dx if input_grad."""
        buf = self._buffers(len(self.x))
        acts = [self.x] + buf["a"][:-1]
        for i in range(len(self.W) - 1, -1, -1):
            d = buf["d"][i]  # (B, n_out)
            if param_grads:
                _matmul(acts[i], d, self.dW[i], "bi,bj->ij")  # (n_in, n_out)
                np.matmul(buf["ones_b"], d, out=self.db[i])  # (n_out,) column sums
            if i > 0:
                _matmul(d, self.W[i], buf["d"][i - 1], "bj,ij->bi")  # (B, n_in)
                np.multiply(buf["d"][i - 1], buf["mask"][i - 1], out=buf["d"][i - 1])  # ReLU'(z)
            elif input_grad:
                return _matmul(d, self.W[0], buf["dx"], "bj,ij->bi")  # (B, 784)
        return None

    def sgd_step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One plain-SGD step in place, lr folded into the logits' gradient so that the update
        is a single subtraction per parameter. Returns the loss."""
        self.forward(x)
        loss = self.loss_and_grad(y, scale=lr)
        self.backward()
        for p, g in zip(self.params, self.grads):
            np.subtract(p, g, out=p)
        return loss

    # ---- using the net ----------------------------------------------------------------------
    def _as_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        if x.ndim != 2 or x.shape[1] != 784:
            raise ValueError(f"input must be (N, 28, 28) or (N, 784), not {x.shape}")
        return x

    def logits(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        """(N, 10) logits, computed in chunks; a fresh array."""
        x = self._as_input(x)
        out = np.empty((len(x), self.config.sizes[-1]), self.dtype)
        for i in range(0, len(x), batch):
            out[i:i + batch] = self.forward(x[i:i + batch])
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 784) in [0, 1] -> (N, 10) class probabilities."""
        z = self.logits(x)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.logits(x).argmax(axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict(x) == y).mean()) if len(y) else 0.0

    def hidden(self, x: np.ndarray) -> list[np.ndarray]:
        """Copies of the hidden layers' ReLU activations for x, one (N, n) array per layer."""
        self.forward(x)
        return [a.copy() for a in self._buffers(len(self.x))["a"][:-1]]

    def saliency(self, x: np.ndarray, cls: int | None = None) -> tuple[np.ndarray, int]:
        """Gradient of one class's logit with respect to the input pixels of one image (784,)
        or (28, 28), from our backward pass. cls defaults to the predicted class.
        Returns (gradient shaped like x, class)."""
        shape = np.shape(x)
        xb = self._as_input(np.reshape(x, (1, -1)))
        logits = self.forward(xb)
        cls = int(np.argmax(logits[0])) if cls is None else int(cls)
        d = self._buffers(1)["d"][-1]
        d[...] = 0.0
        d[0, cls] = 1.0  # d logit_cls / d logits
        dx = self.backward(input_grad=True, param_grads=False)  # (1, 784); weights' grads untouched
        return dx.reshape(shape).copy(), cls

    # ---- files ------------------------------------------------------------------------------
    def save(self, path, meta: dict | None = None, half: bool = False):
        """Atomic .npz via models.core.checkpoint; half=True stores the weights as float16."""
        arrays = self.arrays()
        if half:
            arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
        return checkpoint.save(path, KIND, arrays, asdict(self.config), meta)

    @classmethod
    def load(cls, path) -> "MLP":
        """Any mnist-mlp checkpoint; its config says the architecture. Raises CheckpointError."""
        arrays, config, meta = checkpoint.load(path, KIND)
        try:
            net = cls(MLPConfig(sizes=parse_arch("-".join(str(s) for s in config["sizes"]))))
        except (KeyError, TypeError, ValueError) as e:
            raise checkpoint.CheckpointError(f"{path}: damaged mnist-mlp configuration ({e}).") from None
        checkpoint.check_shapes(str(path), arrays, net.shapes())
        net.set_arrays(arrays)
        net.meta = meta
        return net

    def load_into(self, path) -> dict:
        """Load a checkpoint of exactly this architecture into this net; the net is untouched
        when the file is foreign or of another shape. Returns the file's meta."""
        arrays, _, meta = checkpoint.load(path, KIND, self.shapes())
        self.set_arrays(arrays)
        return meta
