"""Saving and opening lessons in the main window.

Saving: the GUI thread reads every loaded tab's state (widget_state.py, the tab's lesson hooks or
tab_extras.py) and asks each weights box's tab to save its weights to a temporary file (the tab's
own save job); once every tab has settled, one job packs it all into the .playground file.

Opening: one job reads the file (fileformat.read_lesson) and unpacks the weights to temporary
files; then, tab after tab, the GUI thread applies it in order, waiting for the tab's own jobs
to settle between steps: load the tab's defaults, set its widgets, load its weights (through its
weights box), its extra state, its curves and page. Last come presentation mode, the tab shown
and the script. What could not be restored is said in one message, and the app keeps the rest.
"""
from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from playground import registry
from playground import style as app_style
from playground.jobs import Jobs
from playground.lessons import tab_extras, widget_state
from playground.lessons.fileformat import Lesson, TabState, read_lesson, write_lesson

SETTLE_TIMEOUT_S = 90.0  # the longest a tab's own jobs may take to settle (loading a big model)
POLL_MS = 20


def tab_lesson_state(tab) -> tuple[dict, dict]:
    """The tab's own hook if it implements one, else its stand-in in tab_extras."""
    from playground.tabs.base import Tab

    if type(tab).lesson_state is not Tab.lesson_state:
        return tab.lesson_state()
    return tab_extras.capture(tab)


def restore_tab_lesson_state(tab, state: dict, arrays: dict) -> list[str]:
    from playground.tabs.base import Tab

    if type(tab).restore_lesson_state is not Tab.restore_lesson_state:
        return list(tab.restore_lesson_state(state, arrays) or [])
    return tab_extras.restore(tab, state, arrays)


def lesson_tabs(window) -> list:
    """Tabs whose state a lesson carries: built, loaded and real (not a placeholder)."""
    from playground.tabs.placeholder import PlaceholderTab

    return [t for t in window.built_tabs() if t.loaded and not isinstance(t, PlaceholderTab)]


class LessonSession(QObject):
    """One window's lesson saving and opening. One at a time."""
    opened = Signal(object, list)  # the Lesson, sentences about what was skipped (restore complete)
    saved = Signal(str, list)  # the path, sentences about what was skipped
    failed = Signal(str)  # a message for the user

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.jobs = Jobs(self)
        self.jobs.failed.connect(self._on_jobs_failed)
        self.lesson: Lesson | None = None  # the lesson last opened (its script stays with the window)
        self.path: str = ""
        self._steps: list = []  # what is left to do, as (callable, wait for tabs to settle first)
        self._notes: list[str] = []
        self._tmp: str | None = None
        self._active = False  # from save()/open() until saved/opened/failed
        self._deadline = 0.0
        self._quiet = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def busy(self) -> bool:
        return self._active

    def _training_tab(self):
        return next((t for t in self.window.built_tabs() if t.is_training()), None)

    def _refuse(self, what: str) -> bool:
        if self.busy():
            self.failed.emit(f"A lesson is still being {what}; wait a moment.")
            return True
        tab = self._training_tab()
        if tab is not None:
            self.failed.emit(f"The {tab.title} tab is training: stop it before a lesson is {what}.")
            return True
        return False

    # -- saving ------------------------------------------------------------------------------
    def save(self, path, title: str = "", script=None, description: str = "", tabs=None,
             presentation: bool | None | str = "current") -> bool:
        """Save the window's state to `path` (only the tabs named in `tabs`, if given); `saved` or
        `failed` follows. `presentation`: "current" records the window's presentation mode; None
        lets the lesson open in the viewer's own."""
        if self._refuse("saved"):
            return False
        keep = self.lesson if self.lesson is not None else Lesson()
        lesson = Lesson(title=title or keep.title or Path(path).stem, description=description or keep.description,
                        current_tab=self.window.current_tab().name,
                        presentation=app_style.current().presentation if presentation == "current" else presentation,
                        script=list(script) if script is not None else list(keep.script))
        self._active = True
        self._tmp = tempfile.mkdtemp(prefix="playground-lesson-")
        files, boxes, notes = [], [], []
        for tab in lesson_tabs(self.window):
            if tabs is not None and tab.name not in tabs:
                continue
            clean = bool(widget_state.folded_panels(tab))
            with widget_state.unfolded(tab):
                state = TabState(page=tab.current_page(), clean=clean, widgets=widget_state.capture_widgets(tab),
                                 curves=widget_state.capture_curves(tab))
                boxes_here = widget_state.weights_boxes(tab)
            pages = getattr(tab, "pages", None)
            state.page_index = pages.currentIndex() if pages is not None else -1
            try:
                state.extra, state.arrays = tab_lesson_state(tab)
            except Exception as e:  # a tab that changed: the rest of the lesson is still worth saving
                traceback.print_exc()
                notes.append(f"The {tab.title} tab's selection and drawing were not saved ({type(e).__name__}).")
            for k, (where, box) in enumerate(boxes_here):
                file = Path(self._tmp) / f"{tab.name}-{k}.npz"
                boxes.append((box, box.status_label.text()))
                box.save_requested.emit(str(file))  # the tab saves its own weights, in its job
                files.append((tab.name, where, str(file)))
            lesson.tabs[tab.name] = state
        self._run([(lambda: self._pack(path, lesson, files, boxes, notes), True)])
        return True

    def _pack(self, path, lesson, files, boxes, notes) -> None:
        for box, status in boxes:
            box.set_status(status)  # the box said "Saved to <temp file>": not the user's news
        tmp, self._tmp = self._tmp, None
        self.jobs.submit("save", _write, str(path), lesson, files, tmp, notes, done=self._on_written)

    def _on_written(self, result) -> None:
        path, notes = result
        self.path, self._active = path, False
        self.saved.emit(path, notes)

    # -- opening -----------------------------------------------------------------------------
    def open(self, path) -> bool:
        """Open the lesson at `path`; `opened` (or `failed`) follows when all of it is applied."""
        if self._refuse("opened"):
            return False
        self._active = True
        self.jobs.submit("open", _read, str(path), done=self._on_read)
        return True

    def _on_read(self, result) -> None:
        path, lesson, notes, weight_files, tmp = result
        self._notes, self._tmp = list(notes), tmp
        self.lesson, self.path = lesson, path
        known = registry.names()
        for name in lesson.tabs:
            if name not in known:
                self._notes.append(f"The lesson has a tab called {name!r}, which this version does not have.")
        steps = []
        for name in known:
            if name in lesson.tabs:
                steps += self._tab_steps(name, lesson.tabs[name], weight_files.get(name, {}))
        steps.append((lambda: self._finish(lesson), True))
        self._run(steps)

    def _tab_steps(self, name: str, state: TabState, weights: dict[str, str]) -> list:
        window = self.window

        def load():
            window.tab(name).ensure_loaded()

        def widgets():
            tab = window.tab(name)
            for panel in widget_state.folded_panels(tab):  # its controls come back into the tree
                panel.set_collapsed(False)
            widget_state.restore_widgets(tab, state.widgets)  # what does not take is told after the second pass

        def load_weights():
            tab = window.tab(name)
            boxes = dict(widget_state.weights_boxes(tab))
            moved = widget_state.relocate(list(weights), boxes)
            for where, file in weights.items():
                if where in moved:
                    boxes[moved[where]].load_requested.emit(file)  # the tab loads them in its job
                else:
                    self._notes.append(f"The {tab.title} tab has no weights box where the lesson's weights go.")

        def extras():
            tab = window.tab(name)
            self._notes += restore_tab_lesson_state(tab, state.extra, state.arrays)

        def curves_and_page():
            tab = window.tab(name)
            self._notes += widget_state.restore_curves(tab, state.curves, f" of the {tab.title} tab")
            keys = tab.page_keys()
            index = state.page_index
            if state.page and keys.count(state.page) == 1:
                tab.show_page(state.page)
            elif 0 <= index < len(keys) and (not state.page or keys[index] == state.page):
                tab.pages.setCurrentIndex(index)  # page keys repeat: the index tells them apart
            elif state.page:
                self._notes.append(f"The {tab.title} tab has no page {state.page!r}.")
            if hasattr(window, "set_clean"):
                window.set_clean(tab, state.clean)

        def widgets_again():  # a load may have reset a field (a task's default text): set what differs
            tab = window.tab(name)
            self._notes += widget_state.restore_widgets(tab, state.widgets, f" of the {tab.title} tab")

        return [(load, False), (widgets, True), (load_weights, True), (extras, True), (widgets_again, True),
                (curves_and_page, True)]

    def _finish(self, lesson: Lesson) -> None:
        window = self.window
        if lesson.presentation is not None and lesson.presentation != app_style.current().presentation:
            window.set_style(app_style.current().with_(presentation=lesson.presentation))
        if lesson.current_tab in registry.names():
            window.show_tab(lesson.current_tab)
        self._cleanup()
        self._active = False
        self.opened.emit(lesson, list(self._notes))

    # -- the step machine: one step, then wait until every tab's jobs have settled -------------
    def _run(self, steps: list) -> None:
        self._steps = list(steps)
        self._next()

    def _next(self) -> None:
        while self._steps:
            fn, settle = self._steps[0]
            if settle:  # always through the event loop: a finished job's result may still be queued
                self._deadline = time.monotonic() + SETTLE_TIMEOUT_S
                self._quiet = 0
                self._timer.start()
                return
            self._steps.pop(0)
            try:
                fn()
            except Exception as e:  # a tab that changed must not take the app down
                traceback.print_exc()
                self._notes.append(f"Part of the lesson could not be applied ({type(e).__name__}: {e}).")

    def _unsettled(self) -> bool:
        return any(t.busy() for t in self.window.built_tabs())

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._unsettled():
            self._quiet = 0
            if time.monotonic() < self._deadline:
                return
            self._notes.append("A tab was still busy after a long wait; the lesson went on without it.")
        else:
            self._quiet += 1
            if self._quiet < 3:  # settled for a few polls: a job's result may start another job
                return
        self._timer.stop()
        fn, _ = self._steps[0]
        self._steps[0] = (fn, False)
        self._next()

    def _cleanup(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        self._steps = []
        self._timer.stop()
        self._cleanup()
        self._active = False
        self.failed.emit(f"Could not {'save' if name == 'save' else 'open'} the lesson: {message}")

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self._steps, self._active = [], False
        self._timer.stop()
        done = self.jobs.shutdown(timeout_ms)
        self._cleanup()
        return done


# -- jobs (worker thread: no Qt, no GUI state) ----------------------------------------------------
def _write(path: str, lesson: Lesson, files, tmp: str, notes: list[str]) -> tuple[str, list[str]]:
    notes = list(notes)
    try:
        for state in lesson.tabs.values():  # models a tab handed over: serialised here, not on the GUI thread
            state.arrays = {k: v.to_array() if isinstance(v, tab_extras.SavedModel) else v
                            for k, v in state.arrays.items()}
        for tab, where, file in files:
            f = Path(file)
            if f.is_file():
                lesson.tabs[tab].weights[where] = f.read_bytes()
            else:
                notes.append(f"The {registry.spec(tab).title} tab's weights could not be saved.")
        write_lesson(path, lesson)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path, notes


def _read(path: str):
    lesson, notes = read_lesson(path)
    tmp = tempfile.mkdtemp(prefix="playground-lesson-")
    files: dict[str, dict[str, str]] = {}
    for name, state in lesson.tabs.items():
        for k, (where, raw) in enumerate(state.weights.items()):
            file = Path(tmp) / f"{name}-{k}.npz"
            file.write_bytes(raw)
            files.setdefault(name, {})[where] = str(file)
        state.weights = {}
    return path, lesson, notes, files, tmp
