"""MNIST data: the IDX reader on good and broken files, and where the files are found."""
import gzip
import struct

import numpy as np
import pytest

from models.digits.mnist import MnistError, load_mnist, read_images, read_labels, to_float


def idx_bytes(magic: int, shape, data: bytes) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in shape) + data


def write_set(folder, n=5, split="train", gz=True, label_values=None):
    """A tiny MNIST-shaped split in `folder`; returns the arrays written."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.array(label_values if label_values is not None else rng.integers(0, 10, n), np.uint8)
    names = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[split]
    for name, payload in zip(names, (idx_bytes(0x803, images.shape, images.tobytes()),
                                     idx_bytes(0x801, labels.shape, labels.tobytes()))):
        (folder / (name + ".gz")).write_bytes(gzip.compress(payload) if gz else payload)
    return images, labels


def test_reads_what_was_written(tmp_path):
    images, labels = write_set(tmp_path, n=7)
    x, y = load_mnist("train", tmp_path)
    assert x.shape == (7, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert to_float(x).shape == (7, 784) and to_float(x).max() <= 1.0


def test_plain_uncompressed_files_are_read_too(tmp_path):
    images, _ = write_set(tmp_path, n=3, gz=False)
    np.testing.assert_array_equal(read_images(tmp_path / "train-images-idx3-ubyte.gz"), images)


def test_truncated_file_is_a_clear_error(tmp_path):
    write_set(tmp_path, n=4)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(MnistError, match="truncated"):
        read_images(path)


def test_damaged_gzip_is_a_clear_error(tmp_path):
    write_set(tmp_path, n=4)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(MnistError, match="(damaged|truncated) gzip"):
        read_images(path)


def test_foreign_file_is_refused_by_its_magic_number(tmp_path):
    path = tmp_path / "photo.gz"
    path.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(100)))
    with pytest.raises(MnistError, match="magic number"):
        read_images(path)
    write_set(tmp_path, n=2)  # a labels file where images are expected: also the magic number
    with pytest.raises(MnistError, match="magic number"):
        read_images(tmp_path / "train-labels-idx1-ubyte.gz")


def test_labels_outside_0_to_9_are_refused(tmp_path):
    write_set(tmp_path, n=3, label_values=[1, 12, 3])
    with pytest.raises(MnistError, match="label 12"):
        read_labels(tmp_path / "train-labels-idx1-ubyte.gz")


def test_images_of_another_size_are_refused(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x803, (2, 32, 32), bytes(2 * 32 * 32))))
    with pytest.raises(MnistError, match=r"\(32, 32\)"):
        read_images(path)


def test_missing_file_and_count_mismatch(tmp_path):
    with pytest.raises(MnistError, match="no such file"):
        load_mnist("test", tmp_path)
    write_set(tmp_path, n=3)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(0x801, (2,), bytes([1, 2]))))
    with pytest.raises(MnistError, match="3 train images but 2 labels"):
        load_mnist("train", tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation", tmp_path)


def test_data_dir_env_is_used_before_the_shipped_copy(tmp_path, monkeypatch):
    (tmp_path / "mnist").mkdir()
    images, _ = write_set(tmp_path / "mnist", n=6, split="test")
    write_set(tmp_path / "mnist", n=6, split="train")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    x, _ = load_mnist("test")
    np.testing.assert_array_equal(x, images)


def test_the_shipped_copy_is_the_real_mnist(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    x, y = load_mnist("test")
    assert x.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
