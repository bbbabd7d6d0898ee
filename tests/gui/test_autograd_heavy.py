"""Issue 20 on the Graph page: a heavy expression (the issue's 190 terms froze the window 4-8 s)
is laid out in a job that shows its progress over the graph; a newer graph cancels it, and its
late result never replaces what is on screen."""
import time

import pytest
from PySide6.QtWidgets import QApplication

from playground.tabs.autograd.graph_build import SYNC_NODES
from playground.tabs.autograd.tab import AutogradTab

HEAVY = "a = 1.5\nb = -0.5\ny = " + " + ".join(f"tanh(a*{i % 7 + 1}.0 - b)" for i in range(190))


@pytest.fixture
def page(open_tab):
    return open_tab(AutogradTab).graph_page


def test_a_heavy_expression_is_laid_out_in_a_job_with_progress(page, qtbot):
    page.preset.setCurrentText("Your own…")
    page.editor.setPlainText(HEAVY)
    seen, longest = [], 0.0
    with qtbot.waitSignal(page.graph_shown, timeout=60000):
        assert page.build()  # returns at once: the layout runs in a job
        assert page.view.busy_label.isVisible() and "Laying out" in page.view.busy_label.text()
        last = time.perf_counter()
        before, deadline = page.graph, time.perf_counter() + 60
        while page.graph is before and time.perf_counter() < deadline:
            QApplication.processEvents()
            now = time.perf_counter()
            if page.graph is before:  # still laying out (drawing the result is not counted)
                longest = max(longest, now - last)
                seen.append(page.view.busy_label.text())
            last = now
    assert len(page.view.nodes) > 2000 > SYNC_NODES
    assert not page.view.busy_label.isVisible()
    percents = [int(t.split("… ")[1].rstrip("%")) for t in seen if "%" in t]
    assert percents and percents == sorted(percents) and max(percents) >= 50  # it moved
    assert longest < 1.0  # the window kept answering while the job ran


def test_a_newer_graph_cancels_the_layout_of_an_older_one(page, qtbot):
    page.preset.setCurrentText("Your own…")
    page.editor.setPlainText(HEAVY)
    assert page.build()
    assert page.jobs.is_busy("layout")
    page.load_preset("Worked example (x = 2)")  # small: shown at once, the big job cancelled
    assert not page.view.busy_label.isVisible()
    small = page.graph
    qtbot.waitUntil(lambda: not page.jobs.is_busy(), timeout=30000)
    QApplication.processEvents()
    assert page.graph is small and page.view.values[-1] is small.root and len(page.view.nodes) < 40
