import numpy as np
import pytest

from models.core import checkpoint
from models.core.checkpoint import CheckpointError


def test_round_trip_keeps_arrays_config_and_meta(tmp_path):
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = checkpoint.save(tmp_path / "w.npz", "toy", {"W": W}, {"hidden": 3}, {"val_loss": 1.5})
    arrays, config, meta = checkpoint.load(path, "toy", {"W": (2, 3)})
    np.testing.assert_array_equal(arrays["W"], W)
    assert config == {"hidden": 3} and meta == {"val_loss": 1.5}
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]  # no temp file left behind
    assert path.stat().st_mode & 0o044  # readable by others, like any saved file (umask 022)


def test_wrong_kind_and_shapes_are_refused(tmp_path):
    path = checkpoint.save(tmp_path / "w.npz", "toy", {"W": np.zeros((2, 3))})
    with pytest.raises(CheckpointError, match="not a 'names-mlp' model"):
        checkpoint.load(path, "names-mlp")
    with pytest.raises(CheckpointError, match=r"shape \(2, 3\), expected \(3, 3\)"):
        checkpoint.load(path, "toy", {"W": (3, 3)})
    with pytest.raises(CheckpointError, match="missing"):
        checkpoint.load(path, "toy", {"W": (2, 3), "b": (3,)})


@pytest.mark.parametrize("content", [b"", b"hello world", b"PK\x03\x04garbage"])
def test_foreign_files_give_a_message(tmp_path, content):
    path = tmp_path / "foreign.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="foreign.npz"):
        checkpoint.load(path)


def test_plain_numpy_file_is_not_ours(tmp_path):
    np.savez(tmp_path / "plain.npz", W=np.zeros(3))
    with pytest.raises(CheckpointError, match="not one saved by Playground"):
        checkpoint.load(tmp_path / "plain.npz")


def test_failed_save_leaves_the_old_file(tmp_path):
    path = checkpoint.save(tmp_path / "w.npz", "toy", {"W": np.ones(2)})

    class Boom:
        def __array__(self, *a, **k):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        checkpoint.save(path, "toy", {"W": Boom()})
    np.testing.assert_array_equal(checkpoint.load(path, "toy")[0]["W"], np.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]
