"""The one safe reader (models.core.safe_files): what is not a regular file is refused before it
can block, and every size is capped before memory is set aside for it."""
import gzip
import io
import os
import threading
import time
import zipfile

import numpy as np
import pytest

from models.core import checkpoint
from models.core.data import WordListError, load_words
from models.core.safe_files import (MB, gunzip_limited, open_regular, read_bytes, read_gzip,
                                    read_npz)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


class Refused(ValueError):
    pass


def finishes_quickly(fn, seconds=5.0):
    """Run fn on a thread; fail (instead of hanging the suite) if it blocks."""
    result = {}

    def work():
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - handed to the test
            result["error"] = e

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the reader blocked"
    return result.get("error")


@needs_fifo
@pytest.mark.parametrize("reader", [
    lambda p: read_bytes(p, 1000, Refused),
    lambda p: read_npz(p, Refused),
    lambda p: read_gzip(p, 1000, error=Refused),
])
def test_a_fifo_is_refused_without_blocking(tmp_path, reader):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = finishes_quickly(lambda: reader(fifo))
    assert isinstance(error, Refused) and "not a regular file" in str(error)


@needs_fifo
@pytest.mark.parametrize("load", [load_words, checkpoint.read, checkpoint.load_model])
def test_the_loaders_refuse_a_fifo(tmp_path, load):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    error = finishes_quickly(lambda: load(fifo))
    assert isinstance(error, (WordListError, checkpoint.CheckpointError))
    assert "not a regular file" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused():
    error = finishes_quickly(lambda: read_bytes("/dev/zero", 1000, Refused))
    assert isinstance(error, Refused) and "not a regular file" in str(error)


def test_missing_file_folder_and_size(tmp_path):
    with pytest.raises(Refused, match="no such file"):
        read_bytes(tmp_path / "nope", 10, Refused)
    with pytest.raises(Refused, match="a folder"):
        read_bytes(tmp_path, 10, Refused)
    big = tmp_path / "big"
    with big.open("wb") as f:
        f.truncate(3 * MB)  # sparse: nothing written
    with pytest.raises(Refused, match="3 MB; the limit here is 2 MB"):
        read_bytes(big, 2 * MB, Refused)
    small = tmp_path / "small"
    small.write_bytes(b"abc")
    assert read_bytes(small, 3, Refused) == b"abc"
    with open_regular(small, Refused) as f:
        assert f.read() == b"abc"


def test_a_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * (64 * MB))  # 64 MB of zeros in ~64 kB
    with pytest.raises(Refused, match="unpacks to more than 1 MB"):
        gunzip_limited(bomb, 1 * MB, Refused)
    assert gunzip_limited(gzip.compress(b"hello"), 5, Refused) == b"hello"
    with pytest.raises(Refused, match="truncated"):
        gunzip_limited(gzip.compress(b"hello" * 100)[:-12], MB, Refused)
    with pytest.raises(Refused, match="damaged"):
        gunzip_limited(b"\x1f\x8b" + b"\xff" * 30, MB, Refused)


def test_read_gzip_passes_plain_files_through(tmp_path):
    (tmp_path / "plain").write_bytes(b"IDX")
    (tmp_path / "packed.gz").write_bytes(gzip.compress(b"IDX"))
    assert read_gzip(tmp_path / "plain", 10, error=Refused) == b"IDX"
    assert read_gzip(tmp_path / "packed.gz", 10, error=Refused) == b"IDX"


def npy_header(shape, descr="<f4") -> bytes:
    """The start of an .npy member declaring `shape` (no data follows)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_a_member_declaring_a_huge_shape_is_refused_before_allocation(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W.npy", npy_header((10**6, 10**6)))  # 4 TB declared
    with pytest.raises(Refused, match="declares arrays of more than"):
        read_npz(path, Refused)


def test_a_short_member_and_bad_kinds_are_refused(tmp_path):
    short = tmp_path / "short.npz"
    with zipfile.ZipFile(short, "w") as z:
        z.writestr("W.npy", npy_header((10,)) + b"\0" * 8)
    with pytest.raises(Refused, match="truncated"):
        read_npz(short, Refused)
    objects = tmp_path / "objects.npz"
    with zipfile.ZipFile(objects, "w") as z:
        z.writestr("W.npy", npy_header((1,), "|O"))
    with pytest.raises(Refused):
        read_npz(objects, Refused)
    foreign = tmp_path / "foreign.npz"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(Refused, match="not a NumPy .npz"):
        read_npz(foreign, Refused)


def test_too_many_members(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(path, **{f"a{i}": np.zeros(1) for i in range(20)})
    with pytest.raises(Refused, match="20 arrays; the limit is 10"):
        read_npz(path, Refused, max_members=10)


def test_read_npz_matches_numpy(tmp_path):
    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.asfortranarray(np.eye(3)),
              "c": np.array("text"), "d": np.zeros((0, 5), np.int64), "e": np.array([True, False])}
    path = tmp_path / "ok.npz"
    np.savez_compressed(path, **arrays)
    got = read_npz(path, Refused)
    assert set(got) == set(arrays)
    for k, a in arrays.items():
        assert got[k].dtype == a.dtype and np.array_equal(got[k], a)


def test_shipped_weights_read_the_same_as_numpy():
    from models.core.assets import asset_path

    for path in sorted(asset_path("weights").glob("*.npz")):
        t0 = time.perf_counter()
        got = read_npz(path, Refused)
        assert time.perf_counter() - t0 < 10
        with np.load(path) as z:
            assert set(z.files) == set(got)
            for k in z.files:
                assert np.array_equal(z[k], got[k]) and z[k].dtype == got[k].dtype


def test_saves_take_long_names_and_clean_up_killed_temps(tmp_path):
    from models.bigram.neural import NeuralBigram

    name = "w" * 246 + ".npz"  # 250 characters: the longest many file systems allow is 255
    path = checkpoint.save_model(tmp_path / name, NeuralBigram.tiny())
    assert path.name == name and checkpoint.load_model(path).model.vocab_size == 4
    stale = tmp_path / f".{name[:40]}.abc123.tmp"  # what a killed save leaves
    stale.write_bytes(b"half a file")
    fresh = tmp_path / f".{name[:40]}.def456.tmp"  # a save still running elsewhere
    fresh.write_bytes(b"")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    checkpoint.save_model(tmp_path / name, NeuralBigram.tiny())
    assert not stale.exists() and fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, fresh.name])
