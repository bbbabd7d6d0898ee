"""Weights on disk: one .npz per model, written atomically, checked on load.

A checkpoint holds named arrays plus a JSON header {"format", "kind", "config", "meta"}.
`kind` says which model wrote it ("names-mlp", "mnist-mlp", ...), so a file of another model
or a foreign .npz is refused with a message a user can act on.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "playground-checkpoint-1"
_HEADER = "__header__"


class CheckpointError(ValueError):
    """A file that is not a checkpoint of the expected model; the message is for the user."""


def save(path, kind: str, arrays: dict[str, np.ndarray], config: dict | None = None,
         meta: dict | None = None) -> Path:
    """Write arrays and header to `path` atomically: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"format": FORMAT, "kind": kind, "config": config or {}, "meta": meta or {}})
    payload = {name: np.asarray(a) for name, a in arrays.items()}
    payload[_HEADER] = np.array(header)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved file gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path, kind: str | None = None, shapes: dict[str, tuple] | None = None):
    """Read a checkpoint -> (arrays, config, meta). Raises CheckpointError for anything not ours,
    of another `kind`, or (when `shapes` is given) with arrays of other names or shapes."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path.name}: no such file.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise CheckpointError(f"{path.name} is not a Playground weights file ({e.__class__.__name__}).") from e
    if _HEADER not in arrays:
        raise CheckpointError(f"{path.name} is a NumPy file but not one saved by Playground.")
    try:
        header = json.loads(str(arrays.pop(_HEADER)))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path.name} has a damaged header.") from e
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} has an unknown format {header.get('format')!r}.")
    if kind is not None and header.get("kind") != kind:
        raise CheckpointError(f"{path.name} holds a {header.get('kind')!r} model, not a {kind!r} model.")
    if shapes is not None:
        check_shapes(path.name, arrays, shapes)
    return arrays, header.get("config", {}), header.get("meta", {})


def check_shapes(name: str, arrays: dict[str, np.ndarray], shapes: dict[str, tuple]) -> None:
    """Raise CheckpointError unless `arrays` has exactly the names and shapes in `shapes`."""
    missing = sorted(set(shapes) - set(arrays))
    extra = sorted(set(arrays) - set(shapes))
    if missing or extra:
        raise CheckpointError(f"{name} does not fit this model: missing {missing or 'nothing'}, "
                              f"unexpected {extra or 'nothing'}.")
    for key, shape in shapes.items():
        if tuple(arrays[key].shape) != tuple(shape):
            raise CheckpointError(f"{name} does not fit this model: {key} has shape "
                                  f"{tuple(arrays[key].shape)}, expected {tuple(shape)}.")
