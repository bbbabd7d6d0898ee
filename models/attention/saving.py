"""The transformer's weights files: models.core.checkpoint's one save/load, plus snapshots.

A file holds the model (its config carries the characters and the task: GPT.get_config) and, as
extra arrays, a few snapshots of earlier weights ("snapshot<i>.<name>", float16: they are for
watching attention form, not for computing losses) with their steps ("snapshot_steps").
Files written before the one save/load are read too (GPT.upgrade_header).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.attention.model import GPT
from models.core import checkpoint


def save(path, model: GPT, meta: dict | None = None, snapshots=()) -> Path:
    """Write `model`, `meta` (how it was made) and `snapshots` [(step, state_dict)] atomically."""
    extra = {"snapshot_steps": np.array([int(step) for step, _ in snapshots], dtype=np.int64)}
    for i, (_, state) in enumerate(snapshots):
        extra.update({f"snapshot{i}.{name}": a.astype(np.float16) for name, a in state.items()})
    return checkpoint.save_model(path, model, meta, extra)


def load(path) -> checkpoint.Loaded:
    """A transformer weights file -> Loaded(model, meta, extra); CheckpointError (a message for
    the user) for anything else. snapshots(loaded) reads the snapshots."""
    return checkpoint.load_model(path, GPT)


def snapshots(loaded: checkpoint.Loaded) -> list[tuple[int, dict]]:
    """[(step, state_dict)] of the weights kept during training, oldest first."""
    shapes = loaded.model.shapes()
    out = []
    for i, step in enumerate(loaded.extra.get("snapshot_steps", [])):
        state = {name: loaded.extra.get(f"snapshot{i}.{name}") for name in shapes}
        if any(a is None or a.shape != shapes[name] for name, a in state.items()):
            raise checkpoint.CheckpointError(f"Snapshot {i + 1} of these weights does not fit the model.")
        out.append((int(step), {name: a.astype(np.float32) for name, a in state.items()}))
    return out
