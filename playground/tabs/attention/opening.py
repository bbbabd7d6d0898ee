"""Opening things in the Attention tab: the default word list and task, another task, a word list,
a weights file, the shipped weights; and saving. The reading runs as the tab's jobs (off the GUI
thread, with the functions of models.attention.lab); the results are shown here."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject

from models.attention.lab import Opened, open_task, open_weights
from models.attention.saving import save
from models.core.assets import asset_path
from models.core.data import load_words
from playground import settings

DEFAULT_TEXT = {"names": "emm", "sort": "hcfadb"}


def shipped_weights(task: str) -> Path:
    return asset_path("weights", f"attention_{task}.npz")


def read_words(path) -> tuple[list[str], str]:
    """A word list and the name it is shown by."""
    return load_words(path), Path(path).name


def open_word_list(path) -> tuple[Opened, list[str], str]:
    words, source = read_words(path)
    return open_task("names", words), words, source


def open_default(task: str, names_path) -> tuple[Opened, list[str], str, str]:
    """The default word list and `task` with its shipped weights. A list that cannot be read is
    said (as the last item), and the sort task opens instead of names."""
    try:
        words, source = read_words(names_path)
        error = ""
    except ValueError as e:
        words, source, error = [], "", f"The default names list could not be loaded: {e}"
    if task == "names" and not words:
        task = "sort"
    return open_task(task, words, shipped_weights(task)), words, source, error


def describe(what: str, meta: dict) -> str:
    """e.g. "shipped weights after 58,500 steps (val loss 1.919, test 1.938)", from a file's meta."""
    score = f"val loss {meta['val_loss']:.3f}" if "val_loss" in meta else ""
    if meta.get("test_loss"):
        score += f", test {meta['test_loss']:.3f}"
    if meta.get("exact_match") is not None:
        score += f", exact match {100 * meta['exact_match']:.1f}%"
    steps = f" after {meta['step']:,} steps" if "step" in meta else ""
    return f"{what}{steps} ({score})" if score else f"{what}{steps}"


class Opening(QObject):
    """The tab's task, word list and weights: what to read (as jobs), and what to show after."""

    def __init__(self, tab):
        super().__init__(tab)
        self.tab = tab

    def open_default(self, task: str, names_path) -> None:
        self.tab.jobs.submit("task", open_default, task, names_path, done=self._on_default_opened)

    def open_task(self, task: str) -> None:
        """Make `task` current: its data and its shipped weights (or fresh ones)."""
        self.tab.jobs.submit("task", open_task, task, self.tab.words, shipped_weights(task),
                             done=self._on_task_opened)

    def open_word_list(self, path) -> None:
        self.tab.status_message.emit(f"Loading {path}…")
        self.tab.jobs.submit("task", open_word_list, path, done=self._on_word_list_opened)

    def open_weights(self, path) -> None:
        """A weights file; one of the other task switches the task."""
        self.tab.jobs.submit("task", open_weights, path, self.tab.words, self.tab.lab,
                             done=partial(self._on_task_opened, what=Path(path).name))

    def open_shipped(self) -> None:
        if not shipped_weights(self.tab.lab.task).is_file():
            self.tab.show_error("No shipped weights for this task.")
        else:
            self.open_task(self.tab.lab.task)

    def save(self, path) -> None:
        tab = self.tab
        snaps = [(int(label.split()[1]), state) for label, state in tab.checkpoints[:-1]
                 if label.startswith("step ")]
        if len(snaps) > 6:  # a few, spread over the run (the early ones are where patterns form)
            snaps = [snaps[i] for i in sorted(set(np.linspace(0, len(snaps) - 1, 6).round().astype(int)))]
        try:
            save(path, tab.model, {"step": tab.run.steps_done, "source": "Playground Attention tab"}, snaps)
        except OSError as e:
            tab.show_error(f"Could not save: {e}")
            return
        tab.weights.set_status(f"Saved {Path(path).name}")
        tab.status_message.emit(f"Saved {path}")

    # -- results (on the GUI thread) -----------------------------------------------------------
    def _on_default_opened(self, result) -> None:
        opened, self.tab.words, self.tab.words_source, error = result
        if error:
            self.tab.show_error(error)
        self.show(opened, "shipped weights")

    def _on_task_opened(self, opened: Opened, what: str = "shipped weights") -> None:
        self.show(opened, what, keep=self.tab.model)

    def _on_word_list_opened(self, result) -> None:
        opened, self.tab.words, self.tab.words_source = result
        self.show(opened, "", keep=self.tab.model)

    def show(self, opened: Opened, what: str, keep=None) -> None:
        """Show the lab and weights a job opened: its weights if they fit, else `keep` (the
        current model) if that fits, else new random weights."""
        tab = self.tab
        if tab.runner.is_busy():  # the run owns the model
            tab.show_error("Stop the training first.")
            return
        lab = tab.lab = opened.lab
        if lab.task == "names":
            tab.source_label.setText(f"<b>{tab.words_source}</b>: {len(tab.words):,} words, "
                                     f"{len(lab.itos) - 1} characters; split 80/10/10")
        else:
            tab.source_label.setText("Sequences of 6 letters from a–h; 10% of all sequences are "
                                     "held out and never trained on.")
        tab.task_box.blockSignals(True)
        tab.task_box.setCurrentIndex(tab.task_box.findData(lab.task))
        tab.task_box.blockSignals(False)
        settings.write("attention/task", lab.task)
        if opened.model is not None and lab.fits(opened.model):
            opened.model.causal = True
            tab.set_model(opened.model, [(f"step {s}", state) for s, state in opened.snapshots],
                          describe(what, opened.meta))
        else:
            if opened.model is not None:
                tab.show_error(f"{what} was trained on other characters than this word list uses.")
            if keep is not None and lab.fits(keep):
                tab.set_model(keep, [], "the same weights")
            else:
                tab.set_model(lab.new_model(seed=tab.train_form.value("seed")), [], "new random weights")
        tab.text_edit.setText(DEFAULT_TEXT[lab.task])
