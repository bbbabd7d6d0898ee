"""The Attention tab's character map: letters whose points bunch up are moved apart, so that
each can be read, with a line back to its point; a letter with room stays on its point."""
import numpy as np
from PySide6.QtGui import QFontMetricsF

from playground.tabs.attention.embeddings import TokenMap


def test_bunched_letters_are_moved_apart_and_keep_a_line_to_their_point(qtbot):
    view = TokenMap()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(0, 0.02, (26, 2)), [[1.0, 1.0]]])  # a cluster and the loner '.'
    view.set_points(xy, list("abcdefghijklmnopqrstuvwxyz."), (0.2, 0.1))
    qtbot.wait(50)
    vb = view.getPlotItem().getViewBox()
    metrics = QFontMetricsF(view.labels[0].textItem.font())
    centres = np.array([[p.x(), p.y()] for p in (vb.mapViewToScene(label.pos()) for label in view.labels)])
    sizes = np.array([[metrics.horizontalAdvance(t), metrics.ascent()] for t in view.texts])  # glyphs, in pixels
    for i in range(len(centres)):
        for j in range(i + 1, len(centres)):
            apart = np.abs(centres[i] - centres[j]) - (sizes[i] + sizes[j]) / 2
            assert apart.max() > -1, (view.texts[i], view.texts[j])  # apart along one axis at least
    assert np.allclose(view.labels[-1].pos().x(), 1.0) and np.allclose(view.labels[-1].pos().y(), 1.0)
    x, _ = view.leaders.getData()
    assert x is not None and len(x) >= 2 * 20  # most of the cluster moved, each with its line
    assert len(view.dots.data) == len(x) // 2
