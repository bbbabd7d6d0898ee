"""What the Digits tab reads and writes off the GUI thread (through its jobs): pictures, weights,
the shipped nets and the MNIST test set; and how it names a net."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter

from models.core import checkpoint
from models.core.assets import asset_path
from models.core.blas import blas_threads
from models.core.safe_files import MB, read_bytes
from models.digits.cnn import CNN
from models.digits.mnist import PRETRAINED, load_mnist, load_pretrained
from models.digits.photo import photo_to_canvas
from models.digits.train import as_float, confusion_matrix

KINDS = ("mlp", "cnn")
LABELS = {"mlp": "MLP", "cnn": "CNN"}
MAX_PIXELS = 40_000_000  # pictures larger than this (a 6000×6000 photo is 36 M) are refused unread
MAX_PICTURE_BYTES = 64 * MB  # a picture file on disk
SCORE_CHUNK = 50  # test images a step of the scoring job: short NumPy calls (the CNN's copies hold the
# GIL the window needs) and a quick look at cancel


def read_picture(path: str):
    """(canvas, inverted) from an image file: runs on a job thread (QImage is not a widget).
    A transparent background counts as paper (white); a picture with no ink is refused, so
    opening it never wipes the drawing."""
    name = Path(path).name
    raw = QByteArray(read_bytes(path, MAX_PICTURE_BYTES))  # never blocks on a FIFO or device
    buffer = QBuffer(raw)  # held: the reader must not outlive it
    size = QImageReader(buffer).size()  # from the header: a huge picture is refused before it is decoded
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise ValueError(f"{name} is too large: {size.width()}×{size.height()} exceeds {MAX_PIXELS // 10**6} "
                         f"million pixels.")
    image = QImage.fromData(raw)
    if image.isNull():
        raise ValueError(f"{path} is not an image this app can read (try PNG or JPEG).")
    if image.hasAlphaChannel():  # ink on a transparent background: lay it on white paper
        paper = QImage(image.size(), QImage.Format_RGB32)
        paper.fill(QColor("white"))
        painter = QPainter(paper)
        painter.drawImage(0, 0, image)
        painter.end()
        image = paper
    gray = image.convertToFormat(QImage.Format_Grayscale8)
    raw = np.frombuffer(gray.constBits(), np.uint8, gray.sizeInBytes())
    values = raw.reshape(gray.height(), gray.bytesPerLine())[:, :gray.width()].astype(np.float32) / 255
    try:
        ink, inverted = photo_to_canvas(values)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if not ink.any():
        raise ValueError(f"{name} reads as blank (no ink on it): kept your drawing.")
    return ink, inverted


def read_weights(path: str) -> checkpoint.Loaded:
    """Any digits net saved by Playground (job thread); a message that says the model is kept."""
    try:
        return load_pretrained(path)
    except (checkpoint.CheckpointError, OSError) as e:
        raise ValueError(f"Kept the current model: {e}") from None


def read_shipped() -> dict:
    """The shipped nets and the MNIST test set (job thread); what is missing is reported, not raised."""
    out = {"errors": []}
    for kind in KINDS:
        try:
            out[kind] = load_pretrained(which=kind)
        except (checkpoint.CheckpointError, OSError) as e:
            out["errors"].append(f"The shipped digits {LABELS[kind]} could not be loaded ({e}).")
    try:
        out["test"] = load_mnist("test")
    except (ValueError, OSError) as e:
        out["errors"].append(f"MNIST could not be read, so training is off: {e}")
    return out


def write_weights(path: str, cls, config: dict, state: dict, meta: dict) -> str:
    """Save on a job thread a model rebuilt from copies made on the GUI thread."""
    net = cls.from_config(config)
    net.load_state_dict(state)
    return str(checkpoint.save_model(path, net, meta))


def evaluate_weights(cls, config: dict, state: dict, x_test: np.ndarray, y_test: np.ndarray, cancel) -> dict | None:
    """A net's score on the test set (job thread): {test_acc, confusion, wrong, wrong_pred}, or None
    once `cancel` (a threading.Event) is set: it is checked between chunks, so a closing window
    never waits for the ~10 s a CNN takes. It runs on a rebuilt copy of the net: the GUI's keeps
    its scratch buffers for reading the drawing meanwhile."""
    net = cls.from_config(config)
    net.load_state_dict(state)
    x, y = x_test.reshape(len(x_test), -1), np.asarray(y_test, np.int64)
    pred = np.empty(len(y), np.int64)
    with blas_threads(1):  # a core stays free for the window (and a run's child)
        for i in range(0, len(y), SCORE_CHUNK):
            if cancel.is_set():
                return None
            pred[i:i + SCORE_CHUNK] = net.logits(as_float(x[i:i + SCORE_CHUNK])).argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    return {"test_acc": float((pred == y).mean()) if len(y) else 0.0, "confusion": confusion_matrix(pred, y),
            "wrong": wrong, "wrong_pred": pred[wrong]}


def kind_of(net) -> str:
    return "cnn" if isinstance(net, CNN) else "mlp"


def describe(net, meta: dict | None) -> str:
    """A short name for the weights box: "CNN 16-32-128: 99.46% test" (MNIST's test set)."""
    meta = meta or {}
    c = net.config
    name = f"CNN {c.c1}-{c.c2}-{c.hidden}" if kind_of(net) == "cnn" else f"MLP {c.arch}"
    if meta.get("training"):
        return f"{name}, training…"
    acc = meta.get("test_accuracy")
    return name + (f": {acc:.2%} test" if acc else "")


def shipped_path(kind: str):
    return asset_path("weights", PRETRAINED[kind])
