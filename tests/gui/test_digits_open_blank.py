"""Issue 20 on the Digits tab: opening a picture that reads as blank (all white, all black, all
transparent) never replaces the drawing: a one-line message, the strokes kept. Ink on a
transparent background reads as ink on paper; a huge picture is refused from its header."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from models.digits.strokes import TEMPLATES
from tests.gui.test_digits_tab import draw, polyline


@pytest.fixture
def tab(digits_tab):
    return digits_tab


def filled(path, fmt, colour):
    image = QImage(200, 200, fmt)
    image.fill(colour)
    assert image.save(str(path))
    return str(path)


@pytest.mark.parametrize("kind", ["white", "black", "transparent"])
def test_a_blank_picture_keeps_the_drawing(tab, qtbot, tmp_path, kind):
    fmt = QImage.Format_ARGB32 if kind == "transparent" else QImage.Format_RGB32
    colour = QColor(0, 0, 0, 0) if kind == "transparent" else QColor(kind)
    path = filled(tmp_path / f"{kind}.png", fmt, colour)
    for stroke in TEMPLATES[7][1]:
        draw(qtbot, tab.canvas, polyline(stroke))
    before = tab.canvas.array().copy()
    errors, messages = [], []
    tab.error_raised.connect(errors.append)
    tab.status_message.connect(messages.append)
    tab.open_file(path)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "reads as blank" in errors[-1] and "kept your drawing" in errors[-1] and "\n" not in errors[-1]
    assert len(tab.canvas.strokes) == 2 and np.array_equal(tab.canvas.array(), before)
    assert tab.bars.top == 7 and not any("Opened" in m for m in messages)


def test_ink_on_a_transparent_background_reads_as_ink(tab, qtbot, tmp_path):
    image = QImage(200, 200, QImage.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    p = QPainter(image)
    p.setPen(QPen(QColor("black"), 14, Qt.SolidLine, Qt.RoundCap))
    p.drawLine(QPointF(100, 30), QPointF(100, 170))  # a 1
    p.end()
    path = tmp_path / "one.png"
    assert image.save(str(path))
    messages = []
    tab.status_message.connect(messages.append)
    tab.open_file(str(path))
    qtbot.waitUntil(lambda: any("Opened" in m for m in messages), timeout=10000)
    assert "dark ink on light paper" in messages[-1]
    assert tab.canvas.array().max() > 0.9 and tab.bars.top == 1


def test_a_huge_picture_is_refused_from_its_header(tab, qtbot, tmp_path):
    image = QImage(10000, 10000, QImage.Format_Mono)  # 12.5 MB in memory, a small file
    image.fill(1)
    path = tmp_path / "huge.png"
    assert image.save(str(path))
    errors = []
    tab.error_raised.connect(errors.append)
    tab.open_file(str(path))
    qtbot.waitUntil(lambda: bool(errors), timeout=20000)
    assert "too large: 10000×10000" in errors[-1]


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing"])
def test_a_picture_that_is_not_a_file_is_one_line_and_never_blocks(tab, qtbot, tmp_path, kind):
    import os

    path = tmp_path / "picture.png"
    if kind == "fifo":
        os.mkfifo(path)  # nobody writes: a plain open() would wait for ever
    elif kind == "folder":
        path.mkdir()
    errors = []
    tab.error_raised.connect(errors.append)
    tab.open_file(str(path))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "picture.png" in errors[-1] and "\n" not in errors[-1]
    assert not tab.jobs.is_busy()
