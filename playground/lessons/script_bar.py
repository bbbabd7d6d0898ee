"""The slim bar that walks a lesson's script: a step's title and sentence, Back / Next, and the
step shown in the window (its tab, its page, and a frame around the control it points at).

PageUp / PageDown (a presenter's clicker sends these) go back and forward while the bar shows.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QToolBar, QVBoxLayout, QWidget

from playground import shortcuts
from playground import style as app_style
from playground.lessons import widget_state
from playground.lessons.fileformat import Step

MARK_MS = 4000  # how long the frame around a step's control stays


class ScriptBar(QToolBar):
    step_shown = Signal(int)  # the index of the step now shown

    def __init__(self, window):
        super().__init__("Lesson", window)
        self.setObjectName("lesson_script_bar")
        self.setMovable(False)
        self.setFloatable(False)
        self.window_ = window
        self.steps: list[Step] = []
        self.index = -1
        self.problem = ""  # what the last step could not show (a missing page or control)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight: bold")
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.count_label = QLabel()
        inner = QWidget()
        inner.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        words = QVBoxLayout()  # the title above its sentence: the sentence gets the bar's width
        words.setSpacing(0)
        words.addWidget(self.title_label)
        words.addWidget(self.text_label)
        words.addStretch(1)  # the two lines together at the top, however tall the bar is
        row = QHBoxLayout(inner)
        row.setContentsMargins(8, 2, 8, 2)
        row.addLayout(words, 1)
        row.addSpacing(16)
        row.addWidget(self.count_label)
        self.addWidget(inner)
        self.back_action = self._action("◀ Back", "Previous step of the lesson", "lesson.back", self.back)
        self.next_action = self._action("Next ▶", "Next step of the lesson", "lesson.next", self.next)
        self.close_action = self._action("✕", "Close the lesson's script (the lesson's state stays)", None,
                                         self.close_script)
        self.marker = _Marker(window)
        app_style.bus().changed.connect(self._on_style_changed)
        self.hide()
        self._set_enabled()

    def _action(self, text, tip, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        if shortcut:
            shortcuts.bind(action, shortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- the script --------------------------------------------------------------------------
    def set_script(self, steps: list[Step], title: str = "") -> None:
        """Show the bar on the first step (or hide it for a lesson without a script)."""
        self.steps = list(steps)
        self.setWindowTitle(f"Lesson: {title}" if title else "Lesson")
        if not self.steps:
            self.close_script()
            return
        self.show()
        self.show_step(0)

    def show_step(self, i: int) -> None:
        if not self.steps:
            return
        self.index = max(0, min(i, len(self.steps) - 1))
        step = self.steps[self.index]
        self.title_label.setText(step.title)
        self.text_label.setText(step.text)
        self.count_label.setText(f"{self.index + 1} / {len(self.steps)}")
        self.problem = ""
        self._fit_text()
        self._go_to(step)
        self._set_enabled()
        self.step_shown.emit(self.index)

    def _fit_text(self) -> None:
        """As tall as the sentence needs at the label's width: a wrapped label's own size hint is
        for a narrow guess, which would make the bar too tall (or cut the sentence)."""
        width = self.text_label.width() if self.text_label.width() > 100 else round(0.7 * self.window_.width())
        self.text_label.setFixedHeight(max(self.text_label.heightForWidth(width), self.fontMetrics().height()))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        QTimer.singleShot(0, self, self._fit_text)  # new fonts: the sentence takes another height

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            QTimer.singleShot(0, self, self._fit_text)  # once the label has its new width

    def _go_to(self, step: Step) -> None:
        window = self.window_
        self.marker.hide()
        try:
            tab = window.show_tab(step.tab) if step.tab else window.current_tab()
        except KeyError:
            self.problem = f"This version has no {step.tab!r} tab."
            return
        if step.page:
            try:
                tab.show_page(step.page)
            except KeyError as e:
                self.problem = str(e.args[0])
        if step.control:
            control = widget_state.find_control(tab, step.control)
            if control is None:
                self.problem = f"The {tab.title} tab has no control {step.control!r}."
            else:
                self._point_at(control)
        if self.problem:
            window.statusBar().showMessage(self.problem, 8000)

    def _point_at(self, control: QWidget) -> None:
        parent = control.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(control)
        control.setFocus(Qt.OtherFocusReason)
        QTimer.singleShot(0, self.marker, lambda: self.marker.point_at(control))

    @Slot()
    def next(self) -> None:
        if self.index + 1 < len(self.steps):
            self.show_step(self.index + 1)

    @Slot()
    def back(self) -> None:
        if self.index > 0:
            self.show_step(self.index - 1)

    @Slot()
    def close_script(self) -> None:
        self.steps, self.index = [], -1
        self.marker.hide()
        self.hide()
        self._set_enabled()

    def _set_enabled(self) -> None:
        self.back_action.setEnabled(self.index > 0)
        self.next_action.setEnabled(0 <= self.index < len(self.steps) - 1)


class _Marker(QWidget):
    """A frame drawn over the window around the control a step points at; clicks pass through."""

    def __init__(self, window):
        super().__init__(window)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.target: QWidget | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def point_at(self, control: QWidget) -> None:
        if not control.isVisible():
            return
        pad = round(6 * app_style.current().scale)
        top_left = control.mapTo(self.parentWidget(), control.rect().topLeft())
        self.setGeometry(QRect(top_left, control.size()).adjusted(-pad, -pad, pad, pad))
        self.target = control
        self.raise_()
        self.show()
        self._timer.start(MARK_MS)

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        width = max(3.0, 2 * st.pen_width)
        p.setPen(QPen(QColor(st.series(1)), width))  # Okabe-Ito orange
        half = width / 2
        p.drawRoundedRect(self.rect().adjusted(half, half, -half, -half), 6, 6)
        p.end()
