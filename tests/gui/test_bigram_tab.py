"""The Bigram tab: the matrix, its modes and smoothing, cells, NLL, sampling, scoring, File >
Open (good and bad files), and the neural bigram trained in the worker."""
import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from playground import export
from playground import style as app_style
from playground import theme
from playground.tabs.bigram.matrix import MatrixView
from playground.tabs.bigram.state import BigramData, cell_values, load_data
from playground.tabs.bigram.tab import BigramTab

SMALL = ["emma", "ava", "anna", "bob", "eve", "abba", "hannah", "ann", "olivia", "liam"]


@pytest.fixture
def tab(open_tab):
    tab = open_tab(BigramTab)
    assert tab.wait_until_loaded() and tab.data is not None  # the default list loads as a job
    return tab


def open_and_wait(tab, qtbot, path):
    """File > Open… and wait for the load job to finish (its result or its error delivered)."""
    tab.open_file(str(path))
    qtbot.waitUntil(lambda: not tab.jobs.is_busy("load"), timeout=20_000)
    tab.wait_until_loaded()


def small_tab(tab):
    tab.set_data(BigramData.build(SMALL, "small.txt"))
    return tab


# -- the count model -------------------------------------------------------------------------

def test_defaults_show_the_shipped_names(tab):
    assert tab.data.model.counts.shape == (27, 27)
    assert tab.matrix.data.shape == (27, 27)
    assert "32,033 words" in tab.source_label.text()
    assert tab.nll_labels["all"].text() == "<b>2.4538</b>"
    assert tab.nll_labels["val"].text() == "∞"  # a val pair unseen in train
    assert tab.matrix.data.text[1, 14] == "an\n5367"


def test_modes_and_smoothing(tab):
    tab.mode_buttons.button(1).setChecked(True)
    assert tab.mode == "probabilities"
    assert tab.matrix.data.text[1, 14] == "an\n16%"
    assert np.allclose(tab.matrix.data.values.sum(axis=1), 1.0)
    tab.mode_buttons.button(2).setChecked(True)
    assert tab.matrix.data.text[17, 17] == "qq\n−∞"
    tab.smoothing_slider.setValue(3)  # k = 1
    assert tab.smoothing == 1.0 and "k = 1" in tab.smoothing_label.text()
    assert tab.nll_labels["all"].text() == "<b>2.4544</b>"
    assert tab.nll_labels["val"].text() not in ("∞", "–") and tab.nll_note.text() == ""
    assert "−∞" not in tab.matrix.data.text[17, 17]
    tab.mode_buttons.button(0).setChecked(True)
    assert tab.matrix.data.text[17, 17] == "qq\n1"  # the count plus k


def test_hover_and_click_tell_the_cell(tab, qtbot):
    view = tab.matrix
    pos = view.cell_center(1, 14)  # row 'a', column 'n'
    assert view.cell_at(QPointF(pos)) == (1, 14)
    with qtbot.waitSignal(view.cell_clicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=pos)
    assert clicked.args == [1, 14]
    text = tab.cell_label.text()
    assert "5,367" in text and "0.1576" in text and "anna" in text
    qtbot.mouseMove(view.viewport(), view.cell_center(0, 0))
    qtbot.waitUntil(lambda: view.hovered == (0, 0))
    assert "empty word" in tab.cell_label.text()


def test_arrow_keys_move_the_selection(tab, qtbot):
    tab.matrix.setFocus()
    tab.matrix.set_selected(1, 1)
    qtbot.keyClick(tab.matrix, Qt.Key_Right)
    qtbot.keyClick(tab.matrix, Qt.Key_Down)
    assert tab.selected == (2, 2) and "bb" in tab.cell_label.text()


def test_sampling_is_reproducible(tab):
    tab.sampler.count_box.setValue(15)
    tab.sampler.seed_box.setValue(7)
    first = tab.sampler.sample()
    assert first == tab.sampler.sample() and len(first) == 15
    assert tab.sampler.samples.rowCount() == 15
    tab.sampler.seed_box.setValue(8)
    assert tab.sampler.sample() != first


def test_score_a_typed_name(tab):
    tab.sampler.name_edit.setText("Emma")  # capitals fold into the lowercase list
    assert tab.sampler.table.rowCount() == 5
    assert [tab.sampler.table.item(i, 0).text() for i in range(5)] == [".e", "em", "mm", "ma", "a."]
    assert "average NLL" in tab.sampler.summary.text()
    tab.sampler.name_edit.setText("zoë")
    assert tab.sampler.table.rowCount() == 0
    assert "'ë' is not one of the 27 characters" in tab.sampler.summary.text()


# -- File > Open -----------------------------------------------------------------------------

def test_open_a_word_list_in_the_worker(tab, qtbot, tmp_path):
    path = tmp_path / "pets.txt"
    path.write_text("rex\nfido\n\n  max  \nzoë\n", encoding="utf-8")
    open_and_wait(tab, qtbot, path)
    assert tab.data.source == "pets.txt" and tab.data.words == ["rex", "fido", "max", "zoë"]
    assert tab.matrix.data.shape == (12, 12)
    assert tab.progress.isHidden()
    assert tab.neural.run.model.W.shape == (12, 12)


@pytest.mark.parametrize("content, message", [
    (b"", "holds no words"),
    (b"\x00\x01\x02binary", "binary"),
    (b"caf\xe9\n", "not UTF-8"),
    (b"x" * 5000, "a line of 5,000 characters"),
    (b"ab\n" * 600_000, "600,000 words"),
], ids=["empty", "binary", "latin-1", "one-huge-line", "600k-lines"])
def test_bad_files_leave_the_data_untouched(tab, qtbot, tmp_path, content, message):
    before = tab.data
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    errors = []
    tab.error_raised.connect(errors.append)
    open_and_wait(tab, qtbot, path)
    assert len(errors) == 1 and message in errors[0]
    assert tab.data is before and tab.matrix.data.shape == (27, 27)


def test_load_data_reads_and_counts(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("\n".join(SMALL))
    data = load_data(path)
    assert data.words == SMALL and data.source == "w.txt" and data.model.total == data.xs.size


def test_loading_shows_busy_and_cancel_keeps_the_list(tab, qtbot, tmp_path):
    before = tab.data
    path = tmp_path / "pets.txt"
    path.write_text("rex\nfido\n")
    tab.open_file(str(path))
    assert tab.progress.isVisibleTo(tab) and tab.cancel_button.isVisibleTo(tab)
    tab.cancel_button.click()
    qtbot.waitUntil(lambda: not tab.jobs.is_busy("load"), timeout=10_000)
    tab.wait_until_loaded()
    assert tab.data is before and tab.progress.isHidden()


def test_a_fifo_is_refused_without_blocking(tab, qtbot, tmp_path):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    errors = []
    tab.error_raised.connect(errors.append)
    open_and_wait(tab, qtbot, fifo)
    assert len(errors) == 1 and "not a regular file" in errors[0]
    assert tab.data.source == "names.txt"


# -- the neural bigram -----------------------------------------------------------------------

def test_training_in_the_worker_approaches_the_counts(tab, qtbot):
    small_tab(tab)
    page = tab.neural
    page.form.set_values({"lr": 10.0, "l2": 0.0, "steps": 400, "seed": 1})
    page.reset()
    before = np.abs(page.learned - tab.data.model.probs()).max()
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        page.controls.start_button.click()
        assert not page.form.editors["lr"].isEnabled()  # locked while it runs
    assert page.run.steps == 400
    xs, ys = page.loss_plot.series("network")
    assert xs[-1] == 400 and ys[-1] < ys[0]
    after = np.abs(page.learned - tab.data.model.probs()).max()
    assert after < before / 2
    assert "step 400" in page.status.text()
    assert page.form.editors["lr"].isEnabled() and page.reset_button.isEnabled()
    assert np.array_equal(page.net_view.data.values, page.learned)


def test_step_takes_one_step_and_continues_the_count(tab, qtbot):
    small_tab(tab)
    page = tab.neural
    for expected in (1, 2):
        with qtbot.waitSignal(page.runner.finished, timeout=10_000):
            page.controls.step_button.click()
        assert page.run.steps == expected
    assert list(page.loss_plot.series("network")[0]) == [1.0, 2.0]


def test_stop_mid_run_and_reset(tab, qtbot):
    page = tab.neural
    page.form.set_values({"steps": 100_000, "lr": 50.0})
    with qtbot.waitSignal(page.runner.finished, timeout=10_000):
        page.controls.start_button.click()
        qtbot.waitUntil(lambda: page.run.steps >= 2, timeout=10_000)
        page.controls.stop_button.click()
    assert 2 <= page.run.steps < 100_000
    page.reset()
    assert page.run.steps == 0 and page.loss_plot.series("network")[0].size == 0


def test_opening_a_list_while_training_asks_then_replaces_w_after_the_run(tab, qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    page = tab.neural
    page.form.set_values({"steps": 100_000, "lr": 50.0})
    path = tmp_path / "abc.txt"
    path.write_text("abc\ncab\n")
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        page.controls.start_button.click()
        qtbot.waitUntil(lambda: page.run.steps >= 1, timeout=10_000)
        open_and_wait(tab, qtbot, path)
        assert tab.replace_question is not None and tab.data.source == "names.txt"  # asked first
        tab.replace_question.button(QMessageBox.Yes).click()
    assert tab.data.source == "abc.txt" and tab.replace_question is None
    assert page.run.model.W.shape == (4, 4) and page.run.steps == 0
    assert page.net_view.data.shape == (4, 4)
    with qtbot.waitSignal(page.runner.finished, timeout=10_000):
        page.controls.step_button.click()
    assert page.run.steps == 1


def test_sampling_from_the_network(tab):
    small_tab(tab)
    tab.sampler.source_box.setCurrentIndex(1)
    names = tab.sampler.sample()
    chars = set("".join(SMALL))
    assert len(names) == tab.sampler.count_box.value() and all(set(n) <= chars for n in names)


# -- the matrix view -------------------------------------------------------------------------

def test_text_is_never_smaller_than_the_app_font(tab):
    view = tab.matrix
    _, cell_font = view.data.fonts(view.text_scale())
    assert cell_font.pixelSize() >= app_style.current().font_px
    read = view.data.read_cell()
    theme.apply(app_style.Style(presentation=True))
    assert view.data.fonts()[1].pixelSize() >= 24
    assert view.data.read_cell() > read * 1.5  # cells grow with the text


def test_fit_zoom_and_scroll(tab):
    view = tab.matrix
    assert view.fit  # the whole matrix first
    vp = view.viewport().size()
    g = view.geom()
    assert g.left + 27 * g.cell <= vp.width() + 1 and g.top + 27 * g.cell <= vp.height() + 1
    assert view.verticalScrollBar().maximum() == 0
    view.set_fit(False)
    read = view.cell_size()
    view.zoom_by(2.0)
    assert view.cell_size() == pytest.approx(2 * read) and view.text_scale() == pytest.approx(2.0)
    assert view.verticalScrollBar().maximum() > 0  # now it scrolls, headers stay put
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    view.repaint()


def test_export_the_whole_matrix(tab, tmp_path):
    label, figure = tab.export_targets()[0]
    assert label == "count matrix"
    png = export.export(figure, tmp_path / "m.png")
    image = QImage(str(png))
    assert image.width() >= 27 * tab.matrix.data.read_cell()
    csv = export.export(figure, tmp_path / "m.csv")
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("prev\\next,.,a,b") and lines[2].split(",")[15] == "5367"


def test_cell_values_and_view_on_a_unicode_list(qtbot):
    data = BigramData.build(["zoë", "zoe", "mary ann"], "u.txt")
    values, text = cell_values(data, "probabilities", 0.0)
    assert text.shape == values.shape == (11, 11)  # . ␣ a e m n o r y z ë
    assert text[1, 0] == "␣.\n0"  # the space gets a visible stand-in
    view = MatrixView()
    qtbot.addWidget(view)
    view.set_matrix(values, data.itos, data.itos, text)
    view.resize(300, 300)
    view.show()
    view.repaint()
    assert view.figure().grab().width() > 0


def test_the_main_window_has_the_real_tab(main_window):
    tab = main_window.show_tab("bigram")
    assert isinstance(tab, BigramTab) and tab.wait_until_loaded() and tab.data is not None
    assert main_window.open_action.isEnabled()
    assert math.isfinite(tab.data.nll(0.0)["all"])


def test_a_missing_data_dir_is_shown_with_the_list(open_tab, monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "gone"))
    tab = open_tab(BigramTab)
    assert tab.wait_until_loaded()
    assert "PLAYGROUND_DATA_DIR" in tab.source_label.text() and tab.data.source == "names.txt"


def test_a_load_that_takes_too_long_is_given_up(tab, qtbot, monkeypatch, tmp_path):
    import time

    import playground.tabs.bigram.tab as tab_module

    def slow(path):
        time.sleep(0.5)
        return load_data(path)

    monkeypatch.setattr(tab_module, "load_data", slow)
    path = tmp_path / "pets.txt"
    path.write_text("rex\nfido\n")
    before = tab.data
    errors = []
    tab.error_raised.connect(errors.append)
    tab.load_timer.setInterval(50)
    tab.open_file(str(path))
    qtbot.waitUntil(lambda: len(errors) > 0, timeout=5_000)
    assert "took more than" in errors[0] and tab.cancel_button.isHidden()
    qtbot.waitUntil(lambda: not tab.jobs.is_busy("load"), timeout=5_000)
    tab.wait_until_loaded()
    assert tab.data is before


def test_restore_puts_saved_weights_in_place(tab):
    small_tab(tab)
    page = tab.neural
    V = len(tab.data.itos)
    W = np.full((V, V), 0.5, np.float32)
    W[:, 1] = 3.0
    assert page.restore({"W": W}, 42)
    assert page.run.steps == 42 and np.array_equal(page.run.model.W, W)
    assert page.learned_model().W is not page.run.model.W
    assert np.allclose(page.net_view.data.values, page.learned) and page.learned[:, 1].min() > 0.5
    assert not page.restore({"W": np.zeros((3, 3), np.float32)}, 1)  # another alphabet
