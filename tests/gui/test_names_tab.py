"""The Names MLP tab: shipped weights on first open, live training with diagnostics, pause and
stop, presets and custom sizes, gradient check, sampling with hover, save/load (good and bad)."""
import numpy as np
import pytest

from models.names.model import NamesModel
from playground.tabs.names.tab import NamesTab


@pytest.fixture
def tab(open_tab):
    tab = open_tab(NamesTab)
    tab.model_form.set_values({"preset": "mlp"})  # whatever an earlier test left in the settings
    return tab


def train_for(qtbot, tab, steps, **values):
    tab.train_form.set_values({"steps": steps, **values})
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.run_controls.start_button.click()


def test_first_open_has_a_model_samples_and_diagnostics(tab):
    assert tab.model is not None and tab.model_form.value("preset") in ("mlp", "batchnorm", "wavenet")
    assert tab.sampler.trained_list.count() == 20 and tab.sampler.untrained_list.count() == 20
    assert "32,033 words" in tab.source_label.text()
    assert len(tab.embedding_plot.scatter.data) == tab.model.vocab.size
    assert tab.health._tanh  # diagnostics of one (side-effect free) step of the loaded model


def test_shipped_weights_sample_real_names(tab):
    for preset in ("mlp", "batchnorm", "wavenet"):
        tab.model_form.set_values({"preset": preset})
        assert tab.model.config == NamesModel.load(tab.shipped_path(preset))[0].config
        val = tab.model.eval_loss(tab.data.Xval, tab.data.Yval)
        assert val < 2.2, preset  # trained, not random (3.3)
        names = [tab.sampler.trained_list.item(i).text() for i in range(20)]
        assert np.mean([len(n) for n in names]) < 10


def test_training_live_updates_plots_and_status(tab, qtbot):
    tab.model_form.set_values({"n_hidden": 64})  # a custom, untrained model
    assert tab.model_form.value("preset") == "custom" and tab.steps_done == 0
    before = tab.model.eval_loss(tab.data.Xval, tab.data.Yval)
    train_for(qtbot, tab, 1500, batch_size=32, lr=0.1)
    assert tab.steps_done == 1500
    xs, ys = tab.loss_plot.series("train (smoothed)")
    assert len(xs) >= 1 and xs[-1] == 1500
    vx, vy = tab.loss_plot.series("val")
    assert vx[-1] == 1500 and vy[-1] < before - 0.4
    assert "trained 1,500 steps" in tab.status_label.text()
    tab.pages.setCurrentWidget(tab.health)
    assert tab.health.ratio_plot.series(next(iter(tab.health._ratios)))[0].size >= 1
    assert tab.health.saturation.values.shape == (32, 64)
    train_for(qtbot, tab, 200)  # a second run continues the step count
    assert tab.steps_done == 1700 and tab.loss_plot.series("val")[0][-1] == 1700


def test_pause_resume_and_stop(tab, qtbot):
    before = tab.steps_done
    tab.train_form.set_values({"steps": 5_000_000})
    with qtbot.waitSignal(tab.runner.reported, timeout=10000):
        tab.run_controls.start_button.click()
    assert not tab.model_form.isEnabled() or not tab.save_button.isEnabled()
    tab.run_controls.pause_button.click()
    assert tab.runner.state == "paused"
    models = tab._sampling_models()
    assert models[1] is not tab.model  # during a run the GUI samples from a snapshot copy
    tab.run_controls.pause_button.click()
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.run_controls.stop_button.click()
    assert 0 < tab.steps_done - before < 5_000_000 and tab.save_button.isEnabled()


def test_single_step_button(tab, qtbot):
    before = tab.steps_done
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.run_controls.step_button.click()
    assert tab.steps_done == before + 1


def test_gradient_check_table(tab, qtbot):
    tab.model_form.set_values({"preset": "wavenet"})
    with qtbot.waitSignal(tab.checker.finished, timeout=30000):
        tab.gradcheck.button.click()
    table = tab.gradcheck.table
    assert table.rowCount() == len(tab.model.named_parameters())
    assert all("✓" in table.item(r, 1).text() for r in range(table.rowCount()))
    assert "every gradient matches" in tab.gradcheck.summary.text()


def test_hover_shows_next_character_probabilities(tab):
    item = tab.sampler.trained_list.item(0)
    tab.sampler.trained_list.itemEntered.emit(item)
    word = item.text()
    assert tab.sampler.probs_view.values.shape == (len(word) + 1, tab.model.vocab.size)
    assert np.allclose(tab.sampler.probs_view.values.sum(axis=1), 1)
    assert word in tab.sampler.detail_label.text()
    tab.sampler.name_edit.setText("Emma")  # typed with a capital: scored as "emma"
    assert tab.sampler.probs_view.values.shape[0] == 5
    tab.sampler.name_edit.setText("zoé")
    assert "does not know" in tab.sampler.detail_label.text()


def test_sampling_controls_are_reproducible(tab):
    tab.sampler.seed_box.setValue(7)
    tab.sampler.sample()
    first = [tab.sampler.trained_list.item(i).text() for i in range(20)]
    tab.sampler.sample()
    assert first == [tab.sampler.trained_list.item(i).text() for i in range(20)]
    tab.sampler.temperature_box.setValue(0.05)
    tab.sampler.sample()
    cold = {tab.sampler.trained_list.item(i).text() for i in range(20)}
    assert len(cold) < len(set(first))


def test_save_and_load_weights(tab, tmp_path, qtbot):
    tab.model_form.set_values({"preset": "batchnorm"})
    path = tmp_path / "mine.npz"
    tab.save_weights(path)
    tab.model_form.set_values({"preset": "mlp"})
    assert not tab.model.config.batchnorm
    assert tab.load_weights(path)
    assert tab.model.config.batchnorm and tab.model_form.value("preset") == "batchnorm"


def test_bad_weight_files_keep_the_current_model(tab, tmp_path, qtbot):
    model = tab.model
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with qtbot.waitSignal(tab.error_raised) as blocker:
        assert not tab.load_weights(tmp_path / "foreign.npz")
    assert "current model stays" in blocker.args[0] and "not one saved by Playground" in blocker.args[0]
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with qtbot.waitSignal(tab.error_raised):
        assert not tab.load_weights(tmp_path / "junk.npz")
    assert tab.model is model


def test_open_word_list_with_a_new_alphabet_makes_a_new_model(tab, tmp_path, qtbot):
    path = tmp_path / "greek.txt"
    path.write_text("\n".join(["αβγ", "βγδ", "γδα", "δαβ"] * 10), encoding="utf-8")
    tab.open_file(str(path))
    assert tab.model.vocab.size == 5 and "greek.txt" in tab.source_label.text()
    with qtbot.waitSignal(tab.error_raised):
        tab.open_file(str(tmp_path / "missing.txt"))


def test_invalid_sizes_give_a_message(tab, qtbot):
    with qtbot.waitSignal(tab.error_raised) as blocker:
        tab.model_form.set_values({"structure": "wavenet", "block_size": 6})
    assert "power of two" in blocker.args[0]
