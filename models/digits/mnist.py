"""MNIST: the IDX file reader, the drawing -> 28x28 pipeline, and the shipped classifier.

The IDX format (LeCun's): a big-endian header `0x00 0x00 <dtype> <ndim>`, then one uint32 size
per dimension, then the raw bytes. Images are (N, 28, 28) uint8, labels (N,) uint8 in 0..9.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.core.assets import asset_path, find_data
from models.core.safe_files import read_gzip
from models.digits.preprocess import preprocess  # noqa: F401  (public here: models.digits.mnist.preprocess)

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SIZES = {"train": 60000, "test": 10000}
IMAGE_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned byte, 1 dimension
PRETRAINED = {"mlp": "mnist_mlp.npz", "cnn": "digits_cnn.npz"}  # in assets/weights


class MnistError(ValueError):
    """An MNIST file that is missing, truncated or not IDX; the message is for the user."""


MAX_IDX_BYTES = 64 << 20  # MNIST's largest file unpacks to 47 MB


def read_idx(path, magic: int) -> np.ndarray:
    """Read one IDX file (gzipped or not) whose header must carry `magic`; returns uint8 data."""
    path = Path(path)
    if not path.exists():
        raise MnistError(f"{path}: no such file.")
    # a FIFO or device is refused before it can block; a gzip bomb stops at the cap
    raw = read_gzip(path, MAX_IDX_BYTES, error=MnistError)
    ndim = magic & 0xFF
    head = 4 + 4 * ndim
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise MnistError(f"{path.name} is not the expected IDX file: magic number 0x{found:08x}, "
                         f"expected 0x{magic:08x}.")
    if len(raw) < head:
        raise MnistError(f"{path.name} is truncated: {len(raw)} bytes, shorter than its header.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - head != expected:
        raise MnistError(f"{path.name} is truncated or padded: header says {shape} "
                         f"({expected} bytes), the file has {len(raw) - head}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape)


def read_images(path) -> np.ndarray:
    """(N, 28, 28) uint8 images from an idx3 file."""
    images = read_idx(path, IMAGE_MAGIC)
    if images.shape[1:] != (28, 28):
        raise MnistError(f"{Path(path).name}: images are {images.shape[1:]}, expected (28, 28).")
    return images


def read_labels(path) -> np.ndarray:
    """(N,) uint8 labels in 0..9 from an idx1 file."""
    labels = read_idx(path, LABEL_MAGIC)
    if labels.size and labels.max() > 9:
        raise MnistError(f"{Path(path).name}: label {int(labels.max())} is outside 0..9.")
    return labels


def mnist_dir(data_dir=None) -> Path:
    """Folder holding the four files: `data_dir`, else $PLAYGROUND_DATA_DIR/mnist, else assets/mnist."""
    if data_dir is not None:
        d = Path(data_dir)
        return d / "mnist" if (d / "mnist" / FILES["train"][0]).exists() else d
    return find_data("mnist", FILES["train"][0]).parent


def load_mnist(split: str = "train", data_dir=None):
    """-> images (N, 28, 28) uint8, labels (N,) uint8 for split "train" (60k) or "test" (10k)."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = mnist_dir(data_dir)
    images = read_images(folder / FILES[split][0])
    labels = read_labels(folder / FILES[split][1])
    if len(images) != len(labels):
        raise MnistError(f"{folder}: {len(images)} {split} images but {len(labels)} labels.")
    return images, labels


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 784) in [0, 1]."""
    return (images.reshape(len(images), -1).astype(np.float32) / 255.0)  # (N, 784)


def load_pretrained(path=None, which: str = "mlp"):
    """The shipped classifier `which` ("mlp": assets/weights/mnist_mlp.npz, "cnn":
    assets/weights/digits_cnn.npz), or the digits model saved at `path`, as a checkpoint.Loaded
    (model, meta). Raises CheckpointError with a message for the user."""
    from models.core import checkpoint
    from models.digits import cnn, net  # noqa: F401  (registers both kinds with the checkpoint)

    if path is None:
        path = asset_path("weights", PRETRAINED[which])
    loaded = checkpoint.load_model(path)
    if loaded.model.kind not in (net.KIND, cnn.KIND):
        raise checkpoint.CheckpointError(f"{Path(path).name} holds a {loaded.model.kind!r} model, not a digits model.")
    return loaded
