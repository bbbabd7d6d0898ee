"""The Attention tab: shipped weights on first open, every head for the typed text, click to
enlarge, step through, experiments, sampling, sort task, training with checkpoints, save/load."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from models.core.checkpoint import save
from playground import settings
from playground.tabs.attention.tab import DEFAULT_TEXT, AttentionTab


@pytest.fixture(scope="module")
def shared_tab(qapp):
    """One tab for the module (loading the names and the model is the slow part), put back in
    its first-open state before each test."""
    settings.write("attention/task", "names")
    tab = AttentionTab()
    tab.resize(1500, 950)
    tab.show()
    tab.ensure_loaded()
    assert tab.wait_for_jobs()  # the word list and the shipped weights are read by a job
    yield tab
    tab.shutdown(3000)
    tab.close()
    tab.deleteLater()


@pytest.fixture
def tab(shared_tab):
    tab = shared_tab
    tab.experiments.reset_button.click()
    tab.generate.temperature.set_value(1.0)
    tab.step_page.step = 1
    if tab.lab.task != "names":
        tab.task_box.setCurrentIndex(tab.task_box.findData("names"))
    elif tab.model.config.n_layer != 4 or tab.run.steps_done:
        tab.opening.open_shipped()
    tab.wait_for_jobs()
    tab._select_head(0, 0)
    tab.set_text(DEFAULT_TEXT["names"])
    yield tab
    assert tab.shutdown(3000)


def use_tiny_model(tab):
    """A 1-layer model so training in a test takes a moment, not minutes."""
    tab.set_model(tab.lab.new_model(n_layer=1, n_head=2, n_embd=16), [], "tiny")


def train_for(qtbot, tab, steps, **values):
    tab.train_form.set_values({"steps": steps, "eval_every": 10, "batch_size": 16, **values})
    with qtbot.waitSignal(tab.runner.finished, timeout=60000):
        tab.run_controls.start_button.click()


def test_first_open_shows_every_head_of_the_shipped_model(tab):
    assert tab.lab.task == "names" and tab.model.config.n_layer == 4 and tab.model.config.n_head == 4
    assert "shipped weights after 58,500 steps (val loss 1.919, test 1.938)" in tab.weights.status_label.text()
    grid = tab.heads.grid
    T = len(tab.text_edit.text()) + 1  # the start token, then the typed letters
    assert grid.maps.shape == (4, 4, T, T) and grid.tokens[0] == "."
    np.testing.assert_allclose(grid.maps.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(grid.maps[..., grid.masked] == 0) and grid.masked[0, 1] and not grid.masked[1, 0]
    big = tab.heads.big.values
    assert np.isnan(big[0, 1]) and np.isfinite(big[1, 0])  # the future drawn as masked
    assert tab.output.probs.sum() == pytest.approx(1.0)
    assert tab.export_targets()[0][1] is grid


def test_typing_updates_the_maps_and_bad_text_is_a_message(tab):
    tab.set_text("ann")
    assert tab.heads.grid.tokens == [".", "a", "n", "n"]
    tab.set_text("an9")
    assert "does not know" in tab.text_status.text()
    tab.set_text("")
    assert tab.heads.grid.tokens == ["."]


def test_clicking_a_head_enlarges_it(tab, qtbot):
    grid = tab.heads.grid
    grid.repaint()
    rect = grid._rects[(2, 3)]
    qtbot.mouseClick(grid, Qt.LeftButton, pos=rect.center().toPoint())
    assert (tab.layer, tab.head) == (2, 3) and grid.selected == (2, 3)
    np.testing.assert_allclose(np.nan_to_num(tab.heads.big.values), grid.maps[2, 3])
    assert "Layer 3, head 4" in tab.step_page.title.text()


def test_step_through_one_query(tab):
    page = tab.step_page
    page.step = 1
    tab._on_query_selected(2)
    assert page.scores.item(0, 1).text() != "" and page.scores.item(0, 4).text() == ""
    page.next_button.click()
    page.next_button.click()
    assert page.scores.item(3, 3).text() == "−∞"  # query 2 may not see position 3
    page.all_button.click()
    weights = [float(page.scores.item(j, 4).text().replace("−", "-")) for j in range(3)]
    assert sum(weights) == pytest.approx(1.0, abs=2e-3)
    assert page.values.rowCount() == len(tab.ctx.tokens) + 1 and not page.next_button.isEnabled()


def test_experiments_change_the_attention_and_say_how_much(tab, qtbot):
    before = tab.heads.grid.maps.copy()
    tab.experiments.temperature.set_value(0.05)
    assert tab.heads.grid.maps.max(axis=-1).mean() > before.max(axis=-1).mean()  # sharper
    qtbot.waitUntil(lambda: "now" in tab.experiments.effect.text(), timeout=5000)
    tab.experiments.mask_off.setChecked(True)
    assert not tab.heads.grid.masked.any() and tab.heads.grid.maps[0, 0, 0, 1] > 0
    assert tab.output.trained.isVisible()  # the as-trained bars for comparison
    tab.experiments.reset_button.click()
    assert tab.experiments.settings() == (1.0, True) and not tab.experiments.active()
    np.testing.assert_allclose(tab.heads.grid.maps, before, atol=1e-6)


def test_output_temperature_and_sampling(tab):
    tab.generate.temperature.set_value(0.1)
    cold = tab.output.probs.max()
    tab.generate.temperature.set_value(5.0)
    assert tab.output.probs.max() < cold
    tab.generate.sample_button.click()
    tab.wait_for_jobs()
    assert tab.generate.samples.text().startswith("Samples: ")


def test_sort_task_answers_and_attends(tab):
    tab.task_box.setCurrentIndex(tab.task_box.findData("sort"))
    tab.wait_for_jobs()
    assert tab.lab.task == "sort" and tab.ctx.answer == "abcdfh" and "(right)" in tab.text_status.text()
    assert tab.heads.grid.tokens[:7] == list("hcfadb|")
    tab.effect.score_now()
    tab.wait_for_jobs()
    assert "100%" in tab.experiments.effect.text()
    tab.set_text("abc")
    assert "type 6 letters" in tab.text_status.text()


def test_training_with_the_mask_off_keeps_checkpoints(tab, qtbot):
    use_tiny_model(tab)
    tab.experiments.mask_off.setChecked(True)
    train_for(qtbot, tab, 40, lr=0.01)
    xs, _ = tab.loss_plot.series("train (mask off)")
    assert len(xs) >= 1 and xs[-1] == 40 and tab.run.steps_done == 40
    labels = [label for label, _ in tab.checkpoints]
    assert labels[0] == "step 0" and "step 10 (mask off)" in labels and labels[-1].startswith("current weights")
    assert "then 40 steps here (some with the mask off): now step 40" in tab.weights.status_label.text()
    assert tab.task_box.isEnabled() and tab.model.causal  # the mask is a view setting again
    current = tab.heads.grid.maps.copy()
    tab.heads.scrub.setValue(0)
    assert not np.allclose(tab.heads.grid.maps, current)  # the untrained patterns
    tab.experiments.mask_off.setChecked(False)
    train_for(qtbot, tab, 10)
    assert tab.run.steps_done == 50 and tab.loss_plot.series("val")[0][-1] == 50


def test_single_step_and_stop(tab, qtbot):
    use_tiny_model(tab)
    with qtbot.waitSignal(tab.runner.finished, timeout=20000):
        tab.run_controls.step_button.click()
    assert tab.run.steps_done == 1
    tab.train_form.set_values({"steps": 1_000_000, "batch_size": 8})
    with qtbot.waitSignal(tab.runner.reported, timeout=20000):
        tab.run_controls.start_button.click()
    assert not tab.task_box.isEnabled()
    with qtbot.waitSignal(tab.runner.finished, timeout=20000):
        tab.run_controls.stop_button.click()
    assert 1 < tab.run.steps_done < 1_000_001


def test_opening_a_word_list_with_other_characters_starts_fresh(tab, tmp_path, qtbot):
    path = tmp_path / "greek.txt"
    path.write_text("alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\nkappa\n" * 3)
    errors = []
    tab.error_raised.connect(errors.append)
    tab.open_file(str(path))
    tab.wait_for_jobs()
    assert not errors and tab.lab.itos == tuple(".abdeghiklmnopstz")
    assert "new random weights" in tab.weights.status_label.text() and tab.model.config.vocab_size == 17
    tab.set_text("th")
    assert tab.heads.grid.tokens == [".", "t", "h"]
    tab.words, tab.words_source = [], ""  # back to the default list for the other tests
    tab.load_defaults()
    tab.wait_for_jobs()


def test_save_and_load_weights(tab, tmp_path, qtbot):
    use_tiny_model(tab)
    train_for(qtbot, tab, 20)
    path = tmp_path / "mine.npz"
    tab.save_weights(path)
    tab.opening.open_shipped()
    tab.wait_for_jobs()
    assert tab.model.config.n_layer == 4
    tab.load_weights(path)
    tab.wait_for_jobs()
    assert tab.model.config.n_layer == 1 and "mine.npz" in tab.weights.status_label.text()
    assert tab.model.config.n_layer == 1 and [label for label, _ in tab.checkpoints][0] == "step 0"
    bad = tmp_path / "bad.npz"
    save(bad, "names-mlp", {"W": np.zeros(2)})
    with qtbot.waitSignal(tab.error_raised) as blocker:
        tab.open_file(str(bad))
    assert "char-transformer" in blocker.args[0] and tab.model.config.n_layer == 1


def test_walkthrough_follows_the_position_through_every_stage(tab, qtbot):
    page = tab.walk_page
    tab.pages.setCurrentWidget(page)
    assert len(page.stages) == 1 + 10 * 4 + 3 and page.position == len(tab.ctx.tokens) - 1
    page.go(0)
    assert page.stage.part == "embed" and not page.back_button.isEnabled()
    page.next_button.click()
    assert (page.stage.part, page.stage.layer) == ("ln1", 0) and "mean = " in page.numbers.text()
    page.diagram.repaint()
    qtbot.mouseClick(page.diagram, Qt.LeftButton, pos=page.diagram._chips[2].center().toPoint())
    assert (page.stage.part, page.stage.layer) == ("ln1", 2) and page.diagram.layer == 2
    qtbot.mouseClick(page.diagram, Qt.LeftButton, pos=page.diagram._boxes["gelu"].center().toPoint())
    assert (page.stage.part, page.stage.layer) == ("gelu", 2)
    assert [r.label for r in page.strips.rows] == ["in: h", "out: GELU(h)"] and len(page.strips.rows[0].values) == 256
    qtbot.mouseClick(page.diagram, Qt.LeftButton, pos=page.diagram._boxes["softmax"].center().toPoint())
    assert page.stage.part == "softmax" and not page.next_button.isEnabled()
    shown = page.strips.rows[-1].values  # what the page draws: the model's distribution
    np.testing.assert_allclose(shown, tab.output.probs, atol=1e-6)
    page.position_box.setCurrentIndex(1)
    assert tab.query == 1 and "after position 1" in tab.output.getPlotItem().titleLabel.text
    page.go(5)
    tab.set_text("emma")  # new numbers: the same stage stays shown
    assert (page.stage.part, page.stage.layer) == ("add1", 0) and len(page.tokens) == 5


def test_walkthrough_buttons_have_their_declared_keys(tab):
    page = tab.walk_page
    tab.pages.setCurrentWidget(page)
    assert page.next_button.property("shortcut_name") == "attention.walk_next"
    assert page.back_button.shortcut() == QKeySequence("Alt+Left")
    assert tab.generate.next_button.shortcut() == QKeySequence("F6")
    page.go(3)
    page.next_button.click()
    assert page.index == 4
    page.back_button.click()
    assert page.index == 3


def test_next_character_appends_one_character_and_every_view_moves(tab):
    gen = tab.generate
    gen.top_k.setValue(1)  # the likeliest character: the bar chart's tallest bar
    expected = tab.lab.itos[int(tab.output.probs.argmax())]
    assert (tab.output.probs > 0).sum() == 1
    gen.next_button.click()
    assert tab.text_edit.text() == "emm" + expected
    T = len(tab.ctx.tokens)
    assert T == 5 and tab.heads.grid.maps.shape[-1] == 5 and tab.query == 4
    tab.pages.setCurrentWidget(tab.walk_page)
    assert tab.walk_page.position == 4 and tab.walk_page.stages[0].outputs["x = tok + pos"].shape[0] == 5
    gen.top_k.setValue(0)
    gen.top_p.setValue(0.5)
    kept = (tab.output.probs > 0).sum()
    gen.top_p.setValue(1.0)
    assert 1 <= kept < (tab.output.probs > 0).sum()


def test_embeddings_page_shows_characters_and_position_similarity(tab):
    tab.pages.setCurrentWidget(tab.embeddings)
    assert len(tab.embeddings.tokens.labels) == len(tab.lab.itos)
    sim = tab.embeddings.positions.values
    assert sim.shape == (tab.model.block_size,) * 2 and np.allclose(np.diag(sim), 1.0)
    assert "component 1 (" in tab.embeddings.tokens.getPlotItem().getAxis("bottom").labelText
