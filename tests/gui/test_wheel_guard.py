"""Scrolling over a side panel never changes the spin boxes under the pointer."""
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from playground import wheel_guard
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QSpinBox, QVBoxLayout, QWidget


def wheel(widget, dy=-120):
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, dy),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_not_the_unfocused_boxes(qtbot):
    inner = QWidget()
    layout = QVBoxLayout(inner)
    spin, combo = QSpinBox(), QComboBox()
    spin.setRange(0, 100)
    spin.setValue(3)
    combo.addItems(["a", "b", "c"])
    layout.addWidget(spin)
    layout.addWidget(combo)
    layout.addSpacing(2000)
    area = QScrollArea()
    area.setWidget(inner)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    wheel_guard.guard_tree(area)
    wheel(spin)
    wheel(combo)
    assert spin.value() == 3 and combo.currentIndex() == 0
    assert area.verticalScrollBar().value() > 0  # the panel scrolled instead
    spin.setFocus()
    QApplication.processEvents()
    if spin.hasFocus():  # offscreen windows may not take focus; when they do, the wheel works
        wheel(spin, 120)
        assert spin.value() == 4


def test_the_boxes_do_not_take_focus_from_the_wheel(qtbot):
    box = QWidget()
    spin = QSpinBox(box)
    qtbot.addWidget(box)
    wheel_guard.guard_tree(box)
    assert spin.focusPolicy() & Qt.WheelFocus != Qt.WheelFocus
