"""The Names MLP tab: shipped weights on first open, live training with diagnostics, pause and
stop, presets and custom sizes, gradient check, sampling with hover, save/load (good and bad).
Loading and preparing models are jobs off the GUI thread: tests wait for `model_shown`."""
import numpy as np
import pytest

from models.core.checkpoint import load_model
from models.names.model import NamesModel
from playground.tabs.names.tab import NamesTab


def settle(qtbot, tab, timeout=30000):
    """Wait until the tab shows a model and no job is running."""
    qtbot.waitUntil(lambda: tab.model is not None and not tab.busy(), timeout=timeout)


def change(qtbot, tab, **values):
    """Set model-form values (a preset or a custom size) and wait for the model they make."""
    with qtbot.waitSignal(tab.model_shown, timeout=30000):
        tab.model_form.set_values(values)
    settle(qtbot, tab)


@pytest.fixture
def tab(open_tab, qtbot):
    tab = open_tab(NamesTab)
    settle(qtbot, tab)
    if tab.model_form.value("preset") != "mlp":  # whatever an earlier test left in the settings
        change(qtbot, tab, preset="mlp")
    return tab


def train_for(qtbot, tab, steps, **values):
    tab.train_form.set_values({"steps": steps, **values})
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.run_controls.start_button.click()
    settle(qtbot, tab)


def trained_names(tab):
    return tab.sampler.trained_list.names()


def test_first_open_has_a_model_samples_and_diagnostics(tab):
    assert tab.model is not None and tab.model_form.value("preset") == "mlp"
    assert tab.sampler.trained_list.count() == 20 and tab.sampler.untrained_list.count() == 20
    assert "32,033 words" in tab.source_label.text()
    assert len(tab.embedding_plot.scatter.data) == tab.model.vocab.size
    assert tab.health._health.tanh  # diagnostics of one (side-effect free) step of the loaded model
    assert "New names:" in tab.sampler.new_label.text()


def test_shipped_weights_sample_real_names(tab, qtbot):
    for preset in ("mlp", "batchnorm", "wavenet"):
        if tab.model_form.value("preset") != preset:
            change(qtbot, tab, preset=preset)
        assert tab.model.config == load_model(tab.shipped_path(preset), NamesModel).model.config
        val = tab.model.eval_loss(tab.data.Xval, tab.data.Yval)
        assert val < 2.2, preset  # trained, not random (3.3)
        assert np.mean([len(n) for n in trained_names(tab)]) < 10


def test_training_live_updates_plots_and_status(tab, qtbot):
    change(qtbot, tab, n_hidden=64)  # a custom, untrained model
    assert tab.model_form.value("preset") == "custom" and tab.steps_done == 0
    before = tab.model.eval_loss(tab.data.Xval, tab.data.Yval)
    train_for(qtbot, tab, 1500, batch_size=32, lr=0.1)
    assert tab.steps_done == 1500
    xs, ys = tab.loss_plot.series("train (smoothed)")
    assert len(xs) >= 1 and xs[-1] == 1500
    vx, vy = tab.loss_plot.series("val")
    assert vx[-1] == 1500 and vy[-1] < before - 0.4
    assert "trained 1,500 steps" in tab.status_label.text() and "val loss" in tab.status_label.text()
    tab.show_page("weights")
    assert tab.weights_page.ratio_plot.series("W1")[0].size >= 1 and tab.weights_page.ratio_plot.series("C")[0][0] > 0
    tab.show_page("health")
    assert tab.health.saturation.values.shape == (32, 64)
    train_for(qtbot, tab, 200)  # a second run continues the step count
    assert tab.steps_done == 1700 and tab.loss_plot.series("val")[0][-1] == 1700


def test_pause_resume_and_stop(tab, qtbot):
    before = tab.steps_done
    tab.train_form.set_values({"steps": 5_000_000})
    with qtbot.waitSignal(tab.runner.reported, timeout=10000):
        tab.run_controls.start_button.click()
    assert not tab.model_form.isEnabled() or not tab.weights.save_button.isEnabled()
    tab.run_controls.pause_button.click()
    assert tab.runner.state == "paused"
    models = tab._sampling_models()
    assert models[1] is not tab.model  # during a run the GUI samples from a snapshot copy
    tab.run_controls.pause_button.click()
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.run_controls.stop_button.click()
    settle(qtbot, tab)
    assert 0 < tab.steps_done - before < 5_000_000 and tab.weights.save_button.isEnabled()


def test_single_step_button(tab, qtbot):
    before = tab.steps_done
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.run_controls.step_button.click()
    assert tab.steps_done == before + 1
    settle(qtbot, tab)


def test_gradient_check_table(tab, qtbot):
    change(qtbot, tab, preset="wavenet")
    tab.gradcheck.button.click()
    qtbot.waitUntil(lambda: tab.gradcheck.button.isEnabled() and tab.gradcheck.table.rowCount() > 0, timeout=60000)
    table = tab.gradcheck.table
    assert table.rowCount() == len(tab.model.named_parameters())
    assert all("✓" in table.item(r, 1).text() for r in range(table.rowCount()))
    assert "every gradient matches" in tab.gradcheck.summary.text()


def test_hover_shows_next_character_probabilities(tab, qtbot):
    item = tab.sampler.trained_list.item(0)
    tab.sampler.trained_list.itemEntered.emit(item)
    word = trained_names(tab)[0]
    assert tab.sampler.probs_view.values.shape == (len(word) + 1, tab.model.vocab.size)
    assert np.allclose(tab.sampler.probs_view.values.sum(axis=1), 1)
    assert word in tab.sampler.detail_label.text()
    tab.sampler.name_edit.setText("Emma")  # typed with a capital: scored as "emma" (once typing pauses)
    qtbot.waitUntil(lambda: tab.sampler.probs_view.values.shape[0] == 5, timeout=3000)
    tab.sampler.name_edit.setText("zoé")
    qtbot.waitUntil(lambda: "does not know" in tab.sampler.detail_label.text(), timeout=3000)


def sample(qtbot, tab, **settings):
    boxes = {"seed": tab.sampler.seed_box, "temperature": tab.sampler.temperature_box, "top_k": tab.sampler.top_k_box}
    for key, value in settings.items():
        boxes[key].setValue(value)
    tab.sampler.sample_button.click()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=10000)
    return trained_names(tab)


def test_sampling_controls_are_reproducible(tab, qtbot):
    first = sample(qtbot, tab, seed=7)
    assert sample(qtbot, tab) == first
    cold = sample(qtbot, tab, temperature=0.05)
    assert len(set(cold)) < len(set(first))


def test_save_and_load_weights(tab, tmp_path, qtbot):
    change(qtbot, tab, preset="batchnorm")
    path = tmp_path / "mine.npz"
    tab.save_weights(path)
    qtbot.waitUntil(lambda: path.exists() and not tab.busy(), timeout=10000)
    change(qtbot, tab, preset="mlp")
    assert not tab.model.config.batchnorm
    with qtbot.waitSignal(tab.model_shown, timeout=30000):
        tab.load_weights(path)
    assert tab.model.config.batchnorm and tab.model_form.value("preset") == "batchnorm"


def test_bad_weight_files_keep_the_current_model(tab, tmp_path, qtbot):
    model = tab.model
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with qtbot.waitSignal(tab.error_raised, timeout=10000) as blocker:
        tab.load_weights(tmp_path / "foreign.npz")
    assert "current model stays" in blocker.args[0] and "not one saved by Playground" in blocker.args[0]
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with qtbot.waitSignal(tab.error_raised, timeout=10000):
        tab.load_weights(tmp_path / "junk.npz")
    settle(qtbot, tab)
    assert tab.model is model


def test_open_word_list_with_a_new_alphabet_makes_a_new_model(tab, tmp_path, qtbot):
    path = tmp_path / "greek.txt"
    path.write_text("\n".join(["αβγ", "βγδ", "γδα", "δαβ"] * 10), encoding="utf-8")
    with qtbot.waitSignal(tab.model_shown, timeout=30000):
        tab.open_file(str(path))
    assert tab.model.vocab.size == 5 and "greek.txt" in tab.source_label.text()
    with qtbot.waitSignal(tab.error_raised, timeout=10000):
        tab.open_file(str(tmp_path / "missing.txt"))


def test_invalid_sizes_give_a_message(tab, qtbot):
    with qtbot.waitSignal(tab.error_raised) as blocker:
        tab.model_form.set_values({"structure": "wavenet", "block_size": 6})
    assert "power of two" in blocker.args[0]
    settle(qtbot, tab)
