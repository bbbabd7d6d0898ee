"""The mouse wheel scrolls the panel under it, and changes a spin box or combo box only when the
user has clicked into it first (the usual Qt fix): scrolling down a side panel must never change
a model's shape under the pointer and throw a trained model away."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar

GUARDED = (QAbstractSpinBox, QComboBox, QAbstractSlider)


class WheelGuard(QObject):
    def eventFilter(self, obj, event):
        if isinstance(obj, QScrollBar):  # scroll bars always scroll
            return False
        if event.type() == QEvent.Wheel and not obj.hasFocus():
            area = _scroll_area_of(obj)
            if area is not None:  # the panel scrolls as if the box were not there
                viewport = area.viewport()
                pos = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
                QCoreApplication.sendEvent(viewport, QWheelEvent(
                    pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(), event.buttons(),
                    event.modifiers(), event.phase(), event.inverted()))
            return True
        return False


def _scroll_area_of(widget):
    w = widget.parentWidget()
    while w is not None and not isinstance(w, QAbstractScrollArea):
        w = w.parentWidget()
    return w


_guard = None


def guard_tree(root) -> None:
    """Guard every spin box, combo box and slider below `root` (idempotent, cheap: a C++ walk).
    Per widget, not an application-wide filter: an app filter would run Python for every event
    of the app and queue the GUI thread behind busy workers for the GIL."""
    global _guard
    if _guard is None:
        _guard = WheelGuard()
    for cls in GUARDED:
        for w in root.findChildren(cls):
            if isinstance(w, QScrollBar) or w.property("wheel_guarded"):
                continue
            w.setProperty("wheel_guarded", True)
            if w.focusPolicy() & Qt.WheelFocus == Qt.WheelFocus:
                w.setFocusPolicy(Qt.StrongFocus)  # the wheel must not give them focus either
            w.installEventFilter(_guard)
