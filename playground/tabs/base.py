"""What every tab is: a model plus a view, with the hooks the main window calls."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QSplitter, QVBoxLayout, QWidget

from playground import registry
from playground.jobs import Jobs
from playground.runner import Runner


class Tab(QWidget):
    """Base class of the five tabs.

    `name` and `title` come from the registry (playground.registry). Subclasses set, when
    File > Open… applies, `open_filter`; build their widgets in __init__ (cheap: no data loading
    there) and load data/models in load_defaults(), which runs the first time the tab is shown.
    Training runs on `make_runner()` runners; one-shot work (loading, checking, evaluating) on
    `self.jobs` (playground.jobs). Neither touches widgets from its thread.
    """
    name = ""
    title = ""
    open_filter: str | None = None  # e.g. "Word lists (*.txt);;All files (*)"; None disables Open

    error_raised = Signal(str)  # a message for the user (the window shows it; never a traceback)
    status_message = Signal(str)  # a short note for the status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        spec = registry.spec_of_module(type(self).__module__)
        if spec is not None:
            self.name, self.title = spec.name, spec.title
        self._loaded = False
        self.runners: list[Runner] = []
        self._run_seconds: dict[int, float] = {}  # id(runner) -> seconds it has been running
        self._run_since: dict[int, float] = {}  # id(runner) -> when its current running stretch began
        self.jobs = Jobs(self)
        self.jobs.failed.connect(self._on_jobs_failed)

    # -- hooks for subclasses --------------------------------------------------------------
    def load_defaults(self) -> None:
        """Load the default data and model (from assets/ or $PLAYGROUND_DATA_DIR)."""

    def prepare_shot(self) -> None:
        """Put the tab in a representative state for `playground shot` (synchronously)."""

    def open_file(self, path: str) -> None:
        """File > Open… with a file matching open_filter."""
        self.show_error(f"The {self.title} tab opens no files.")

    def export_targets(self) -> list[tuple[str, QWidget]]:
        """(label, widget) of what File > Export figure… offers; the main plot first. Widgets may
        be pyqtgraph PlotWidget/GraphicsLayoutWidget/PlotItem (PNG, SVG, CSV) or any QWidget (PNG)."""
        return []

    # -- lessons (playground.lessons) ----------------------------------------------------------
    # A lesson saves every tab's input widgets, loss plots and weights boxes by walking its
    # widgets; these hooks carry what that walk cannot see (a model without a weights box, a
    # drawing, a selection, a graph's step). playground/lessons/tab_extras.py stands in for tabs
    # that do not implement them yet.
    def lesson_state(self) -> tuple[dict, dict]:
        """(JSON-able dict, {name: NumPy array}) a lesson should carry beyond the generic walk.
        A model goes in as playground.lessons.tab_extras.SavedModel(a copy, meta): the save job
        writes it with models.core.checkpoint.save_model; restore_lesson_state gets its bytes
        (tab_extras.model_from_bytes reads them with load_model)."""
        return {}, {}

    def restore_lesson_state(self, state: dict, arrays: dict) -> list[str]:
        """Put back what lesson_state() gave (perhaps from an older or newer version: check what is
        there). Runs after the widgets and weights are restored. Returns a sentence for each part
        it had to skip."""
        return []

    def journey_models(self) -> list[tuple[str, object, dict]]:
        """What this tab adds to View > Journey, live: (rung key of
        playground.lessons.journey_data.RUNGS, a copy of the model the worker may own, info such as
        {"steps": n, "seconds": t}). Called on the GUI thread while the tab is not training.
        playground/lessons/journey.py stands in for tabs that do not implement it yet."""
        return []

    def busy(self) -> bool:
        """True while one-shot work is still to come back (a lesson waits for it to settle)."""
        return self.jobs.is_busy()

    def wait_for_jobs(self, timeout_s: float = 60.0, job: str | None = None) -> bool:
        """Process events until every job (or the job named `job`) has finished and its result
        has been applied (for `playground shot` and the tests). True when idle."""
        deadline = time.monotonic() + timeout_s
        waiting = (lambda: self.jobs.is_busy(job)) if job else self.busy
        while time.monotonic() < deadline:
            QApplication.processEvents()
            if not waiting():
                QApplication.processEvents()  # a result that just arrived may start more work
                if not waiting():
                    return True
            time.sleep(0.005)
        return False

    def is_training(self) -> bool:
        return any(r.is_busy() for r in self.runners)

    @property
    def loaded(self) -> bool:
        """Whether load_defaults() has run (the tab was shown)."""
        return self._loaded

    def training_seconds(self, runner: Runner | None = None) -> float:
        """Seconds `runner` (default: all of this tab's runners) has spent running, pauses excluded."""
        now = time.monotonic()
        keys = [id(runner)] if runner is not None else [id(r) for r in self.runners]
        return sum(self._run_seconds.get(k, 0.0) + (now - self._run_since[k] if k in self._run_since else 0.0)
                   for k in keys)

    # -- pages: every tab shows its pages in `self.pages`, a QTabWidget ----------------------
    def page_keys(self) -> list[str]:
        """Short names of the pages, in order: the page widget's objectName if set, else the first
        word of its label ("Sample && score" -> "sample"). Shortcuts, `shot --page` and lessons
        use them."""
        pages = getattr(self, "pages", None)
        if pages is None:
            return []
        return [pages.widget(i).objectName() or page_key(pages.tabText(i)) for i in range(pages.count())]

    def current_page(self) -> str:
        keys = self.page_keys()
        return keys[self.pages.currentIndex()] if keys else ""

    def show_page(self, key: str) -> None:
        """Show the page named `key` (KeyError if the tab has no such page)."""
        keys = self.page_keys()
        if key not in keys:
            raise KeyError(f"The {self.title} tab has no page {key!r}; it has {', '.join(keys) or 'none'}.")
        self.pages.setCurrentIndex(keys.index(key))

    def lay_out(self, side: QWidget, pages: QWidget, side_width: int = 400) -> QSplitter:
        """The usual tab: its side panel on the left, its pages taking the rest of the width."""
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([side_width, 1600 - side_width])
        QVBoxLayout(self).addWidget(splitter)
        return splitter

    # -- services --------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.load_defaults()

    def make_runner(self) -> Runner:
        """A Runner owned by this tab: stopped on close, its errors shown to the user."""
        runner = Runner(self)
        runner.failed.connect(self._on_runner_failed)
        runner.state_changed.connect(self._on_runner_state_changed_clock)
        self.runners.append(runner)
        return runner

    def show_error(self, message: str) -> None:
        self.error_raised.emit(message)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop every run of this tab and wait (bounded). True when no thread is left running."""
        return all([r.shutdown(timeout_ms) for r in self.runners] + [self.jobs.shutdown(timeout_ms)])

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self.show_error(f"Training stopped: {message}")

    @Slot(str)
    def _on_runner_state_changed_clock(self, state: str) -> None:
        key, now = id(self.sender()), time.monotonic()
        if key in self._run_since:
            self._run_seconds[key] = self._run_seconds.get(key, 0.0) + now - self._run_since.pop(key)
        if state == "running":
            self._run_since[key] = now

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        self.show_error(message)


def page_key(label: str) -> str:
    """"&Inside the net" -> "inside"."""
    return label.replace("&", "").split()[0].lower() if label.strip() else ""
