"""Issue 12 on the Bigram tab: Learn W trains in a child process (the window's GIL stays free)
and the trained W comes back into the tab's model; the matrix headers are painted once per
size and font, then blitted (drawing their 54 letters was ~50 ms of every repaint)."""
import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter

from playground import runner as runner_module
from playground.tabs.bigram.tab import BigramTab


@pytest.fixture
def tab(open_tab):
    tab = open_tab(BigramTab)
    assert tab.wait_until_loaded() and tab.data is not None
    return tab


@pytest.mark.skipif(not runner_module.can_fork(), reason="no fork() here: runs stay on a thread")
def test_learn_w_trains_in_a_child_and_w_comes_back(tab, qtbot, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_RUNNER", raising=False)
    page = tab.neural
    tab.show_page("learn")
    page.form.set_values({"lr": 10.0, "l2": 0.0, "steps": 50, "seed": 1})
    page.reset()
    before = page.run.model.W.copy()
    with qtbot.waitSignal(page.runner.finished, timeout=60_000):
        page.controls.start_button.click()
    if runner_module.mode() == "process":
        assert page.runner.last_how == "process"
    assert page.run.steps == 50
    assert not np.array_equal(page.run.model.W, before), "the trained W did not come back"
    assert np.allclose(page.run.shown.W, page.run.model.W)
    assert np.allclose(page.learned, page.run.model.probs())


def render(view) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    view.data.paint(painter, view.viewport().size(), view.geom(), view.text_scale(), (0, 0),
                    view.selected, view.hovered)
    painter.end()
    return image


def test_the_headers_are_painted_once_then_blitted(tab, qtbot):
    view = tab.matrix
    first = render(view)
    cached = view.data._header_cache
    assert cached is not None
    assert render(view) == first and view.data._header_cache is cached  # the same pixmap, reused
    view.set_selected(2, 3)  # a new mark: painted afresh
    marked = render(view)
    assert view.data._header_cache is not cached and marked != first
    view.data._header_cache = None
    assert render(view) == marked  # the cached picture is what painting afresh gives
