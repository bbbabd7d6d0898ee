"""The Journey's shipped rungs are the numbers `playground eval` prints, on the same names split."""
import math
import re

import pytest

from models.core.assets import asset_path
from playground import cli
from playground.lessons import journey_data
from playground.lessons.journey_data import RUNGS


@pytest.fixture(scope="module")
def words():
    return journey_data.names_words()


def eval_output(capsys, *argv) -> str:
    capsys.readouterr()
    assert cli.main(["eval", *argv]) == 0
    return capsys.readouterr().out


def printed(out: str, key: str) -> float:
    return float(re.search(rf"\b{key}=([0-9.]+)", out).group(1))


@pytest.mark.parametrize("key", ["mlp", "batchnorm", "wavenet"])
def test_the_names_rungs_are_playground_eval_names(key, words, capsys):
    out = eval_output(capsys, "names", "--weights", str(asset_path("weights", journey_data.NAMES_WEIGHTS[key])))
    figure = journey_data.shipped_figure(key, words)
    assert round(figure.val_loss, 4) == printed(out, "val_loss")
    assert figure.params == int(printed(out, "params"))


def test_the_transformer_rung_is_playground_eval_attention(words, capsys):
    out = eval_output(capsys, "attention", "--task", "names")
    assert round(journey_data.shipped_figure("transformer", words).val_loss, 4) == printed(out, "val_loss")


def test_the_counted_bigram_rung_is_playground_eval_bigram_with_add_one(words, capsys):
    out = eval_output(capsys, "bigram", "--smoothing", "1")
    val = float(re.search(r"val ([0-9.]+)", out).group(1))
    assert round(journey_data.shipped_figure("counts", words).val_loss, 4) == val


def test_uniform_and_neural_bigram(words):
    assert journey_data.shipped_figure("uniform", words).val_loss == pytest.approx(math.log(27))
    neural = journey_data.shipped_figure("neural_bigram", words)
    counts = journey_data.shipped_figure("counts", words)
    assert counts.val_loss < neural.val_loss < counts.val_loss + 0.02  # it learns the counts' table
    assert neural.params == 27 * 27 and neural.steps == 300


def test_the_ladder_goes_down(words):
    """The story the picture tells: each rung at or below the one above (the neural bigram learns
    the counts, a hair above them)."""
    losses = [journey_data.shipped_figure(r.key, words).val_loss for r in RUNGS]
    assert losses[0] > losses[1] and all(b <= a + 0.01 for a, b in zip(losses, losses[1:]))
    assert losses[-1] == min(losses)
