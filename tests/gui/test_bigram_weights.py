"""Issue 20 on the Bigram tab: a trained W that is not saved is never replaced by a new word list
without asking (Yes opens it, No keeps both); the Weights box saves and loads W with its loss
curve, refuses a W of another alphabet or a damaged file in one line and changes nothing; the
lecture's trained W loads; Train and Step have keys on the Learn W page; empty splits show "–"."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from models.bigram.neural import NeuralBigram
from models.core import checkpoint
from playground import shortcuts
from playground.tabs.bigram.neural import _signed
from playground.tabs.bigram.state import BigramData
from playground.tabs.bigram.tab import BigramTab
from tests.gui.test_bigram_tab import SMALL, open_and_wait


@pytest.fixture
def tab(open_tab):
    tab = open_tab(BigramTab)
    assert tab.wait_until_loaded(job=None) and tab.data is not None  # every job: a late one would
    tab.set_data(BigramData.build(SMALL, "small.txt"))  # replace the small data (a step: a millisecond)
    assert tab.wait_until_loaded(job=None)
    return tab


def train(tab, qtbot, steps=20):
    page = tab.neural
    page.form.set_values({"steps": steps, "lr": 10.0})
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        page.controls.start_button.click()
    assert page.run.steps >= steps


def wait_jobs(tab, qtbot):
    qtbot.waitUntil(lambda: not tab.jobs.is_busy(), timeout=20_000)
    QApplication.processEvents()


def word_list(tmp_path, text="abc\ncab\nbca\n"):
    path = tmp_path / "other.txt"
    path.write_text(text)
    return path


def test_a_random_w_is_replaced_without_asking(tab, qtbot, tmp_path):
    assert not tab.neural.has_unsaved_work()
    open_and_wait(tab, qtbot, word_list(tmp_path))
    assert tab.replace_question is None and tab.data.source == "other.txt"


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_a_trained_unsaved_w_is_replaced_only_after_yes(tab, qtbot, tmp_path, answer):
    train(tab, qtbot)
    page = tab.neural
    W, steps, curve = page.run.model.W.copy(), page.run.steps, page.history()[1].copy()
    assert page.has_unsaved_work()
    open_and_wait(tab, qtbot, word_list(tmp_path))
    box = tab.replace_question
    assert box is not None and "20 steps" in box.text() and tab.data.source == "small.txt"
    assert box.defaultButton() is box.button(QMessageBox.No)  # Enter keeps the work
    box.button(QMessageBox.Yes if answer == "yes" else QMessageBox.No).click()
    QApplication.processEvents()
    assert tab.replace_question is None
    if answer == "yes":
        assert tab.data.source == "other.txt" and page.run.steps == 0 and page.run.model.W.shape == (4, 4)
    else:
        assert tab.data.source == "small.txt" and page.run.steps == steps
        assert np.array_equal(page.run.model.W, W) and np.array_equal(page.history()[1], curve)


def test_a_newer_list_while_asking_asks_again_about_the_newer_one(tab, qtbot, tmp_path):
    train(tab, qtbot)
    open_and_wait(tab, qtbot, word_list(tmp_path))
    first = tab.replace_question
    other = tmp_path / "third.txt"
    other.write_text("xy\nyx\n")
    open_and_wait(tab, qtbot, other)
    assert tab.replace_question is not first and "third.txt" in tab.replace_question.text()
    tab.replace_question.button(QMessageBox.Yes).click()
    assert tab.data.source == "third.txt"


def test_a_saved_w_is_replaced_without_asking_and_loads_back_with_its_curve(tab, qtbot, tmp_path):
    train(tab, qtbot)
    page = tab.neural
    W, curve = page.run.model.W.copy(), page.history()
    path = tmp_path / "w.npz"
    tab.weights.box.save_requested.emit(str(path))  # as Save weights… does
    wait_jobs(tab, qtbot)
    assert not page.has_unsaved_work() and "Saved" in tab.weights.box.status_label.text()
    loaded = checkpoint.load_model(path, NeuralBigram)
    assert np.array_equal(loaded.model.W, W) and loaded.meta["steps"] == 20
    assert loaded.model.itos == "".join(tab.data.itos)
    page.reset()
    tab.weights.box.load_requested.emit(str(path))
    wait_jobs(tab, qtbot)
    assert np.array_equal(page.run.model.W, W) and page.run.steps == 20
    assert np.allclose(page.history()[1], curve[1]) and "loaded W: step 20" in page.status.text()
    assert np.allclose(page.net_view.data.values, page.learned)
    train(tab, qtbot, steps=5)  # trained further: unsaved again
    assert page.has_unsaved_work()


@pytest.mark.parametrize("what", ["another alphabet", "damaged", "not a bigram"])
def test_a_bad_weights_file_is_one_line_and_changes_nothing(tab, qtbot, tmp_path, what):
    train(tab, qtbot)
    page = tab.neural
    W, steps = page.run.model.W.copy(), page.run.steps
    path = tmp_path / "bad.npz"
    if what == "another alphabet":
        checkpoint.save_model(path, NeuralBigram(4, itos=".xyz"), {"steps": 3})
    elif what == "damaged":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    else:
        from models.autograd.model import PlaneMLP

        checkpoint.save_model(path, PlaneMLP.tiny(), {})
    errors = []
    tab.error_raised.connect(errors.append)
    tab.weights.box.load_requested.emit(str(path))
    wait_jobs(tab, qtbot)
    assert len(errors) == 1 and "\n" not in errors[0] and "Traceback" not in errors[0]
    assert np.array_equal(page.run.model.W, W) and page.run.steps == steps and page.has_unsaved_work()


def test_the_lectures_trained_w_loads_on_the_names_list(open_tab, qtbot):
    tab = open_tab(BigramTab)
    assert tab.wait_until_loaded()
    tab.weights.box.shipped_button.click()
    wait_jobs(tab, qtbot)
    page = tab.neural
    assert page.run.steps == 300 and not page.has_unsaved_work()
    assert "loss <b>2.4590</b>" in page.status.text() and "gap +0.0052" in page.status.text()
    diff = np.abs(page.learned - tab.data.model.probs())
    assert diff.max() < 0.1 and diff.mean() < 0.005  # it learned the counts (of the train split)


def test_the_shipped_w_does_not_fit_another_alphabet(tab, qtbot):
    errors = []
    tab.error_raised.connect(errors.append)
    tab.weights.box.shipped_button.click()
    wait_jobs(tab, qtbot)
    assert len(errors) == 1 and "another alphabet" in errors[0] and tab.neural.run.steps == 0


def test_train_and_step_keys_on_the_learn_w_page(main_window, qtbot):
    tab = main_window.show_tab("bigram")
    assert tab.wait_until_loaded()
    tab.set_data(BigramData.build(SMALL, "small.txt"))
    tab.show_page("learn")
    main_window.activateWindow()
    QApplication.processEvents()
    page = tab.neural
    assert page.controls.step_button.shortcut().toString() == "F7"
    assert "(F7)" in page.controls.step_button.toolTip()
    assert shortcuts.get("bigram.train").scope == "bigram/learn"
    with qtbot.waitSignal(page.runner.finished, timeout=10_000):
        qtbot.keyClick(main_window, Qt.Key_F7)
    assert page.run.steps == 1
    page.form.set_values({"steps": 3})
    with qtbot.waitSignal(page.runner.finished, timeout=10_000):
        qtbot.keyClick(main_window, Qt.Key_Return, Qt.ControlModifier)
    assert page.run.steps == 4


def test_empty_splits_are_a_dash_with_a_note(tab):
    tab.set_data(BigramData.build(["emma", "bob"], "two.txt"))
    assert tab.nll_labels["val"].text() == "–"
    assert "val split is empty with 2 words" in tab.nll_note.text()
    tab.set_data(BigramData.build(["emma"], "one.txt"))
    assert tab.nll_labels["train"].text() == "–" and "uniform guessing" in tab.nll_note.text()


def test_a_gap_that_rounds_to_zero_is_not_minus_zero():
    assert _signed(-0.00001) == "0.0000" and _signed(0.0123) == "+0.0123" and _signed(-0.5) == "−0.5000"
