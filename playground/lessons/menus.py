"""The window's lesson menus: File > Open lesson…, Save lesson…, Recent lessons; View > Journey;
Help > Lessons (the shipped ones). Owns the window's LessonSession, script bar and journey view."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from playground import settings, shortcuts
from playground.lessons import shipped
from playground.lessons.fileformat import SUFFIX
from playground.lessons.script_bar import ScriptBar
from playground.lessons.session import LessonSession

FILTER = f"Playground lessons (*{SUFFIX});;All files (*)"
RECENT_KEY = "lessons/recent"
MAX_RECENT = 8


def recent() -> list[str]:
    try:
        paths = json.loads(settings.read(RECENT_KEY, "[]"))
    except ValueError:
        return []
    return [p for p in paths if isinstance(p, str)][:MAX_RECENT] if isinstance(paths, list) else []


def remember(path: str) -> None:
    path = str(Path(path).resolve())
    settings.write(RECENT_KEY, json.dumps([path] + [p for p in recent() if p != path][:MAX_RECENT - 1]))


def forget(path: str) -> None:
    settings.write(RECENT_KEY, json.dumps([p for p in recent() if p != path]))


class LessonMenus(QObject):
    failed = Signal(str)  # a message for the user
    status = Signal(str)  # news for the status bar

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = LessonSession(window)
        self.session.opened.connect(self._on_session_opened)
        self.session.saved.connect(self._on_session_saved)
        self.session.failed.connect(self._on_session_failed)
        self.bar = ScriptBar(window)
        window.addToolBar(Qt.TopToolBarArea, self.bar)
        self.journey = None  # the JourneyView, made when first asked for
        self.last_notes: list[str] = []
        self._opening = ""

    # -- menus -------------------------------------------------------------------------------
    def add_file_actions(self, menu: QMenu) -> None:
        self._action(menu, "Open &lesson…", self._on_open_triggered, "lesson.open",
                     "Open a .playground lesson: every tab's state, weights and script")
        self._action(menu, "Save lesso&n…", self._on_save_triggered, "lesson.save",
                     "Save this moment as a .playground lesson: controls, weights, curves, drawing, pages")
        self.recent_menu = menu.addMenu("Recent lessons")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        self._fill_recent()

    def add_view_actions(self, menu: QMenu) -> None:
        self.journey_action = self._action(menu, "&Journey", self._on_journey_triggered, "journey",
                                           "Every model's validation loss on the same names split, on one ladder")

    def add_help_actions(self, menu: QMenu) -> None:
        lessons = menu.addMenu("&Lessons")
        for item in shipped.SHIPPED:
            action = lessons.addAction(item.title)
            action.setToolTip(f"Open the shipped lesson {item.file}")
            action.setData(str(item.path))
            action.triggered.connect(self._on_path_action_triggered)
        self.help_lessons_menu = lessons

    def _action(self, menu, text, slot, shortcut, tip) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        shortcuts.bind(action, shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent()
        for path in paths:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._on_path_action_triggered)
        self.recent_menu.setEnabled(bool(paths))

    # -- doing -------------------------------------------------------------------------------
    def open(self, path: str) -> bool:
        self._opening = str(path)
        return self.session.open(path)

    def save(self, path: str, title: str = "", script=None) -> bool:
        path = str(path)
        if not path.endswith(SUFFIX):
            path += SUFFIX
        return self.session.save(path, title=title, script=script)

    def show_journey(self):
        from playground.lessons.journey import JourneyView

        if self.journey is None:
            self.journey = JourneyView(self.window)
        self.journey.show()
        self.journey.raise_()
        self.journey.refresh()
        return self.journey

    def busy(self) -> bool:
        return self.session.busy() or (self.journey is not None and self.journey.busy())

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        done = self.session.shutdown(timeout_ms)
        if self.journey is not None:
            done = self.journey.shutdown(timeout_ms) and done
        return done

    # -- slots -------------------------------------------------------------------------------
    @Slot()
    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a lesson", "", FILTER)
        if path:
            self.open(path)

    @Slot()
    def _on_save_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save a lesson", f"lesson{SUFFIX}", FILTER)
        if path:
            self.save(path)

    @Slot()
    def _on_path_action_triggered(self) -> None:
        path = self.sender().data()
        if not Path(path).is_file():
            forget(path)
            self._fill_recent()
            self.failed.emit(f"{Path(path).name} is no longer there ({path}).")
            return
        self.open(path)

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        self._fill_recent()

    @Slot()
    def _on_journey_triggered(self) -> None:
        self.show_journey()

    @Slot(object, list)
    def _on_session_opened(self, lesson, notes: list) -> None:
        self.last_notes = list(notes)
        if self._opening and Path(self._opening).resolve().parent != shipped.folder().resolve():
            remember(self._opening)  # the shipped lessons are in Help > Lessons already
        self._fill_recent()
        self.bar.set_script(lesson.script, lesson.title)
        name = lesson.title or Path(self._opening).name
        self.status.emit(f"Opened the lesson {name}" + (f" ({len(notes)} part(s) skipped)" if notes else ""))
        if notes:
            text = f"Opened the lesson {name}, but not all of it:\n\n" + "\n".join(f"• {n}" for n in notes)
            box = QMessageBox(QMessageBox.Information, "Playground", text, QMessageBox.Ok, self.window)
            box.setAttribute(Qt.WA_DeleteOnClose)
            box.open()  # never exec(): a message must not block

    @Slot(str, list)
    def _on_session_saved(self, path: str, notes: list) -> None:
        self.last_notes = list(notes)
        remember(path)
        self._fill_recent()
        self.status.emit(f"Saved the lesson to {path}" + (f"; {' '.join(notes)}" if notes else ""))
        if notes:
            self.failed.emit(f"The lesson was saved to {path}, but: " + " ".join(notes))

    @Slot(str)
    def _on_session_failed(self, message: str) -> None:
        self.failed.emit(message)
