"""Saving and loading the character transformer: weights, vocabulary, task and snapshots.

A file holds the model's arrays by dotted name, a few snapshots of earlier weights
("snapshot<i>.<name>", float16: they are for watching attention form, not for computing
losses) and, in the header, the model config, the characters, the task and the snapshot steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core import checkpoint
from models.core.checkpoint import CheckpointError
from models.attention.sort_task import SortTask
from models.attention.model import GPT, GPTConfig

KIND = "char-transformer"
TASKS = ("names", "sort")


@dataclass
class Loaded:
    model: GPT
    itos: tuple[str, ...]  # characters, index 0 the start/end token '.'
    task: str  # "names" or "sort"
    sort: SortTask | None  # the sort task's settings when task == "sort"
    meta: dict = field(default_factory=dict)  # how it was trained, its losses
    snapshots: list = field(default_factory=list)  # [(step, {name: array})], oldest first


def save_model(path, model: GPT, itos, task: str, sort: SortTask | None = None,
               meta: dict | None = None, snapshots=()) -> Path:
    arrays = model.state_dict()
    for i, (_, state) in enumerate(snapshots):
        arrays.update({f"snapshot{i}.{name}": a.astype(np.float16) for name, a in state.items()})
    config = {"model": model.config.to_dict(), "itos": list(itos), "task": task,
              "sort": sort.to_dict() if sort else None,
              "snapshot_steps": [int(step) for step, _ in snapshots]}
    return checkpoint.save(path, KIND, arrays, config, meta)


def load_model(path) -> Loaded:
    """Read a file written by save_model. Raises CheckpointError (a message for the user)."""
    path = Path(path)
    arrays, config, meta = checkpoint.load(path, KIND)
    try:
        model_config = GPTConfig(**config["model"])
        itos = tuple(str(c) for c in config["itos"])
        task = config["task"]
        sort = SortTask(**config["sort"]) if config.get("sort") else None
        steps = [int(s) for s in config.get("snapshot_steps", [])]
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path.name} has a damaged transformer header ({e}).") from e
    if task not in TASKS or len(itos) != model_config.vocab_size or (task == "sort") != (sort is not None):
        raise CheckpointError(f"{path.name} has an inconsistent transformer header.")
    model = GPT(model_config)
    shapes = model.shapes()
    expected = dict(shapes)
    for i in range(len(steps)):
        expected.update({f"snapshot{i}.{name}": shape for name, shape in shapes.items()})
    checkpoint.check_shapes(path.name, arrays, expected)
    model.load_state_dict(arrays)
    snapshots = [(step, {name: arrays[f"snapshot{i}.{name}"].astype(np.float32) for name in shapes})
                 for i, step in enumerate(steps)]
    return Loaded(model, itos, task, sort, meta, snapshots)
