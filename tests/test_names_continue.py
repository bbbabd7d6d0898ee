"""Issue 19 item 3: training a trained model goes on from where its schedule ended."""
import pytest

from models.names.train import NamesTrainConfig, continued


def test_a_fresh_model_runs_the_whole_schedule():
    config = NamesTrainConfig(steps=1000)
    assert continued(config, 0) == (config, 0, "")


def test_an_unfinished_schedule_resumes_where_it_stopped():
    config, start, note = continued(NamesTrainConfig(steps=1000), 600)
    assert start == 600 and config.lr_at(start) == pytest.approx(0.01) and "Resuming" in note


def test_a_finished_schedule_fine_tunes_at_its_last_rate():
    # the shipped MLP: 200,000 steps, 0.1 then 0.01. Training it again must not restart at 0.1
    config, start, note = continued(NamesTrainConfig(), 200_000)
    assert start == 0 and config.steps == 200_000
    assert [config.lr_at(s) for s in (0, 99_999, 100_000, 199_999)] == pytest.approx([0.01] * 4)
    assert "Fine-tuning at lr 0.01," in note
