"""Weights on disk: one .npz per model, written atomically, checked on load.

A checkpoint holds named arrays plus a JSON header {"format", "kind", "config", "meta"}.
`kind` says which model wrote it ("names-mlp", "mnist-mlp", ...), so a file of another model
or a foreign .npz is refused with a message a user can act on.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.safe_files import read_npz

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
    # a short hidden temp name: a 250-character file name must not fail for the temp's suffix
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
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
    _remove_stale_temps(path)
    return path


STALE_TEMP_S = 600  # a temp file this old was left by a save that was killed


def _temp_prefix(path: Path) -> str:
    return f".{path.name[:40]}."


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files an earlier, killed save of this same file left behind."""
    import glob
    import time

    pattern = str(path.parent / (glob.escape(_temp_prefix(path)) + "*.tmp"))
    for leftover in glob.glob(pattern):
        try:
            if time.time() - os.path.getmtime(leftover) > STALE_TEMP_S:
                os.unlink(leftover)
        except OSError:
            pass


def load(path, kind: str | None = None, shapes: dict[str, tuple] | None = None):
    """Read a checkpoint -> (arrays, config, meta). Raises CheckpointError for anything not ours,
    of another `kind`, or (when `shapes` is given) with arrays of other names or shapes."""
    arrays, header = read(path)
    if kind is not None and header.get("kind") != kind:
        raise CheckpointError(f"{Path(path).name} holds a {header.get('kind')!r} model, not a {kind!r} model.")
    if shapes is not None:
        check_shapes(Path(path).name, arrays, shapes)
    return arrays, header.get("config", {}), header.get("meta", {})


def read(path) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, header) of a Playground checkpoint, whatever its kind."""
    path = Path(path)
    arrays = read_npz(path, CheckpointError)  # a regular file, every size capped before reading
    if _HEADER not in arrays:
        raise CheckpointError(f"{path.name} is a NumPy file but not one saved by Playground.")
    text = arrays.pop(_HEADER)
    if text.dtype.kind != "U" or text.shape != ():
        raise CheckpointError(f"{path.name} has a damaged header.")
    try:
        header = json.loads(str(text))
    except (json.JSONDecodeError, RecursionError) as e:
        raise CheckpointError(f"{path.name} has a damaged header.") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} has an unknown format.")
    if not isinstance(header.get("kind"), (str, type(None))):
        raise CheckpointError(f"{path.name} has a damaged header (its kind is not a name).")
    for key in ("config", "meta"):
        if not isinstance(header.get(key, {}), dict):
            raise CheckpointError(f"{path.name} has a damaged header ({key} is not a table).")
    return arrays, header


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


# -- models: one save and one load for every model --------------------------------------------
# A model class registered here has `kind` (a class attribute naming its files), `state_dict()`
# / `load_state_dict(arrays)`, `get_config()` (a JSON-able dict that rebuilds an empty model
# through `from_config(config)`), and `tiny()`, a small instance for tests. Optional:
# `old_kinds` (kinds its files had before) and `upgrade_header(header, arrays) -> config` (turns
# the header of a file in an older layout into today's config).
MODELS: dict[str, type] = {}


def register(cls):
    """Class decorator: make `cls` loadable by load_model(path) from its `kind`."""
    MODELS[cls.kind] = cls
    return cls


@dataclass
class Loaded:
    """What load_model returns for every model."""
    model: object  # the model, ready to use
    meta: dict = field(default_factory=dict)  # how it was made: steps, losses, data file, ...
    extra: dict = field(default_factory=dict)  # named arrays saved beside the weights (snapshots)


def save_model(path, model, meta: dict | None = None, extra: dict | None = None) -> Path:
    """Write a model (weights, the config that rebuilds it, `meta`, `extra` arrays) atomically."""
    arrays = dict(model.state_dict())
    arrays.update({f"{EXTRA}{name}": a for name, a in (extra or {}).items()})
    return save(path, model.kind, arrays, model.get_config(), meta)


def load_model(path, cls=None) -> Loaded:
    """Read a file written by save_model: a model of class `cls` (or of whichever registered
    kind the file says). Raises CheckpointError with a message for the user."""
    path = Path(path)
    arrays, header = read(path)
    kind = header.get("kind")
    if cls is None:
        cls = MODELS.get(kind)
        if cls is None:
            raise CheckpointError(f"{path.name} holds a {kind!r} model, which this app does not know.")
    elif kind not in (cls.kind, *getattr(cls, "old_kinds", ())):
        raise CheckpointError(f"{path.name} holds a {kind!r} model, not a {cls.kind!r} model.")
    # a class whose files once had another header layout translates it (see its upgrade_header)
    upgrade = getattr(cls, "upgrade_header", None)
    try:
        config = upgrade(header, arrays) if upgrade is not None else header.get("config", {})
        check_types(config, cls.tiny().get_config() if hasattr(cls, "tiny") else {})
        model = cls.from_config(config)
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError, AssertionError,
            MemoryError) as e:  # the header describes no model this class can build
        raise CheckpointError(f"{path.name} has a damaged {cls.kind} header ({e or type(e).__name__}).") from e
    extra = {k[len(EXTRA):]: arrays.pop(k) for k in list(arrays) if k.startswith(EXTRA)}
    state = model.state_dict()
    check_shapes(path.name, arrays, {k: a.shape for k, a in state.items()})
    for key, a in arrays.items():
        if a.dtype.kind not in "biuf" and np.asarray(state[key]).dtype.kind in "biuf":
            raise CheckpointError(f"{path.name} does not fit this model: {key} holds {a.dtype} values, not numbers.")
    check_finite(path.name, arrays)
    try:
        model.load_state_dict(arrays)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path.name} does not fit this model ({e}).") from e
    return Loaded(model, header.get("meta", {}), extra)


def check_types(config: dict, reference: dict, where: str = "") -> None:
    """Raise TypeError naming the first field of `config` whose JSON type differs from the same
    field of `reference` (a config the model itself wrote). Numbers stand for numbers (1 for
    1.0), a bool only for a bool; fields the reference lacks, or has as None, are not checked."""
    if not isinstance(config, dict):
        raise TypeError(f"{where or 'the config'} is a {_json_type(config)}, not a table")
    for key, ref in reference.items():
        if key not in config or ref is None:
            continue
        value, name = config[key], f"{where}{key}"
        if _json_type(value) != _json_type(ref):
            raise TypeError(f"{name} is a {_json_type(value)}, not a {_json_type(ref)}")
        if isinstance(ref, dict):
            check_types(value, ref, f"{name}.")


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "table"
    return "nothing" if value is None else type(value).__name__


def check_finite(name: str, arrays: dict[str, np.ndarray]) -> None:
    """Refuse weights holding NaN or infinity: a model that would compute nothing but NaN."""
    for key, a in arrays.items():
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise CheckpointError(f"{name} holds weights that are not finite numbers (NaN or "
                                  f"infinity in {key}).")


EXTRA = "extra."
