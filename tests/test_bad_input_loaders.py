"""Every loader fed mutated real files (issue 20): truncated, bit-flipped, header-tampered,
oversized declared shapes, non-finite weights. Each must end in a clean error of its own kind
or a valid load: no other exception, memory under a cap, the caller's state untouched.
25 examples a test by default; PLAYGROUND_SLOW_TESTS=1 runs 1,000 (=N runs N).

Real files: a trained neural bigram saved by save_model, the shipped names_mlp.npz, the tiny()
model of every registered kind, the shipped names.txt and a gzip of MNIST's first bytes."""
from __future__ import annotations

import functools
import gzip
import importlib
import io
import json
import os
import pkgutil
import signal
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from models.core import checkpoint
from models.core.assets import asset_path
from models.core.data import WordListError, load_words
from models.core.safe_files import MB, read_gzip

MEMORY_CAP = 96 * MB  # peak Python + NumPy allocation while loading one mutated file
SLOW = os.environ.get("PLAYGROUND_SLOW_TESTS", "")  # the long run: 1,000 examples a test (or N)
EXAMPLES = (int(SLOW) if SLOW.isdigit() and int(SLOW) > 1 else 1000) if SLOW else 25
FAST = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
WORK = Path(tempfile.mkdtemp(prefix="playground-bad-input-"))


class Refused(ValueError):
    pass


def registered_models() -> dict[str, type]:
    """Import every model module (skipping one that does not import) so each registers."""
    for info in pkgutil.walk_packages(models.__path__, "models."):
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a module mid-rewrite is not this test's subject
            pass
    return dict(checkpoint.MODELS)


@functools.lru_cache(maxsize=None)
def real_checkpoints() -> tuple[tuple[str, bytes], ...]:
    """(name, file bytes) of real weights files."""
    from models.bigram.counts import BigramCounts, bigram_pairs
    from models.bigram.neural import NeuralBigram
    from models.bigram.train import NeuralBigramConfig, train

    words = load_words(asset_path("names", "names.txt"))[:2000]
    counts = BigramCounts.fit(words)
    net = NeuralBigram(counts.vocab.size, itos="".join(counts.vocab.itos))
    for _ in train(net, bigram_pairs(words, counts.vocab), NeuralBigramConfig(steps=5)):
        pass
    files = [("bigram", checkpoint.save_model(WORK / "bigram.npz", net, {"steps": 5}).read_bytes()),
             ("names_mlp", asset_path("weights", "names_mlp.npz").read_bytes())]
    for kind, cls in sorted(registered_models().items()):
        path = checkpoint.save_model(WORK / f"tiny-{kind}.npz", cls.tiny(), {"made": "tiny"})
        files.append((f"tiny-{kind}", path.read_bytes()))
    return tuple(files)


def write(data: bytes, name: str = "mutated.npz") -> Path:
    path = WORK / name
    path.write_bytes(data)
    return path


def measured(fn):
    """fn() with tracemalloc watching; fails if the peak passes MEMORY_CAP."""
    tracemalloc.start()
    try:
        return fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < MEMORY_CAP, f"loading took {peak / MB:.0f} MB"


def load_every_way(path: Path) -> None:
    """checkpoint.read and load_model (by the file's kind and by each registered class) end in
    CheckpointError or a sound result."""
    try:
        arrays, header = measured(lambda: checkpoint.read(path))
        assert isinstance(header, dict) and all(isinstance(a, np.ndarray) for a in arrays.values())
    except checkpoint.CheckpointError as e:
        assert str(e) and "\n" not in str(e)
    for cls in [None, *registered_models().values()]:  # memory measured for the file's own kind
        try:
            loaded = measured(lambda: checkpoint.load_model(path, cls)) if cls is None else \
                checkpoint.load_model(path, cls)
        except checkpoint.CheckpointError as e:
            assert str(e) and "\n" not in str(e)
            continue
        state = loaded.model.state_dict()
        assert all(np.isfinite(np.asarray(a, dtype=float)).all() for a in state.values())


# -- mutations of the raw bytes ------------------------------------------------------------------
FILES = st.sampled_from(range(16)).map(lambda i: real_checkpoints()[i % len(real_checkpoints())])


@FAST
@given(FILES, st.floats(0, 1, exclude_max=True))
def test_truncated_weights(file, fraction):
    _, data = file
    load_every_way(write(data[:int(len(data) * fraction)]))


@FAST
@given(FILES, st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=8))
def test_bit_flipped_weights(file, flips):
    _, data = file
    raw = bytearray(data)
    for where, bit in flips:
        raw[int(where * len(raw))] ^= 1 << bit
    load_every_way(write(bytes(raw)))


# -- mutations of the content --------------------------------------------------------------------
def members(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def resave(arrays: dict[str, np.ndarray]) -> Path:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return write(buf.getvalue())


# Wrong types and ranges; absurd sizes (10**12 layers) have their own bounded test below, as a
# model without a size limit would build them until memory runs out.
HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, True, False, -1, 0, 1, 2.5, -(2**63), float("nan"), float("inf"),
                     float("-inf"), "", "12", ".abc", [], [1, 2], {}, {"a": 1}]),
    st.text(max_size=20), st.integers(-10, 10))


def tamper(value, path: list, new):
    """A copy of JSON `value` with the item at `path` replaced (or the whole when path is [])."""
    if not path:
        return new
    value = json.loads(json.dumps(value))
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


def json_paths(value, prefix=()):
    yield list(prefix)
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:4]):
            yield from json_paths(v, (*prefix, i))


@FAST
@given(FILES, st.data())
def test_header_tampered_weights(file, data):
    _, raw = file
    arrays = members(raw)
    header = json.loads(str(arrays["__header__"]))
    path = data.draw(st.sampled_from(list(json_paths(header))))
    new = data.draw(HOSTILE_VALUES)
    arrays["__header__"] = np.array(json.dumps(tamper(header, path, new)))
    load_every_way(resave(arrays))


def test_a_header_that_is_a_list_or_has_wrong_field_types():
    _, raw = real_checkpoints()[0]
    arrays = members(raw)
    header = json.loads(str(arrays["__header__"]))
    for bad in ([header], {**header, "config": [1]}, {**header, "meta": "x"}, {**header, "kind": 3},
                {**header, "config": {**header["config"], "vocab_size": "27"}},
                {**header, "config": {**header["config"], "itos": 5}}):
        arrays["__header__"] = np.array(json.dumps(bad))
        with pytest.raises(checkpoint.CheckpointError):
            checkpoint.load_model(resave(arrays))


def size_fields() -> list[tuple[str, tuple]]:
    """(kind, path) of every whole-number field of every registered model's config but seeds."""
    def walk(value, path=()):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, (*path, k))
        elif isinstance(value, int) and not isinstance(value, bool) and "seed" not in path[-1]:
            yield path
    return [(kind, path) for kind, cls in sorted(registered_models().items())
            for path in walk(cls.tiny().get_config())]


# Models whose from_config still builds whatever size it is told (issue 20: "sizes bounded before
# allocating" is their owners' part); expected to fail until they check, then they XPASS.
@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM to stop a runaway build")
@pytest.mark.parametrize("kind, path", size_fields(), ids=lambda v: ".".join(v) if isinstance(v, tuple) else v)
def test_absurd_sizes_in_a_header_are_refused_quickly(kind, path):
    cls = registered_models()[kind]
    saved = checkpoint.save_model(WORK / f"absurd-{kind}.npz", cls.tiny())
    arrays = members(saved.read_bytes())
    header = json.loads(str(arrays["__header__"]))
    header["config"] = tamper(header["config"], list(path), 10**12)
    arrays["__header__"] = np.array(json.dumps(header))
    file = resave(arrays)

    def runaway(signum, frame):
        raise TimeoutError("still building after 3 s")

    old = signal.signal(signal.SIGALRM, runaway)
    signal.alarm(3)
    try:
        with pytest.raises(checkpoint.CheckpointError):
            checkpoint.load_model(file, cls)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def npy_with_shape(array: np.ndarray, shape: tuple) -> bytes:
    """array's bytes under a header that declares `shape` instead."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(array.dtype),
                                               "fortran_order": False, "shape": shape})
    return buf.getvalue() + array.tobytes()


@FAST
@given(FILES, st.data(), st.lists(st.sampled_from([0, 1, 7, 10**4, 10**6, 10**9, 2**40]), min_size=1, max_size=4))
def test_oversized_declared_shapes(file, data, shape):
    _, raw = file
    arrays = members(raw)
    key = data.draw(st.sampled_from(sorted(arrays)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, a in arrays.items():
            z.writestr(f"{k}.npy", npy_with_shape(a, tuple(shape)) if k == key else
                       npy_with_shape(a, a.shape))
    load_every_way(write(buf.getvalue()))


@FAST
@given(FILES, st.data(), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_non_finite_weights_are_refused(file, data, bad):
    name, raw = file
    arrays = members(raw)
    floats = sorted(k for k, a in arrays.items() if a.dtype.kind == "f" and a.size and not k.startswith("extra."))
    if not floats:
        return
    key = data.draw(st.sampled_from(floats))
    arrays[key] = arrays[key].copy()
    arrays[key].flat[data.draw(st.integers(0, arrays[key].size - 1))] = bad
    path = resave(arrays)
    load_every_way(path)
    kind = json.loads(str(arrays["__header__"]))["kind"]
    if kind in registered_models():
        with pytest.raises(checkpoint.CheckpointError, match="not finite"):
            checkpoint.load_model(path)


# -- word lists and gzip -------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def names_head() -> bytes:
    return asset_path("names", "names.txt").read_bytes()[:20_000]


@FAST
@given(st.one_of(
    st.floats(0, 1).map(lambda f: names_head()[:int(len(names_head()) * f)]),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=20).map(
        lambda flips: _flip(names_head(), flips)),
    st.binary(max_size=400)))
def test_mutated_word_lists(raw):
    path = write(raw, "words.txt")
    try:
        words = measured(lambda: load_words(path))
    except WordListError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert words and all(isinstance(w, str) and w and "\n" not in w for w in words)


def _flip(data: bytes, flips) -> bytes:
    raw = bytearray(data)
    for where, bit in flips:
        raw[int(where * len(raw))] ^= 1 << bit
    return bytes(raw)


@functools.lru_cache(maxsize=None)
def mnist_gz() -> bytes:
    with gzip.open(asset_path("mnist", "t10k-labels-idx1-ubyte.gz")) as f:
        return gzip.compress(f.read(4000))


@FAST
@given(st.one_of(st.floats(0, 1).map(lambda f: mnist_gz()[:int(len(mnist_gz()) * f)]),
                 st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1,
                          max_size=6).map(lambda flips: _flip(mnist_gz(), flips))))
def test_mutated_gzip(raw):
    path = write(raw, "data.gz")
    try:
        out = measured(lambda: read_gzip(path, 1 * MB, error=Refused))
    except Refused as e:
        assert str(e)
    else:
        assert len(out) <= 1 * MB


def test_a_failed_load_leaves_the_callers_model_alone():
    from models.bigram.neural import NeuralBigram

    _, raw = real_checkpoints()[0]
    good = checkpoint.load_model(write(raw, "good.npz"), NeuralBigram).model
    before = good.W.copy()
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.load_model(write(raw[: len(raw) // 2], "half.npz"), NeuralBigram)
    assert np.array_equal(good.W, before)
