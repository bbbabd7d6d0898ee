"""A heatmap says when it is empty (no meaningless axes), and hides numbers that do not fit their
cells at a readable size instead of letting them run together."""
import numpy as np
from PySide6.QtWidgets import QApplication

from playground import style as app_style
from playground import theme
from playground.widgets.heatmap import Heatmap


def test_an_empty_heatmap_shows_a_sentence_not_axes(qtbot):
    h = Heatmap(title="Nothing yet")
    qtbot.addWidget(h)
    h.resize(500, 400)
    h.show()
    assert h.empty_text.isVisible()
    assert not h.plot.getAxis("left").style["showValues"]
    h.set_matrix(np.eye(3), list("abc"), list("abc"))
    assert not h.empty_text.isVisible() and h.plot.getAxis("left").style["showValues"]


def visible_texts(h):
    return sum(t.isVisible() for t in h._texts)


def test_cell_numbers_hide_when_they_do_not_fit(qtbot):
    h = Heatmap()
    qtbot.addWidget(h)
    h.resize(900, 900)
    h.show()
    values = np.arange(9.0).reshape(3, 3) * 1000
    h.set_matrix(values, list("abc"), list("abc"), cell_text=[[f"{v:.0f}" for v in row] for row in values])
    QApplication.processEvents()
    assert visible_texts(h) == 9
    big = np.arange(27 * 27.0).reshape(27, 27) * 1000
    h.set_matrix(big, cell_text=[[f"{v:.0f}" for v in row] for row in big])
    h.resize(400, 400)
    QApplication.processEvents()
    assert visible_texts(h) == 0  # 27 numbers of 6 digits across 400 px cannot be read


def test_presentation_mode_hides_numbers_rather_than_shrink_them(qtbot):
    h = Heatmap(cell_font_scale=0.6)  # 0.6 x 24.5 px is under the back row's 20 px
    qtbot.addWidget(h)
    h.resize(900, 900)
    h.show()
    values = np.ones((3, 3))
    theme.apply(app_style.Style(presentation=True))
    h.set_matrix(values, cell_text=[["1"] * 3] * 3)
    QApplication.processEvents()
    assert visible_texts(h) == 0
