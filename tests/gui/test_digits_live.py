"""Issue 12 on the Digits tab: a run trains in a child process; each report updates only what
shows (a hidden Train page catches up when shown), the weights cross only at view rate, and the
drawing is read with the newest weights while the run goes on."""
import numpy as np
import pytest

from tests.gui.test_digits_tab import tiny_data


@pytest.fixture
def tab(digits_tab):
    return digits_tab


def test_reports_update_what_shows_and_the_drawing_reads_the_live_weights(tab, qtbot):
    page = tab.train_page
    x, y = tiny_data(4096)  # 200 epochs of batches of 4: the run outlasts the test on any machine
    xt, yt = tiny_data(100, 1)
    page.set_test_set(xt, yt)
    page.form.set_values({"arch": "784-128-10", "epochs": 200, "batch_size": 4, "lr": 0.01,
                          "augmentation": "none"})
    tab.show_page("train")
    reports = []
    tab.runner.reported.connect(reports.append)
    assert page.start((x, y, xt, yt))
    assert tab.runner.last_how == "process"  # the GIL of the window stays free
    qtbot.waitUntil(lambda: len(reports) >= 20 and len(page.loss_plot.series("train")[0]) >= 20, timeout=60000)
    assert tab.nets["mlp"] is page.live_net and page.live_state is not None  # kept back: no page reads them

    tab.draw_example()
    tab.show_page("draw")  # the newest weights arrive at once for the drawing
    assert page.live_state is None
    seen = len(page.loss_plot.series("train")[0])
    qtbot.waitUntil(lambda: len(page.losses[0]) > seen + 20, timeout=60000)
    assert len(page.loss_plot.series("train")[0]) == seen and "loss" in page.stale  # hidden: not drawn
    before = page.live_net.W[0].copy()
    qtbot.waitUntil(lambda: not np.array_equal(page.live_net.W[0], before), timeout=60000)  # live while drawing
    net = tab.nets["mlp"]
    assert net is page.live_net and tab.predictor == "mlp"
    np.testing.assert_allclose(tab.bars.probs, net.predict_proba(tab.input[None])[0], atol=1e-6)

    tab.show_page("train")  # the curves catch up, whole
    assert "loss" not in page.stale
    assert len(page.loss_plot.series("train")[0]) == len(page.losses[0])
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.runner.stop()
    assert tab.nets["mlp"] is not None and tab.nets["mlp"].config.sizes == (784, 128, 10)


def test_mid_stroke_the_nets_read_at_a_bounded_rate_and_the_end_at_once(tab, qtbot):
    from PySide6.QtCore import Qt

    from models.digits.strokes import TEMPLATES
    from tests.gui.test_digits_tab import move, polyline, widget_point

    reads = []
    refresh = tab.refresh
    tab.refresh = lambda *a, **k: (reads.append(1), refresh(*a, **k))
    points = polyline(TEMPLATES[1][0][0], step=2)  # many small moves, as a fast mouse sends them
    canvas = tab.canvas
    qtbot.mousePress(canvas, Qt.LeftButton, pos=widget_point(canvas, *points[0]).toPoint())
    for x, y in points[1:]:
        move(canvas, widget_point(canvas, x, y))
    assert len(reads) < len(points) / 2  # coalesced: not one reading per mouse event
    n = len(reads)
    qtbot.waitUntil(lambda: len(reads) > n, timeout=5000)  # the pending reading comes without more input
    assert tab.bars.top is not None  # read while the button is still down
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=widget_point(canvas, *points[-1]).toPoint())
    np.testing.assert_array_equal(tab.input, tab.prepared.image)
    from models.digits.preprocess import prepare
    np.testing.assert_allclose(tab.input, prepare(canvas.array()).image)  # the whole stroke, read at its end
    assert tab.bars.top == 1
