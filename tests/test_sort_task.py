"""The sorting task: its sequences, the held-out split, exact-match scoring, and that a small
transformer learns it in a short run."""
import numpy as np
import pytest

from models.attention.sort_task import SortTask
from models.attention.model import GPT, GPTConfig
from models.attention.train import AttentionTrainConfig, TrainData, train


def test_examples_read_the_input_and_score_only_the_answer():
    task = SortTask(length=3, letters="abc")
    x, y = task.examples(task.encode("cab"))
    assert task.decode(x[0]) == "cab|ab"  # the model reads input, '|', then its own answer
    assert y[0, :3].tolist() == [-1, -1, -1]
    assert task.decode(y[0, 3:]) == "abc"
    assert x.shape[1] == task.block_size


def test_reverse_mode_and_repeated_letters():
    task = SortTask(length=4, letters="abcd", mode="reverse")
    assert task.decode(task.answer(task.encode("abbd"))[0]) == "dbba"
    assert task.decode(SortTask(length=4, letters="abcd").answer(task.encode("dbab"))[0]) == "abbd"


def test_heldout_sequences_are_fixed_and_never_sampled_for_training():
    task = SortTask()
    rng = np.random.default_rng(0)
    train_seqs = task.random_sequences(rng, 5000, heldout=False)
    test_seqs = task.random_sequences(rng, 500, heldout=True)
    assert not task.is_heldout(train_seqs).any() and task.is_heldout(test_seqs).all()
    as_text = lambda seqs: {task.decode(s) for s in seqs}  # noqa: E731
    assert not as_text(train_seqs) & as_text(test_seqs)
    every = np.random.default_rng(1).integers(1, 9, (20000, 6))
    assert 0.08 < task.is_heldout(every).mean() < 0.12  # about `holdout` of all sequences


@pytest.mark.parametrize("text", ["ab", "abcdefg", "abcxyz", "ABCDEF"])
def test_bad_input_is_refused_with_a_message(text):
    with pytest.raises(ValueError, match="type 6 letters"):
        SortTask().encode(text)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        SortTask(mode="shuffle")
    with pytest.raises(ValueError):
        SortTask(letters="aab")


def test_a_small_transformer_learns_to_sort_in_a_short_run():
    task = SortTask(length=4, letters="abcde")
    model = GPT(GPTConfig(vocab_size=len(task.itos), block_size=task.block_size, n_layer=1,
                          n_head=2, n_embd=16), task.itos, "sort", task)
    assert task.exact_match(model, n=200) < 0.2  # untrained: chance
    for _ in train(model, TrainData(task.sampler()), AttentionTrainConfig(steps=120, batch_size=32, lr=1e-2,
                                                                           warmup=20)):
        pass
    assert task.exact_match(model, n=500) > 0.95
    seqs = task.encode("ecba")
    assert task.decode(task.solve(model, seqs)[0]) == "abce"
