"""Attention training in a child process (runner.start(..., model=)): the window's model gets the
trained weights back when the run finishes, is stopped, or is paused and then stopped; the
Heads page is not redrawn for every report while the Training page is in front."""
import numpy as np
import pytest

from playground import runner as runner_module


@pytest.fixture
def tab(attention_tab):
    attention_tab.set_model(attention_tab.lab.new_model(n_layer=1, n_head=2, n_embd=16), [], "tiny")
    return attention_tab


def weights_now(tab):
    return {k: v.copy() for k, v in tab.model.state_dict().items()}


def changed(before, after):
    return any(not np.array_equal(before[k], after[k]) for k in before)


def test_a_finished_run_brings_its_weights_back(tab, qtbot):
    before = weights_now(tab)
    tab.train_form.set_values({"steps": 30, "eval_every": 10, "batch_size": 8})
    with qtbot.waitSignal(tab.runner.finished, timeout=60000):
        tab.run_controls.start_button.click()
    expected = "process" if runner_module.mode() == "process" and runner_module.can_fork() else "thread"
    assert tab.runner.last_how == expected
    after = weights_now(tab)
    assert changed(before, after) and tab.record.step == 30
    for k, v in tab.checkpoints[-1][1].items():  # the slider's "current weights" are the model's
        np.testing.assert_array_equal(v, after[k])


@pytest.mark.parametrize("pause_first", [False, True])
def test_a_stopped_or_paused_run_brings_its_weights_back(tab, qtbot, pause_first):
    before = weights_now(tab)
    tab.train_form.set_values({"steps": 100_000, "eval_every": 10, "batch_size": 8})
    tab.pages.setCurrentWidget(tab.loss_plot)
    drawn = []
    tab.heads.show_maps = lambda *a, _show=tab.heads.show_maps: (drawn.append(1), _show(*a))
    tab.run_controls.start_button.click()
    qtbot.waitUntil(lambda: tab.record.step >= 20, timeout=60000)
    assert not drawn  # the Heads page is behind the Training page: no forward pass per report
    if pause_first:
        tab.runner.pause()
        qtbot.waitUntil(lambda: tab.runner.state == "paused", timeout=10000)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.run_controls.stop_button.click() if not pause_first else tab.runner.stop()
    after = weights_now(tab)
    assert changed(before, after) and tab.record.step >= 20
    for k, v in tab.checkpoints[-1][1].items():
        np.testing.assert_array_equal(v, after[k])
    assert drawn  # the run's end shows its last weights
