"""What a transformer's weights remember of their training, and how the next run continues it.

    record = Record.from_meta(loaded.meta)          # step, recipe, last rate, loss curves
    plan = continue_plan(record, steps=2000, batch_size=32, eval_every=200, seed=0)
    for report in train(model, data, plan.config, plan.start_step): ...

A model that has learned is continued, not restarted: a fresh schedule would warm up to its peak
rate again and undo the fine end of the last one (the shipped names model went from 1.942 to 1.964
on the tab's quick validation in 2,000 such steps). The continuation runs at the rate the last
schedule had reached, with the same weight decay and weight average, so the loss carries on
where the curve stopped (1.942 -> 1.942 in the same 2,000 steps).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from models.attention.train import AttentionTrainConfig

MAX_POINTS = 1000  # points kept per curve: a plot's width, not a run's length


@dataclass
class Curve:
    """(step, loss) pairs in step order, thinned to at most MAX_POINTS by keeping every other
    point when it grows past that (so a long run costs the same as a short one)."""
    points: list = field(default_factory=list)
    stride: int = 1  # keep a point every `stride` steps (doubles when the curve is thinned)

    def add(self, step: int, loss: float) -> None:
        if not math.isfinite(loss) or (self.points and step <= self.points[-1][0]):
            return
        if self.points and step - self.points[-1][0] < self.stride:
            return
        self.points.append((int(step), float(loss)))
        if len(self.points) > MAX_POINTS:
            self.points = self.points[::2]
            self.stride *= 2

    def upto(self, step: int) -> "Curve":
        return Curve([p for p in self.points if p[0] <= step], self.stride)

    def xy(self) -> tuple[list[int], list[float]]:
        return [s for s, _ in self.points], [v for _, v in self.points]

    @classmethod
    def from_json(cls, value) -> "Curve":
        """A curve from a file's meta; anything that is not a list of (step, number) pairs in
        step order gives an empty curve (a damaged history is dropped, the weights still load)."""
        curve = cls()
        if isinstance(value, list) and len(value) <= 4 * MAX_POINTS:
            for item in value:
                if (not isinstance(item, (list, tuple)) or len(item) != 2
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item)):
                    return cls()
                curve.add(int(item[0]), float(item[1]))
        return curve


@dataclass
class Record:
    """How these weights were made, as far as anyone knows: their step, the recipe of the run
    that made them, the rate its last step used, and their loss curves."""
    step: int = 0  # optimisation steps these weights have taken in all
    recipe: AttentionTrainConfig | None = None  # the config of the last run (None: unknown)
    last_lr: float | None = None  # the learning rate of the last step taken
    train: Curve = field(default_factory=Curve)  # smoothed training loss (report.metrics["loss_ema"])
    val: Curve = field(default_factory=Curve)  # held-out loss where it was measured
    test_loss: float | None = None  # measured once, at the end (the CLI's test split)

    @classmethod
    def from_meta(cls, meta: dict) -> "Record":
        """A weights file's meta (models.attention.saving): files of the first version have no
        "history" and no "lr", and their "train" says min_lr where it now says lr_end."""
        meta = meta if isinstance(meta, dict) else {}
        step = meta.get("step")
        step = int(step) if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0
        recipe = recipe_of(meta.get("train"))
        last_lr = _number(meta.get("lr"))
        if last_lr is None and recipe is not None and step:
            last_lr = recipe.lr_at(min(step, recipe.steps) - 1)
        history = meta.get("history") if isinstance(meta.get("history"), dict) else {}
        return cls(step, recipe, last_lr, Curve.from_json(history.get("train")).upto(step),
                   Curve.from_json(history.get("val")).upto(step), _number(meta.get("test_loss")))

    def to_meta(self) -> dict:
        """What save() adds to a file's meta so the next session continues from here."""
        meta = {"step": self.step, "history": {"train": [list(p) for p in self.train.points],
                                               "val": [list(p) for p in self.val.points]}}
        if self.recipe is not None:
            meta["train"] = self.recipe.to_dict()
        if self.last_lr is not None:
            meta["lr"] = self.last_lr
        if self.test_loss is not None:
            meta["test_loss"] = self.test_loss
        return meta


def recipe_of(values) -> AttentionTrainConfig | None:
    """The AttentionTrainConfig a file's meta["train"] describes, or None if it describes none."""
    if not isinstance(values, dict):
        return None
    values = dict(values)
    lr, min_lr = _number(values.get("lr")), _number(values.pop("min_lr", None))
    if lr and min_lr is not None and "lr_end" not in values:
        values["lr_end"] = min_lr / lr  # the first version's cosine ended at min_lr
    if isinstance(values.get("keep_at"), list):
        values["keep_at"] = tuple(values["keep_at"])
    if isinstance(values.get("decay_at"), list):
        values["decay_at"] = tuple(values["decay_at"])
    try:
        config = AttentionTrainConfig.from_dict(values)
        config.validate()
    except (TypeError, ValueError):
        return None
    return config


@dataclass
class Plan:
    """A training run: its config, the step it starts from, and what it does in a sentence."""
    config: AttentionTrainConfig
    start_step: int  # train(..., start_step): the model's own step count when continuing
    offset: int  # add to a report's step for the model's step (a restarted schedule counts from 0)
    text: str


def continue_plan(record: Record, steps: int, batch_size: int, eval_every: int, seed: int,
                  lr: float = 1e-3, restart: bool = False, keep_at=(), workers: int = 2) -> Plan:
    """The next run of a model with this record. Untrained weights (or `restart`) get a new
    schedule: warm-up to `lr`, cosine down to a tenth of it over `steps`. Trained ones continue
    for `steps` more steps at the rate their last step used (their schedule's end, if it ran to
    its end), with their recipe's weight decay and weight average, from their own step count."""
    common = dict(batch_size=batch_size, eval_every=eval_every, workers=workers)
    if restart or record.step == 0 or record.last_lr is None:
        config = AttentionTrainConfig(steps=steps, lr=lr, warmup=min(100, steps // 10 + 1),
                                      seed=seed + record.step, keep_at=tuple(keep_at), **common)
        text = (f"a new schedule: warm-up to lr {lr:.1e}, cosine down to {lr * config.lr_end:.1e} "
                f"over {steps:,} steps")
        return Plan(config, 0, record.step, text)
    recipe = record.recipe or AttentionTrainConfig()
    start = record.step
    config = AttentionTrainConfig(steps=start + steps, lr=record.last_lr, schedule="constant", warmup=0,
                                  weight_decay=recipe.weight_decay, beta2=recipe.beta2, ema=recipe.ema,
                                  seed=seed, keep_at=tuple(start + s for s in keep_at), **common)
    text = (f"continues from step {start:,} at lr {record.last_lr:.1e}, where its last run left off"
            + (f" (weights averaged, decay {recipe.ema:g})" if recipe.ema else ""))
    return Plan(config, start, 0, text)


def _number(value) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# -- the shipped files: curves measured afterwards on the checkpoints they keep -----------------
def measured_history(loaded, words=None) -> dict:
    """A "history" for a weights file written before runs recorded one: the held-out loss of
    each checkpoint it keeps (float16 snapshots; the weights themselves at their step), measured
    as the run measured it (models.attention.train.evaluate_loss; names: the whole val split of
    `words`; sort: the CLI's 2,000 held-out sequences, seed 99). No training curve: the run's
    was the loss of dropout-noisy minibatches, which cannot be measured afterwards."""
    import numpy as np

    from models.attention.data import names_data
    from models.attention.saving import snapshots
    from models.attention.train import evaluate_loss

    model = loaded.model
    if model.task == "names":
        val_xy = names_data(words, model.itos, model.block_size).val
    else:
        sort = model.sort
        val_xy = sort.examples(sort.random_sequences(np.random.default_rng(99), 2000, heldout=True))
    final = (int(loaded.meta.get("step", 0)), model.state_dict())
    val = []
    for step, state in [*snapshots(loaded), final]:
        model.load_state_dict(state)
        val.append([step, evaluate_loss(model, *val_xy)])
    model.load_state_dict(final[1])
    return {"train": [], "val": val}


def add_measured_history(path, words=None) -> dict:
    """Rewrite a weights file with measured_history() in its meta (weights and snapshots
    unchanged, array for array). `python -m models.attention.history FILE [WORDS]`."""
    from models.attention.saving import load
    from models.core.checkpoint import save_model

    loaded = load(path)
    history = measured_history(loaded, words)
    meta = dict(loaded.meta, history=history,
                history_note="losses measured afterwards on the checkpoints this file keeps")
    save_model(path, loaded.model, meta, loaded.extra)
    return history


if __name__ == "__main__":
    import sys

    from models.core.data import default_names_path, load_words

    target = sys.argv[1]
    names = load_words(sys.argv[2] if len(sys.argv) > 2 else default_names_path())
    for key, points in add_measured_history(target, names).items():
        print(key, " ".join(f"{s}:{v:.4f}" for s, v in points))
