"""The Digits tab: drawing with the mouse, live prediction by the MLP and the CNN, clear/undo,
raw vs cleaned, saliency, File > Open of photos and weights (off the GUI thread), training in the
worker with Stop keeping the best weights, the inside views of both nets."""
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from models.core import checkpoint
from models.digits.cnn import CNN
from models.digits.net import MLP, MLPConfig
from models.digits.strokes import TEMPLATES
from playground.tabs.digits.tab import DigitsTab


@pytest.fixture
def tab(digits_tab):
    return digits_tab


def widget_point(canvas, x, y):
    """Canvas pixel (x, y) of the 280x280 drawing -> widget coordinates."""
    t = canvas._target()
    s = t.width() / canvas.resolution
    return QPointF(t.x() + x * s, t.y() + y * s)


def move(canvas, pos):
    event = QMouseEvent(QEvent.MouseMove, pos, canvas.mapToGlobal(pos), Qt.NoButton, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(canvas, event)


def draw(qtbot, canvas, points):
    """One stroke through canvas points with real mouse events: press, moves, release."""
    first = widget_point(canvas, *points[0])
    qtbot.mousePress(canvas, Qt.LeftButton, pos=first.toPoint())
    for x, y in points[1:]:
        move(canvas, widget_point(canvas, x, y))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=widget_point(canvas, *points[-1]).toPoint())


def polyline(stroke, box=(70, 40, 140, 200), step=6):
    """A template stroke (unit box) scaled into the canvas and cut into mouse-sized moves."""
    x0, y0, w, h = box
    pts = np.asarray(stroke) * [w, h] + [x0, y0]
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.arange(0, s[-1], step)
    return list(zip(np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])))


def test_a_drawing_made_with_the_mouse_is_read_by_both_nets(tab, qtbot):
    assert tab.nets["mlp"].config.sizes == (784, 800, 10) and isinstance(tab.net, CNN)  # the CNN reads
    assert tab.bars.top is None  # nothing drawn yet
    for stroke in TEMPLATES[7][1]:  # a crossed 7, in two strokes
        draw(qtbot, tab.canvas, polyline(stroke))
    assert len(tab.canvas.strokes) == 2
    assert tab.bars.top == 7 and tab.bars.probs[7] > 0.8
    assert tab.bars.other_top == 7 and tab.bars.names == ("CNN", "MLP")  # the MLP beside it
    tab.predictor_buttons["mlp"].setChecked(True)
    assert tab.net is tab.nets["mlp"] and tab.bars.top == 7
    assert tab.input.shape == (28, 28) and tab.input.max() == pytest.approx(1.0)
    ink = tab.canvas.array()
    edge = ink[(ink > 0) & (ink < 1)]
    assert edge.size > 100  # anti-aliased, not jagged
    assert tab.last_latency_ms > 0


def test_strokes_are_continuous_between_far_apart_events(tab, qtbot):
    draw(qtbot, tab.canvas, [(40, 140), (240, 140)])  # two events 200 px apart
    row = tab.canvas.array()[140, 40:240]
    assert row.min() > 0.9  # the line is drawn all the way, no gaps


def test_undo_clear_and_their_keys(tab, qtbot):
    draw(qtbot, tab.canvas, polyline(TEMPLATES[1][0][0]))
    draw(qtbot, tab.canvas, polyline(TEMPLATES[1][2][1]))
    assert len(tab.canvas.strokes) == 2
    tab.canvas.setFocus()
    qtbot.keyClick(tab.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert len(tab.canvas.strokes) == 1 and tab.bars.top == 1
    qtbot.keyClick(tab.canvas, Qt.Key_Delete)
    assert tab.canvas.is_empty() and tab.bars.top is None and not tab.canvas.array().any()
    draw(qtbot, tab.canvas, polyline(TEMPLATES[1][0][0]))
    qtbot.mouseClick(tab.canvas, Qt.RightButton, pos=widget_point(tab.canvas, 100, 100).toPoint())
    assert tab.canvas.is_empty()


def test_raw_view_and_saliency(tab, qtbot):
    tab.canvas.set_pen_width(14)
    draw(qtbot, tab.canvas, polyline(TEMPLATES[0][0][0], box=(10, 10, 60, 80)))  # small, in a corner
    centred = tab.input.copy()
    tab.raw_button.setChecked(True)
    raw = tab.input.copy()
    assert raw[:12, :12].sum() > 0.5 * raw.sum()  # raw: still in the corner
    assert centred[:12, :12].sum() < 0.2 * centred.sum()
    tab.centred_button.setChecked(True)
    assert tab.input_view.saliency is None
    tab.saliency_box.setChecked(True)
    grad = tab.input_view.saliency
    assert grad.shape == (28, 28) and np.abs(grad).max() > 0
    np.testing.assert_allclose(grad, tab.net.saliency(tab.input)[0])


def test_open_a_photo_dark_on_light(tab, tmp_path, qtbot):
    from models.digits.strokes import draw_digit

    ink = draw_digit(2, np.random.default_rng(5), size=200, height=0.7, width=14.0)
    gray = np.ascontiguousarray((235 - 200 * ink).astype(np.uint8))
    path = tmp_path / "two.png"
    assert QImage(gray.data, 200, 200, 200, QImage.Format_Grayscale8).save(str(path))
    messages = []
    tab.status_message.connect(messages.append)
    tab.open_file(str(path))  # read on a job thread
    qtbot.waitUntil(lambda: bool(messages) and "dark ink on light paper" in messages[-1], timeout=5000)
    assert tab.bars.top == 2


def test_bad_files_give_messages_and_keep_the_model(tab, tmp_path, qtbot):
    errors = []
    tab.error_raised.connect(errors.append)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    tab.open_file(str(junk))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "not an image" in errors[-1]
    before = tab.net
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros(3))
    tab.open_file(str(wrong))
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert "Kept the current model" in errors[-1] and tab.net is before


def test_save_and_load_weights_of_either_net(tab, tmp_path, qtbot):
    path = tmp_path / "mine.npz"
    tab.predictor_buttons["mlp"].setChecked(True)
    tab.save_weights(str(path))
    qtbot.waitUntil(lambda: path.is_file(), timeout=5000)
    small = tmp_path / "small.npz"
    checkpoint.save_model(small, MLP(MLPConfig((784, 16, 10))))
    assert tab.load_weights(str(small))
    qtbot.waitUntil(lambda: tab.net.config.sizes == (784, 16, 10), timeout=5000)
    assert "784-16-10" in tab.weights.status_label.text()
    cnn = tmp_path / "cnn.npz"
    checkpoint.save_model(cnn, CNN.tiny())
    tab.load_weights(str(cnn))  # a CNN file goes to the CNN and makes it the predictor
    qtbot.waitUntil(lambda: isinstance(tab.net, CNN) and tab.net.config.c1 == 2, timeout=5000)
    assert tab.nets["mlp"].config.sizes == (784, 16, 10)
    tab.load_weights(str(path))
    qtbot.waitUntil(lambda: tab.net is tab.nets["mlp"] and tab.net.config.sizes == (784, 800, 10), timeout=5000)


def tiny_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
    for k in range(10):
        x[y == k, 2 * k + 2:2 * k + 6, 4:24] = 255  # class k: a bar at its own height
    return x, y


def test_training_in_the_worker_then_stop_keeps_the_best(tab, qtbot):
    x, y = tiny_data()
    xt, yt = tiny_data(100, 1)
    tab.train_page.set_test_set(xt, yt)
    tab.train_page.form.set_values({"arch": "784-128-10", "epochs": 200, "batch_size": 32, "lr": 0.05,
                                    "augmentation": "none"})
    with qtbot.waitSignal(tab.runner.finished, timeout=40000):
        assert tab.train_page.start((x, y, xt, yt))
        assert not tab.train_page.form.editors["arch"].isEnabled()  # locked while training
        qtbot.waitUntil(lambda: len(tab.train_page.acc_plot.series("test")[0]) >= 3, timeout=30000)
        tab.runner.stop()
    best = max(tab.train_page.acc_plot.series("test")[1]) / 100
    assert best > 0.9
    assert tab.net.config.sizes == (784, 128, 10)
    assert tab.net.accuracy(xt.reshape(100, -1) / 255, yt) == pytest.approx(best)  # the best, kept
    assert tab.train_page.form.editors["arch"].isEnabled()
    assert tab.train_page.confusion.values.shape == (10, 10)


def test_the_cnn_trains_in_the_tab_too(tab, qtbot):
    from playground.tabs.digits.train_page import CNN_ARCH

    x, y = tiny_data(128)
    xt, yt = tiny_data(64, 1)
    tab.train_page.set_test_set(xt, yt)
    tab.predictor_buttons["mlp"].setChecked(True)
    tab.train_page.form.set_values({"arch": CNN_ARCH, "epochs": 2, "batch_size": 32, "lr": 0.05,
                                    "augmentation": "sloppy"})
    with qtbot.waitSignal(tab.runner.finished, timeout=60000):
        assert tab.train_page.start((x, y, xt, yt))
    assert isinstance(tab.net, CNN) and tab.predictor == "cnn"  # the trained CNN reads the drawings now
    assert len(tab.train_page.acc_plot.series("test")[0]) >= 1
    assert "% test" in tab.weights.status_label.text()


def test_clicking_a_misclassified_digit_loads_it(tab, qtbot):
    xt, yt = tiny_data(50, 2)
    tab.train_page.set_test_set(xt, yt)
    pred = (yt + 1) % 10
    tab.train_page.show_evaluation(np.eye(10, dtype=int), np.arange(5), pred[:5])
    tab.pages.setCurrentIndex(3)
    tab.train_page.gallery.tile_clicked.emit(3)
    assert tab.pages.currentIndex() == 0 and not tab.canvas.is_empty()
    assert tab.canvas.strokes == []


def test_inside_pages_show_both_nets(tab, qtbot):
    tab.draw_example()
    tab.pages.setCurrentIndex(1)
    assert len(tab.inside.weights.images) == 36
    assert len(tab.inside.activations.images) == 1
    tab.pages.setCurrentIndex(2)
    maps = tab.cnn_page.maps
    c1, c2 = tab.nets["cnn"].config.c1, tab.nets["cnn"].config.c2
    assert [len(images) for images in maps.images] == [c1, c1, c2, c2]  # every feature map
    assert len(tab.cnn_page.kernels.images) == c1
    rects = maps._layout()[2][1]  # conv2's maps
    qtbot.mouseClick(maps, Qt.LeftButton, pos=rects[5].center().toPoint())
    assert tab.cnn_page.unit[:2] == (2, 5)
    assert "conv2, map 5" in tab.cnn_page.story.text() and "bias" in tab.cnn_page.story.text()
    assert len(tab.cnn_page.kernels.images) == c1  # the kernels conv2 map 5 applies to each conv1 map
    assert tab.cnn_page.field.field is not None
    before = [m.copy() for m in maps.maps]
    tab.canvas.clear()
    tab.draw_example()  # the maps follow the drawing
    assert any(not np.array_equal(a, b) for a, b in zip(before, maps.maps))


def test_a_stray_dot_is_dropped_and_shown(tab, qtbot):
    draw(qtbot, tab.canvas, polyline(TEMPLATES[7][0][0], box=(90, 60, 100, 150)))
    clean = tab.input.copy()
    tab.canvas.set_pen_width(12)
    draw(qtbot, tab.canvas, [(20, 260), (22, 262)])  # an accidental click in a corner
    assert tab.prepared.pieces_dropped == 1 and tab.canvas._overlay is not None
    assert "dropped 1 speck" in tab.input_note.text()
    assert np.abs(tab.input - clean).max() < 0.05  # the net sees the 7 as before
    assert tab.bars.top == 7


def test_the_main_window_has_the_real_tab(main_window, qtbot):
    tab = main_window.show_tab("digits")
    assert isinstance(tab, DigitsTab)
    qtbot.waitUntil(lambda: tab.net is not None, timeout=10000)
    assert main_window.open_action.isEnabled()
