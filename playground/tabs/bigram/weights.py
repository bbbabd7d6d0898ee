"""The Bigram tab's Weights box: the learned W saved, loaded, reset, or the lecture's trained W.

Files go through models.core.checkpoint (`playground train bigram --save` writes the same kind),
read and written in the tab's jobs; a W is applied only when it fits the open list's alphabet,
and whether the W on screen is saved is what the tab asks about before a new list replaces it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Slot

from models.bigram.neural import NeuralBigram
from models.core import checkpoint
from models.core.assets import asset_path
from playground.widgets.weights_box import WeightsBox

FILTER = "Bigram weights (*.npz);;All files (*)"
SHIPPED = ("lessons", "neural_bigram.npz")  # the lecture's recipe on names.txt's train split


def read_weights(path, pairs) -> tuple[checkpoint.Loaded, float | None]:
    """The job behind Load…: a NeuralBigram checkpoint (CheckpointError says what is wrong), and
    its loss on `pairs` (xs, ys) of the open list when it fits that list's alphabet."""
    loaded = checkpoint.load_model(path, NeuralBigram)
    xs, ys = pairs
    if xs.size == 0 or max(int(xs.max()), int(ys.max())) >= loaded.model.vocab_size:
        return loaded, None
    _, loss = loaded.model.forward(xs, ys)
    return loaded, loss


def write_weights(path, model: NeuralBigram, meta: dict, history) -> str:
    """The job behind Save…: `model` and `history` (steps, losses) are copies, so the GUI's may
    change meanwhile. The loss curve rides along, so a loaded W shows how it was learned."""
    steps, losses = history
    extra = {"loss_steps": np.asarray(steps, np.int64), "loss": np.asarray(losses, np.float64)}
    return str(checkpoint.save_model(path, model, meta, extra))


class NeuralWeights(QObject):
    """Connects the WeightsBox to the Learn W page (`neural`) through the tab's jobs."""

    def __init__(self, tab, neural):
        super().__init__(tab)
        self.tab, self.neural = tab, neural
        self._saving = 0  # the page's w_version that the running save job writes
        self._reading = None  # the list open when the running load job started
        self.box = WeightsBox("the learned W", FILTER, "bigram.npz", tab="bigram",
                              new_tip="Random W again, from the Learn W page's seed (as Reset W)",
                              shipped_tip="The lecture's W: 300 steps at lr 50 on names.txt's train split")
        self.box.new_requested.connect(self._on_box_new_requested)
        self.box.shipped_requested.connect(self._on_box_shipped_requested)
        self.box.load_requested.connect(self._on_box_load_requested)
        self.box.save_requested.connect(self._on_box_save_requested)
        neural.runner.state_changed.connect(self._on_runner_state_changed)

    def load(self, path) -> None:
        data = self.neural.data
        if data is None:
            self.tab.show_error("Open a word list before loading its W.")
            return
        self.tab.status_message.emit(f"Loading {Path(path).name}…")
        self._reading = data  # the list whose pairs the job scores the W on
        self.tab.jobs.submit("weights", read_weights, str(path), (data.xs, data.ys), done=self._on_weights_read)

    def save(self, path) -> None:
        run, data = self.neural.run, self.neural.data
        if run is None or data is None:
            self.tab.show_error("There is no W to save yet: open a word list first.")
            return
        meta = {"steps": int(run.steps), "names": data.source, "train": self.neural.config().to_dict(),
                "made_by": "the Bigram tab"}
        copy = NeuralBigram.from_config(run.model.get_config())
        copy.load_state_dict({"W": run.model.W.copy()})
        self._saving = self.neural.w_version  # the W being written (a newer save supersedes it)
        history = tuple(a.copy() for a in self.neural.history())
        self.tab.jobs.submit("save", write_weights, str(path), copy, meta, history,
                             done=self._on_weights_written)

    @Slot()
    def _on_box_new_requested(self) -> None:
        self.neural.reset()
        self.box.set_status("Random W (seed on the Learn W page).")

    def load_shipped(self) -> None:
        self.load(asset_path(*SHIPPED))

    @Slot()
    def _on_box_shipped_requested(self) -> None:
        self.load_shipped()

    @Slot(str)
    def _on_box_load_requested(self, path: str) -> None:
        self.load(path)

    @Slot(str)
    def _on_box_save_requested(self, path: str) -> None:
        self.save(path)

    @Slot(object)
    def _on_weights_read(self, result) -> None:
        loaded, loss = result
        model, data = loaded.model, self.neural.data
        steps = loaded.meta.get("steps", 0)
        steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0 else 0
        if data is not self._reading:
            self.tab.show_error("The word list changed while the W loaded; load it again.")
        elif model.itos and model.itos != "".join(data.itos):
            self.tab.show_error(f"This W is for another alphabet ({model.vocab_size} characters: "
                                f"{model.itos[:30]!r}); {data.source} has {len(data.itos)}. Nothing changed.")
        elif not self.neural.restore(model.state_dict(), steps, _history(loaded.extra), loss):
            self.tab.show_error(f"This W is {model.vocab_size}x{model.vocab_size}; {data.source} needs "
                                f"{len(data.itos)}x{len(data.itos)} (or a run is going). Nothing changed.")
        else:
            self.box.set_status(f"Loaded W: {steps:,} steps.")
            self.tab.status_message.emit(f"Loaded a learned W ({steps:,} steps).")

    @Slot(object)
    def _on_weights_written(self, path: str) -> None:
        self.neural.mark_saved(self._saving)
        self.box.set_status(f"Saved to {Path(path).name}.")
        self.tab.status_message.emit(f"Saved W to {path}")

    @Slot(str)
    def _on_runner_state_changed(self, state: str) -> None:
        self.box.set_idle(state == "idle")


def _history(extra: dict):
    """The saved loss curve, if the file has a sound one (files from the CLI have none)."""
    steps, losses = extra.get("loss_steps"), extra.get("loss")
    if steps is None or losses is None or np.ndim(steps) != 1 or np.shape(steps) != np.shape(losses):
        return None
    if not (np.all(np.isfinite(losses)) and np.all(np.diff(steps) > 0)):
        return None
    return np.asarray(steps, float), np.asarray(losses, float)
