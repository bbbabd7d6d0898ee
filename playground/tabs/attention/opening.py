"""Opening things in the Attention tab: the default word list and task, another task, a word list,
a weights file, the shipped weights; and saving. Reading and writing run as the tab's jobs (off
the GUI thread, with the functions of models.attention.lab); the results are shown here.
A trained model that was not saved is never replaced by a word list's new alphabet without asking."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer

from models.attention.history import Record
from models.attention.lab import Opened, open_task, open_weights
from models.attention.saving import save
from models.core.assets import asset_path
from models.core.data import load_words
from playground import settings
from playground.tabs.attention import tasks

OPEN_TIMEOUT_S = 60  # a word list or weights file still being read after this is given up on


def shipped_weights(task: str) -> Path:
    return asset_path("weights", f"attention_{task}.npz")


def read_words(path) -> tuple[list[str], str]:
    """A word list and the name it is shown by."""
    return load_words(path), Path(path).name


def open_word_list(path) -> tuple[Opened, list[str], str]:
    words, source = read_words(path)
    return open_task("names", words).with_view(), words, source


def open_with_view(fn, *args) -> Opened:
    """fn(*args) -> Opened (open_task, open_weights), with the viewer's twin of its model."""
    return fn(*args).with_view()


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
    return open_task(task, words, shipped_weights(task)).with_view(), words, source, error


def describe(what: str, meta: dict) -> str:
    """e.g. "shipped weights after 58,500 steps (val loss 1.919, test 1.938)", from a file's meta."""
    number = lambda key: isinstance(meta.get(key), (int, float)) and not isinstance(meta.get(key), bool)  # noqa: E731
    score = f"val loss {meta['val_loss']:.3f}" if number("val_loss") else ""
    if number("test_loss"):
        score += f", test {meta['test_loss']:.3f}"
    if number("exact_match"):
        score += f", exact match {100 * meta['exact_match']:.1f}%"
    steps = f" after {meta['step']:,} steps" if number("step") else ""
    return f"{what}{steps} ({score.lstrip(', ')})" if score else f"{what}{steps}"


def save_job(path, model, meta: dict, snapshots) -> Path:
    """The save, off the GUI thread (a compressed file of a few MB takes a moment)."""
    return save(path, model, meta, snapshots)


class Opening(QObject):
    """The tab's task, word list and weights: what to read (as jobs), and what to show after."""

    def __init__(self, tab):
        super().__init__(tab)
        self.tab = tab
        self._ticket = 0  # the latest reading job

    def _submit(self, fn, *args, done) -> None:
        """A reading job that is given up on (and said) if it is still going after OPEN_TIMEOUT_S."""
        self._ticket = ticket = self.tab.jobs.submit("task", fn, *args, done=done)
        QTimer.singleShot(OPEN_TIMEOUT_S * 1000, self, partial(self._on_open_timeout, ticket))

    def _on_open_timeout(self, ticket: int) -> None:
        jobs = self.tab.jobs
        if ticket == self._ticket and jobs.is_busy("task"):
            jobs.cancel("task")
            self.tab.show_error(f"Opening took longer than {OPEN_TIMEOUT_S} s and was given up.")
            self.tab.show_task_in_box()

    def open_default(self, task: str, names_path) -> None:
        self._submit(open_default, task, names_path, done=self._on_default_opened)

    def open_task(self, task: str) -> None:
        """Make `task` current: its data and its shipped weights (or fresh ones)."""
        self._submit(open_with_view, open_task, task, self.tab.words, shipped_weights(task),
                     done=self._on_task_opened)

    def open_word_list(self, path) -> None:
        self.tab.status_message.emit(f"Loading {path}…")
        self._submit(open_word_list, path, done=self._on_word_list_opened)

    def open_weights(self, path) -> None:
        """A weights file; one of the other task switches the task."""
        self._submit(open_with_view, open_weights, path, self.tab.words, self.tab.lab,
                     done=partial(self._on_task_opened, what=Path(path).name))

    def open_shipped(self) -> None:
        if not shipped_weights(self.tab.lab.task).is_file():
            self.tab.show_error("No shipped weights for this task.")
        else:
            self.open_task(self.tab.lab.task)

    def save(self, path) -> None:
        tab = self.tab
        snaps = [(int(label.split()[1].replace(",", "")), state) for label, state in tab.checkpoints[:-1]
                 if label.startswith("step ") and label.split()[1].replace(",", "").isdigit()]
        if len(snaps) > 6:  # a few, spread over the run (the early ones are where patterns form)
            snaps = [snaps[i] for i in sorted(set(np.linspace(0, len(snaps) - 1, 6).round().astype(int)))]
        meta = dict(tab.record.to_meta(), task=tab.lab.task, causal=True, source="Playground Attention tab",
                    description=tab.description)
        model = tab.model.clone()
        tab.jobs.submit("save", save_job, path, model, meta, snaps, done=partial(self._on_saved, model=tab.model))

    def _on_saved(self, path, model) -> None:
        tab = self.tab
        if model is tab.model and not tab.runner.is_busy():
            tab.unsaved = False
        tab.show_weights_status(note=f"<br>Saved {Path(path).name}")
        tab.status_message.emit(f"Saved {path}")

    # -- results (on the GUI thread) -----------------------------------------------------------
    def _on_default_opened(self, result) -> None:
        opened, words, source, error = result
        if error:
            self.tab.show_error(error)
        self.show(opened, "shipped weights", words=(words, source))

    def _on_task_opened(self, opened: Opened, what: str = "shipped weights") -> None:
        self.show(opened, what)

    def _on_word_list_opened(self, result) -> None:
        opened, words, source = result
        self.show(opened, "", keep=True, words=(words, source))

    def show(self, opened: Opened, what: str, keep: bool = False, words=None) -> None:
        """Show the lab and weights a job opened: its weights if they fit, else (with `keep`) the
        task's current model if it reads the new list, else new random weights (asking first
        when that throws away a model trained here and not saved). `words`: (list, name)."""
        tab = self.tab
        if tab.runner.is_busy():  # the run owns the model
            tab.show_error("Stop the training first.")
            return
        lab, previous = opened.lab, tab.lab
        same_task = previous is not None and previous.task == lab.task
        replaced = tasks.stash(tab) if same_task else tab.tasks.get(lab.task)  # what this task had
        model = opened.model if opened.model is not None and lab.fits(opened.model) else None
        kept = keep and replaced is not None and opened.model is None and lab.fits(replaced.model)
        if model is None and not kept and replaced is not None and replaced.unsaved and not tab.confirm(
                f"The {lab.task} model trained here ({replaced.steps_here:,} steps) is not saved, and it "
                "does not read this word list's characters. Replace it with new random weights?"):
            tab.status_message.emit("Kept the trained model; the word list was not opened.")
            return
        if previous is not None and not same_task:
            tab.tasks[previous.task] = tasks.stash(tab)  # the other task, as it was left
            tasks.apply_settings(tab, tasks.DEFAULT_SETTINGS)  # this one starts as trained
        tab.tasks.pop(lab.task, None)  # replaced by what was opened
        if words is not None:
            tab.words, tab.words_source = words
        tab.lab = lab
        settings.write("attention/task", lab.task)
        if kept:  # the same weights read the new list: everything about them goes on
            replaced.lab = lab
            tasks.restore(tab, replaced)
            return
        tab.show_source()
        tab.put_text(tasks.DEFAULT_TEXT[lab.task])  # shown by set_model's one redraw, not a second
        if model is not None:
            model.causal = True
            tab.set_model(model, [(f"step {s:,}", state) for s, state in opened.snapshots],
                          describe(what, opened.meta), Record.from_meta(opened.meta), view_model=opened.view)
        else:
            if opened.model is not None:
                tab.show_error(f"{what} was trained on other characters than this word list uses.")
            tab.set_model(lab.new_model(seed=tab.train_form.value("seed")), [], "new random weights")
