"""What the two digit nets (models.digits.net's MLP, models.digits.cnn's CNN) share on top of
their own forward and backward: logits in chunks, probabilities, guesses, accuracy, saliency."""
from __future__ import annotations

import numpy as np


class DigitClassifier:
    """Mix-in for a model with `forward(x, targets=None) -> (logits, loss)` on (B, 784) or
    (B, 28, 28) images and `backward(dlogits, input_grad=True, param_grads=False) -> dx`."""
    chunk = 500  # images a forward at a time when scoring many

    def logits(self, x: np.ndarray, batch: int | None = None) -> np.ndarray:
        """(N, 10) logits, computed in chunks; a fresh array."""
        x = np.asarray(x)
        batch = batch or self.chunk
        out = np.empty((len(x), 10), self.dtype)
        for i in range(0, len(x), batch):
            out[i:i + batch] = self.forward(x[i:i + batch])[0]
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

    def saliency(self, x: np.ndarray, cls: int | None = None) -> tuple[np.ndarray, int]:
        """Gradient of one class's logit with respect to the input pixels of one image (784,)
        or (28, 28), from our backward pass; cls defaults to the guess. The weights' gradients
        are left alone. Returns (gradient shaped like x, class)."""
        shape = np.shape(x)
        logits, _ = self.forward(np.reshape(x, (1, 784)))
        cls = int(np.argmax(logits[0])) if cls is None else int(cls)
        onehot = np.zeros((1, 10), self.dtype)
        onehot[0, cls] = 1.0  # d logit_cls / d logits
        dx = self.backward(onehot, input_grad=True, param_grads=False)  # (1, 784) or (1, 28, 28)
        return dx.reshape(shape).copy(), cls
