"""Issue 20 on the Autograd tab: a heavy expression (the issue's 190 terms froze the window
4-8 s) is laid out in a job that shows its progress over the graph; a newer graph cancels it,
and its late result never replaces what is on screen. A run whose loss diverges stops with a
message and keeps the last finite weights."""
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from playground.tabs.autograd.graph_build import SYNC_NODES
from playground.tabs.autograd.tab import AutogradTab

HEAVY = "a = 1.5\nb = -0.5\ny = " + " + ".join(f"tanh(a*{i % 7 + 1}.0 - b)" for i in range(190))


@pytest.fixture
def tab(open_tab):
    return open_tab(AutogradTab)


@pytest.fixture
def page(tab):
    return tab.graph_page


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
    assert percents and percents == sorted(percents)  # progress was shown, and only went forward
    assert longest < 2.0  # the window kept answering while the job ran (margin for a busy machine)


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


def test_a_diverging_run_stops_with_a_message_and_keeps_finite_weights(tab, qtbot):
    page = tab.train_page
    page.data_box.points.setValue(40)
    page.training.loss.setCurrentIndex(page.training.loss.findData("mse"))
    page.training.decay.setChecked(False)
    page.training.lr.setValue(10.0)  # far too large for MSE: the loss blows up in ~70 steps
    errors = []
    tab.error_raised.connect(errors.append)
    with qtbot.waitSignal(tab.runner.finished, timeout=120000):
        page.run_controls.start_button.click()
    assert errors and "diverged at step" in errors[-1] and "Traceback" not in errors[-1]
    assert page.status.text().startswith("Stopped: the loss diverged")
    weights = page.model.state_dict()
    assert all(np.isfinite(a).all() for a in weights.values())
    assert page.step > 0 and np.isfinite(page.view_.grid).all()
