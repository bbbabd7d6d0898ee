"""The MNIST classifier: a ReLU MLP with softmax cross-entropy, written out by hand.

Layers are x @ W + b, ReLU between them, softmax at the end; He initialisation. Every
activation and gradient lives in a buffer made once per batch size, and every NumPy call writes
into one (`out=`), so a training step allocates nothing: at batch 64 the step is two matmuls of
(64, 784) x (784, 128) plus small change, which is where the time should go. Plain SGD has its
own step, `sgd_step(x, y, lr)`, which updates W1 by the product that makes its gradient
(W1 -= x.T @ lr dz: one BLAS call, models.core.blas.subtract_product) instead of writing dW1
and subtracting it in a second pass (330 -> 312 us a step at batch 64, one thread).

The model contract (docs/ARCHITECTURE.md): `forward(x, targets=None) -> (logits, loss)`, then
`backward()`; `state_dict()` / `load_state_dict()`; saved and loaded only through
models.core.checkpoint.save_model / load_model (kind "mnist-mlp").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core import blas, checkpoint
from models.core.blas import blas_threads
from models.core.layers import Layer
from models.digits.classifier import DigitClassifier

KIND = "mnist-mlp"
SMALL_BATCH = 8  # up to this many rows, products use one BLAS thread (see _matmul)
ONE_CALL_UPDATE = 16384  # backward(update=True) updates a W this large in one BLAS call (a smaller one: the call's ~4 us
# of ctypes overhead cost more than the second pass saves; W2 (128, 10) takes 4 us in two passes, 10 in one)
SINGLE_THREAD_BLAS = "set_local" in blas._blas()  # OpenBLAS can run one thread's calls on one core
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
    """out = the product `spec` of a and b. For a few rows (a drawing being predicted live) one
    BLAS thread: a multi-threaded call waits for a second core that a busy machine (or our own
    training thread) is using, and one row took 36 ms that way instead of 0.07 ms. (Where the
    thread count cannot be set per thread, NumPy's own einsum loop, 5x slower but never stalled.)"""
    if a.shape[0] <= SMALL_BATCH:  # a is (B, ...) in every spec
        if not SINGLE_THREAD_BLAS:
            return np.einsum(spec, a, b, out=out)
        with blas_threads(1):
            return _blas_matmul(a, b, out, spec)
    return _blas_matmul(a, b, out, spec)


def _blas_matmul(a, b, out, spec):
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


@checkpoint.register
class MLP(DigitClassifier, Layer):
    """784 -> hidden ReLU layer(s) -> 10 logits. Parameters W1, b1, W2, b2, ... (attributes named
    in `param_names`, also listed in order in `W` and `b`); their gradients in `grads[name]`."""
    kind = KIND
    chunk = 1000  # images a forward at a time when scoring many

    def __init__(self, config: MLPConfig | None = None):
        super().__init__()
        self.config = config or MLPConfig()
        sizes = self.config.sizes = tuple(int(s) for s in self.config.sizes)
        rng = np.random.default_rng(self.config.seed)
        self.param_names = tuple(f"{p}{i}" for i in range(1, len(sizes)) for p in ("W", "b"))
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            # He et al.: variance 2 / fan_in keeps ReLU activations from shrinking layer by layer
            setattr(self, f"W{i}", (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32))
            setattr(self, f"b{i}", np.zeros(fan_out, np.float32))
        self._init_grads()
        self._bufs: dict[int, dict] = {}  # per batch size: activations and gradient buffers
        self._eye = np.eye(sizes[-1], dtype=np.float32)  # one-hot rows to gather
        self.x = None  # the input of the last forward (a view, not a copy)

    # ---- the model contract (models.core.checkpoint) ----------------------------------------
    def get_config(self) -> dict:
        return {"sizes": list(self.config.sizes), "seed": self.config.seed}

    @classmethod
    def from_config(cls, config: dict) -> "MLP":
        """An untrained net of the architecture in `config` (also the header of files saved
        before the one-house contract: the same {"sizes", "seed"})."""
        return cls(MLPConfig(sizes=parse_arch("-".join(str(int(s)) for s in config["sizes"])),
                             seed=int(config.get("seed", 0))))

    @classmethod
    def tiny(cls) -> "MLP":
        return cls(MLPConfig(sizes=(784, 8, 10)))

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, live array) of every parameter, in order."""
        return [(n, getattr(self, n)) for n in self.param_names]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Named copies of the parameters: W1, b1, W2, b2, ..."""
        return {n: getattr(self, n).copy() for n in self.param_names}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy named parameters in place (same names and shapes; float16 files are widened)."""
        checkpoint.check_shapes("the weights", arrays, {n: getattr(self, n).shape for n in self.param_names})
        for n in self.param_names:
            getattr(self, n)[...] = arrays[n]

    # ---- parameters -------------------------------------------------------------------------
    # W and b: the arrays W1, W2, ... and b1, b2, ..., in order; dW, db their gradients (looked
    # up each time, so that whoever replaces an array, as the parallel step does, is followed)
    @property
    def W(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.param_names[0::2]]

    @property
    def b(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.param_names[1::2]]

    @property
    def dW(self) -> list[np.ndarray]:
        return [self.grads[n] for n in self.param_names[0::2]]

    @property
    def db(self) -> list[np.ndarray]:
        return [self.grads[n] for n in self.param_names[1::2]]

    @property
    def dtype(self):
        return self.W1.dtype

    def astype(self, dtype) -> "MLP":
        """Switch parameters, gradients and buffers to `dtype` in place (float64 for gradient
        checks; float32 everywhere else). Returns self."""
        for n in self.param_names:
            setattr(self, n, getattr(self, n).astype(dtype))
        self._init_grads()
        self._bufs.clear()
        self._eye = self._eye.astype(dtype)
        return self

    def num_params(self) -> int:
        return sum(p.size for p in self.parameters())

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

    def forward(self, x: np.ndarray, targets: np.ndarray | None = None):
        """x (B, 784) or (B, 28, 28) in [0, 1] -> (logits (B, 10), loss). With targets (B,) the
        loss is their mean cross-entropy and the gradient of the logits is ready for backward();
        without, loss is None. The logits are a buffer reused by the next forward of the same
        batch size: copy them to keep them."""
        x = self._as_input(x)
        buf = self._buffers(len(x))
        self.x = x
        a = x
        W, b = self.W, self.b
        last = len(W) - 1
        for i, (w, bias) in enumerate(zip(W, b)):
            z = buf["a"][i]
            _matmul(a, w, z, "bi,ij->bj")  # (B, n_out)
            z += bias
            if i < last:  # ReLU in place, as z * (z > 0): two cheap passes, and the mask is kept
                mask = buf["mask"][i]  # for backward, where it is ReLU's derivative
                np.greater(z, 0.0, out=mask)
                np.multiply(z, mask, out=z)
            a = z
        loss = None if targets is None else self._loss_and_grad(targets)
        return a, loss

    def _loss_and_grad(self, y: np.ndarray) -> float:
        """Softmax cross-entropy of the last forward's logits against labels y (B,); puts
        dloss/dlogits = (softmax - onehot) / B into the gradient buffer.
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
        np.multiply(p, 1.0 / B, out=p)
        return loss

    def backward(self, dlogits: np.ndarray | None = None, input_grad: bool = False, param_grads: bool = True,
                 scale: float = 1.0, update: bool = False):
        """Backpropagate from the logits' gradient: the loss's (left by forward with targets) or
        `dlogits` (B, 10), times `scale` (plain SGD folds its rate in here, so that its update is
        one subtraction). Fills grads[W1, b1, ...] (unless param_grads is False, as for
        saliency) and returns dloss/dx (B, 784) when input_grad, else None.

        update=True is plain SGD's step instead (rate in `scale`): each weight takes
        W -= gradient as the gradient is made, a large W by the very product that makes it
        (W -= a.T @ d: one BLAS call, models.core.blas.subtract_product, no dW written and read
        back, no second pass over W); grads[W...] then hold the gradients only where that call
        is missing."""
        buf = self._buffers(len(self.x))
        if dlogits is not None:
            buf["d"][-1][...] = dlogits
        if scale != 1.0:
            buf["d"][-1] *= scale  # (B, 10): the cheapest place to scale every gradient
        acts = [self.x] + buf["a"][:-1]
        W, b, dW, db = self.W, self.b, self.dW, self.db
        one_call = len(self.x) > SMALL_BATCH  # (fewer rows: _matmul keeps products on one thread)
        dx = None
        for i in range(len(W) - 1, -1, -1):
            d = buf["d"][i]  # (B, n_out)
            if i > 0:  # the layer below's gradient goes through W before W may change
                _matmul(d, W[i], buf["d"][i - 1], "bj,ij->bi")  # (B, n_in)
                np.multiply(buf["d"][i - 1], buf["mask"][i - 1], out=buf["d"][i - 1])  # ReLU'(z)
            elif input_grad:
                dx = _matmul(d, W[0], buf["dx"], "bj,ij->bi")  # (B, 784)
            if update:
                if not (one_call and W[i].size >= ONE_CALL_UPDATE and blas.subtract_product(W[i], acts[i], d)):
                    np.subtract(W[i], _matmul(acts[i], d, dW[i], "bi,bj->ij"), out=W[i])
                np.subtract(b[i], np.matmul(buf["ones_b"], d, out=db[i]), out=b[i])
            elif param_grads:
                _matmul(acts[i], d, dW[i], "bi,bj->ij")  # (n_in, n_out)
                np.matmul(buf["ones_b"], d, out=db[i])  # (n_out,) column sums
        return dx

    def sgd_step(self, x: np.ndarray, targets: np.ndarray, lr: float) -> float:
        """One step of plain SGD on the batch (forward, then backward with update=True); the same
        numbers as forward, backward(scale=lr) and p -= grad. Returns the loss."""
        _, loss = self.forward(x, targets)
        self.backward(scale=lr, update=True)
        return loss

    # ---- using the net ----------------------------------------------------------------------
    def _as_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        if x.ndim != 2 or x.shape[1] != 784:
            raise ValueError(f"input must be (N, 28, 28) or (N, 784), not {x.shape}")
        return x

    def hidden(self, x: np.ndarray) -> list[np.ndarray]:
        """Copies of the hidden layers' ReLU activations for x, one (N, n) array per layer."""
        self.forward(x)
        return [a.copy() for a in self._buffers(len(self.x))["a"][:-1]]
