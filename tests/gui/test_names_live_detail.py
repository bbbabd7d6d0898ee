"""Issue 12 on the Names MLP tab: a run measures the histograms only while the Health or Weights
page is shown (on the Loss page its reports carry none, so they cost a quarter as much), and a
health page shown after the run catches up from the run's last batch."""
import pytest

from playground.tabs.names.tab import NamesTab


@pytest.fixture
def tab(open_tab, qtbot):
    tab = open_tab(NamesTab)
    qtbot.waitUntil(lambda: tab.model is not None and not tab.busy(), timeout=30000)
    return tab


def test_histograms_only_while_a_health_page_is_shown(tab, qtbot):
    tab.show_page("loss")
    tab.train_form.set_values({"steps": 5_000_000})
    with qtbot.waitSignal(tab.runner.reported, timeout=10000):
        tab.run_controls.start_button.click()
    try:
        qtbot.waitUntil(lambda: tab.latest is not None and tab.latest.step > 2, timeout=10000)
        assert not tab.latest.payload.detail and tab.latest.payload.tanh == []
        assert tab.latest.payload.embedding is not None  # the Loss page's embedding still moves
        tab.show_page("health")
        qtbot.waitUntil(lambda: tab.latest.payload.detail and bool(tab.latest.payload.tanh), timeout=10000)
        tab.show_page("loss")
        qtbot.waitUntil(lambda: not tab.latest.payload.detail, timeout=10000)
    finally:
        with qtbot.waitSignal(tab.runner.finished, timeout=10000):
            tab.run_controls.stop_button.click()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=30000)
    assert not tab.latest.payload.detail
    tab.show_page("weights")  # the run ended on the Loss page: the histograms catch up
    qtbot.waitUntil(lambda: bool(tab.latest.payload.detail and not tab.busy()), timeout=30000)
    assert tab.weights_page._health.weight_grads and tab.health._health.tanh
