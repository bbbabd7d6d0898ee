"""The Digits Train page arrives complete: the shipped (or a loaded) net is scored on the MNIST
test set in a job the first time the page shows it (an "evaluating…" state meanwhile), and its
confusion matrix, per-digit accuracy and misclassified gallery are filled without a training run.
While a run trains, reports update only what shows and the live weights reach the drawing."""
import numpy as np
import pytest

from models.digits.mnist import SIZES


@pytest.fixture
def tab(digits_tab):
    return digits_tab


def test_the_shipped_mlp_is_scored_on_first_view(tab, qtbot):
    page = tab.train_page
    tab.predictor_buttons["mlp"].setChecked(True)
    assert page.gallery.images == [] and page.confusion.values.size == 0  # nothing before the page shows
    tab.show_page("train")
    assert "Scoring the MLP" in page.summary.text() and "Evaluating" in page.gallery.empty_text
    qtbot.waitUntil(lambda: page.confusion.values.shape == (10, 10), timeout=60000)
    counts = np.expm1(page.confusion.values).round().astype(int)  # the matrix shows log1p(counts)
    assert counts.sum() == SIZES["test"] == len(page.y_test)
    assert np.trace(counts) / counts.sum() == pytest.approx(0.9914, abs=0.002)  # the shipped MLP's score
    assert all(counts[d, d] > 10 * (counts[d].sum() - counts[d, d]) for d in range(10))  # the diagonal dominates
    assert len(page.gallery.images) == min(40, counts.sum() - np.trace(counts)) > 0
    assert "99.1" in page.summary.text() and "hardest: " in page.summary.text()
    rows = page.confusion._tick_keys["left"]  # labels as drawn
    assert rows[0].startswith("0: ") and rows[0].endswith("%")  # each digit's accuracy beside it
    # the CNN is scored when it becomes the predictor; back to the MLP: its score is remembered
    tab.predictor_buttons["cnn"].setChecked(True)
    assert "Scoring the CNN" in page.summary.text()
    tab.predictor_buttons["mlp"].setChecked(True)
    assert "99.1" in page.summary.text() and "hardest: " in page.summary.text()


def test_a_loaded_net_is_scored_too_and_closing_cancels_a_long_scoring(tab, qtbot, tmp_path):
    from models.core import checkpoint
    from models.digits.net import MLP, MLPConfig

    page = tab.train_page
    tab.show_page("train")  # the CNN starts scoring (long): a new net makes that stale
    path = tmp_path / "small.npz"
    checkpoint.save_model(path, MLP(MLPConfig((784, 16, 10), seed=3)))  # untrained: about 10%
    tab.load_weights(str(path))
    qtbot.waitUntil(lambda: getattr(tab.net.config, "sizes", None) == (784, 16, 10), timeout=10000)
    qtbot.waitUntil(lambda: page.confusion.values.shape == (10, 10) and "MLP reads" in page.summary.text(),
                    timeout=60000)
    counts = np.expm1(page.confusion.values).round().astype(int)
    assert counts.sum() == len(page.y_test) and np.trace(counts) / counts.sum() < 0.5
    assert len(page.gallery.images) == 40
    tab.predictor_buttons["cnn"].setChecked(True)  # scoring the CNN, left running: shutdown cancels it
    assert tab.jobs.is_busy("evaluate")
