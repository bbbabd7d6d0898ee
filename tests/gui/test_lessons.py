"""Lessons in the app: a round trip of every tab's state (controls, weights, curves, drawing,
selection, graph step, page, hidden controls, presentation mode) into a fresh window; damaged
lessons that open what they can; the script bar; the menus; `playground FILE.playground`;
`shot --lesson`; and the Journey view."""
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from models.core import checkpoint
from playground import registry
from playground import style as app_style
from playground.lessons import widget_state
from playground.lessons.fileformat import Step, read_lesson
from playground.lessons.session import lesson_tabs
from playground.main_window import MainWindow
from playground.tabs.placeholder import PlaceholderTab
from playground.widgets.run_controls import RunControls

TIMEOUT = 120_000


def settle(qtbot, window, timeout=TIMEOUT):
    """Wait until no tab has work in flight (checked a few times: a result may start more work)."""
    quiet = [0]

    def calm():
        busy = any(t.busy() or t.is_training() for t in window.built_tabs()) or window.lessons.busy()
        quiet[0] = 0 if busy else quiet[0] + 1
        return quiet[0] >= 5

    qtbot.waitUntil(calm, timeout=timeout)


def new_window(qtbot):
    window = MainWindow(restore=False)
    window.setAttribute(Qt.WA_DeleteOnClose)  # deleted in order when the test closes it, not by the GC later
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    return window


def save(qtbot, window, path, **kw):
    result = []
    window.lessons.session.saved.connect(lambda p, notes: result.append(notes))
    window.lessons.session.failed.connect(lambda message: result.append(["failed: " + message]))
    assert window.lessons.save(str(path), **kw)
    qtbot.waitUntil(lambda: bool(result), timeout=TIMEOUT)
    return result[0]


def open_lesson(qtbot, window, path):
    result = []
    window.lessons.session.opened.connect(lambda lesson, notes: result.append(notes))
    window.lessons.session.failed.connect(lambda message: result.append(["failed: " + message]))
    window.open_lesson(str(path))
    qtbot.waitUntil(lambda: bool(result), timeout=TIMEOUT)
    return result[0]


def step_once(qtbot, window, tab):
    """One training step through the tab's first Step button, as a user would press it."""
    for _, w in widget_state.walk(tab):
        if isinstance(w, RunControls) and w.step_button is not None and w.step_button.isEnabled():
            w.step_button.click()
            settle(qtbot, window)
            return True
    return False


def weights_arrays(raw: bytes) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "w.npz"
        path.write_bytes(raw)
        arrays, _ = checkpoint.read(path)
    return arrays


def assert_same(a, b):
    """Two saved lessons carry the same state for every tab."""
    assert set(a.tabs) == set(b.tabs)
    for name in a.tabs:
        ta, tb = a.tabs[name], b.tabs[name]
        assert (ta.page, ta.page_index, ta.clean) == (tb.page, tb.page_index, tb.clean), name
        va = {w["path"]: w["value"] for w in ta.widgets}
        vb = {w["path"]: w["value"] for w in tb.widgets}
        assert va == vb, f"{name}: {[(k, va[k], vb.get(k)) for k in va if va[k] != vb.get(k)]}"
        assert ta.extra == tb.extra, name
        assert ta.arrays.keys() == tb.arrays.keys(), name
        for k in ta.arrays:
            np.testing.assert_array_equal(ta.arrays[k], tb.arrays[k])
        ca = {c.plot: c.series for c in ta.curves}
        cb = {c.plot: c.series for c in tb.curves}
        assert ca.keys() == cb.keys(), name
        for plot in ca:
            assert ca[plot].keys() == cb[plot].keys(), (name, plot)
            for s in ca[plot]:
                np.testing.assert_allclose(ca[plot][s][0], cb[plot][s][0])
                np.testing.assert_allclose(ca[plot][s][1], cb[plot][s][1])
        assert ta.weights.keys() == tb.weights.keys(), name
        for box in ta.weights:
            wa, wb = weights_arrays(ta.weights[box]), weights_arrays(tb.weights[box])
            assert wa.keys() == wb.keys(), (name, box)
            for k in wa:
                np.testing.assert_array_equal(wa[k], wb[k])


def set_non_default_state(qtbot, window):
    """Something other than the defaults in every tab."""
    for spec in registry.TABS:
        tab = window.show_tab(spec.name)
        settle(qtbot, window)
    autograd = window.tab("autograd")
    page = autograd.graph_page
    page.check_box.setChecked(True)
    for _ in range(3):
        page.backward_step()
    page.view.node_clicked.emit(1)
    step_once(qtbot, window, autograd)  # the tiny MLP: weights and a loss curve

    bigram = window.tab("bigram")
    bigram.smoothing_slider.setValue(3)
    bigram.mode_buttons.button(2).setChecked(True)
    bigram.matrix.cell_clicked.emit(1, 14)
    bigram.sampler.name_edit.setText("andrej")
    bigram.show_page("learn")
    bigram.neural.start(max_steps=3)
    settle(qtbot, window)
    bigram.show_page("sample")

    names = window.tab("names")
    step_once(qtbot, window, names)
    names.show_page(names.page_keys()[1])

    digits = window.tab("digits")
    drawing = np.zeros((28, 28), np.float32)
    drawing[6:22, 12:16] = 1.0  # a 1
    digits.canvas.set_image(drawing)
    digits.pages.setCurrentIndex(2)  # a page whose key repeats ("inside" twice)

    attention = window.tab("attention")
    attention.text_edit.setText("emm")
    settle(qtbot, window)
    maps = attention.heads.grid.maps
    attention.heads.head_selected.emit(maps.shape[0] - 1, maps.shape[1] - 1)
    attention.show_page("step")
    step_once(qtbot, window, attention)

    for spec in registry.TABS:  # one spin box one step up and one check box flipped, wherever they are
        tab = window.tab(spec.name)
        kinds = {}
        for _, w in widget_state.walk(tab):
            kinds.setdefault(type(w).__name__, w)
        spin = kinds.get("QSpinBox")
        if spin is not None and spin.isEnabled():
            spin.stepUp()
        settle(qtbot, window)
    window.set_clean(window.tab("digits"), True)  # View > Hide controls on one tab
    window.set_style(app_style.current().with_(presentation=True))
    window.show_tab("bigram")
    settle(qtbot, window)


def test_a_lesson_round_trips_every_tab_into_a_fresh_window(qtbot, tmp_path):
    first = new_window(qtbot)
    set_non_default_state(qtbot, first)
    built = [t for t in first.built_tabs() if not isinstance(t, PlaceholderTab)]
    assert [t.name for t in built] == list(registry.names()), "every tab must build for a lesson to hold it"
    path = tmp_path / "every-tab.playground"
    assert save(qtbot, first, path) == []
    bigram_W = first.tab("bigram").neural.run.model.W.copy()
    first.shutdown()
    app_style_before = app_style.current()
    from playground import theme
    theme.apply(app_style.Style())  # the second window starts plain

    second = new_window(qtbot)
    notes = open_lesson(qtbot, second, path)
    assert notes == []
    assert app_style.current().presentation and second.current_tab().name == "bigram"
    assert [t.name for t in lesson_tabs(second)] == list(registry.names())
    again = tmp_path / "again.playground"
    assert save(qtbot, second, again) == []
    a, _ = read_lesson(path)
    b, _ = read_lesson(again)
    assert a.tabs["digits"].clean and b.tabs["digits"].clean
    assert a.tabs["bigram"].extra["selected"] == [1, 14] and "drawing" in a.tabs["digits"].arrays
    assert a.tabs["autograd"].extra["steps"] == 3
    assert_same(a, b)
    # and the live objects, not only their saved image
    np.testing.assert_array_equal(second.tab("bigram").neural.run.model.W, bigram_W)
    assert second.tab("autograd").graph_page.step_count == 3
    assert second.tab("bigram").selected == (1, 14)
    assert second.tab("digits").pages.currentIndex() == 2
    assert app_style_before.presentation
    second.shutdown()


# -- damaged lessons ---------------------------------------------------------------------------

@pytest.fixture
def small_lesson(qtbot, tmp_path):
    """A lesson of the Autograd (with weights) and Bigram tabs, with a two-step script."""
    path = tmp_path / "small.playground"
    window = new_window(qtbot)
    window.show_tab("bigram")
    settle(qtbot, window)
    window.tab("bigram").smoothing_slider.setValue(4)
    window.tab("bigram").matrix.cell_clicked.emit(2, 3)
    script = [Step("Sample", "Names from the counts.", "bigram", "sample", ""),
              Step("The graph", "", "autograd", "graph", "nowhere/QPushButton[9]")]
    assert save(qtbot, window, path, script=script) == []
    window.shutdown()
    return path


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in members:
            data = change(name, data)
            if data is not None:
                z.writestr(name, data)
    return dst


def _newer(name, data):
    if name != "lesson.json":
        return data
    header = json.loads(data)
    header["version"] = 99
    header["tabs"]["bigram"]["widgets"].append({"path": "Gone/QSpinBox", "kind": "int", "value": 7})
    header["tabs"]["hologram"] = {"page": "x"}
    return json.dumps(header)


@pytest.mark.parametrize("damage", ["truncated", "newer", "missing"])
def test_a_damaged_lesson_opens_what_it_can_and_says_what_it_skipped(qtbot, tmp_path, small_lesson, damage):
    path = tmp_path / f"{damage}.playground"
    if damage == "truncated":
        raw = small_lesson.read_bytes()
        last = zipfile.ZipFile(small_lesson).infolist()[-1]  # a weights file: lesson.json is first
        path.write_bytes(raw[:last.header_offset + 40])  # cut inside the last part
    elif damage == "newer":
        _rewrite(small_lesson, path, _newer)
    else:
        _rewrite(small_lesson, path, lambda name, data: None if "weights" in name else data)
    window = new_window(qtbot)
    notes = open_lesson(qtbot, window, path)
    assert notes and not any(n.startswith("failed") for n in notes)
    text = " ".join(notes)
    expected = {"truncated": "cut short", "newer": "newer Playground", "missing": "Autograd tab's weights"}
    assert expected[damage] in text
    if damage == "newer":
        assert "hologram" in text and "does not have" in text
    bigram = window.tab("bigram")  # what could be read is there
    assert bigram.smoothing_slider.value() == 4 and bigram.selected == (2, 3)
    assert window.isVisible() and window.lessons.bar.isVisible()
    window.shutdown()


def test_a_file_that_is_not_a_lesson_is_one_message(qtbot, tmp_path):
    path = tmp_path / "nope.playground"
    path.write_text("hello")
    window = new_window(qtbot)
    notes = open_lesson(qtbot, window, path)
    assert notes[0].startswith("failed") and "not a Playground lesson" in window.last_error
    assert not window.lessons.busy() and window.isVisible()
    window.shutdown()


def test_a_tab_that_changed_costs_only_its_own_part(qtbot, tmp_path, monkeypatch):
    """A stand-in that no longer fits its tab (tab_extras) loses that part, with a sentence."""
    from playground.lessons import tab_extras

    def broken(tab, *args):
        raise AttributeError("no such widget")

    window = new_window(qtbot)
    window.show_tab("bigram")
    settle(qtbot, window)
    window.tab("bigram").smoothing_slider.setValue(2)
    monkeypatch.setitem(tab_extras._EXTRAS, "bigram", (broken, broken))
    path = tmp_path / "partly.playground"
    notes = save(qtbot, window, path)
    assert len(notes) == 1 and "Bigram tab's selection and drawing were not saved" in notes[0]
    lesson, skipped = read_lesson(path)
    assert skipped == [] and lesson.tabs["bigram"].extra == {}
    assert {w["value"] for w in lesson.tabs["bigram"].widgets if w["path"].endswith("QSlider")} == {2}
    window.shutdown()


def test_named_controls_and_a_tabs_one_plot_survive_a_layout_change(qtbot):
    """Paths come from the widget tree; a named control (a ControlsForm field), a control whose
    last path segment is unique, or the one loss plot of a tab, is still found after its box
    moves; an unnamed one that two boxes now hold is not guessed."""
    from PySide6.QtWidgets import QDoubleSpinBox, QGroupBox, QSpinBox, QVBoxLayout, QWidget

    from playground.widgets.loss_plot import LossPlot

    def build(extra_box: bool):
        root = QWidget()
        qtbot.addWidget(root)
        parent = QGroupBox(root) if extra_box else root
        QVBoxLayout(root).addWidget(parent) if extra_box else None
        lr = QDoubleSpinBox(parent)
        lr.setObjectName("lr")
        lr.setRange(0, 10)
        QSpinBox(parent)  # unnamed
        LossPlot(parent)
        if extra_box:  # a second box with an unnamed spin box too: which one is meant is unknown
            other = QGroupBox(root)
            root.layout().addWidget(other)
            QSpinBox(other)
        return root

    old = build(False)
    old.findChild(QDoubleSpinBox, "lr").setValue(0.25)
    old.findChild(QSpinBox).setValue(7)
    old.findChild(LossPlot).set_series("train", [1, 2], [3.0, 2.5])
    saved, curves = widget_state.capture_widgets(old), widget_state.capture_curves(old)
    new = build(True)
    notes = widget_state.restore_widgets(new, saved) + widget_state.restore_curves(new, curves)
    assert new.findChild(QDoubleSpinBox, "lr").value() == 0.25
    assert new.findChild(LossPlot).series("train")[1].tolist() == [3.0, 2.5]
    assert [w.value() for w in new.findChildren(QSpinBox)] == [0, 0]
    assert notes == ["1 control(s) this version does not have: QSpinBox."]


# -- the script ----------------------------------------------------------------------------------
