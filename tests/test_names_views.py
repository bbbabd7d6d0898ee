"""A Names run measures the histograms only while a view shows them (train.Views): the snapshot
without detail carries no histograms but still the update ratios, the embedding and the batch,
and a change reaches a child process's copy through take() / put()."""
from models.names.data import NamesData
from models.names.model import NamesConfig, NamesModel
from models.names.train import NamesTrainConfig, Views, train


def _report():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper"] * 10
    data = NamesData.from_words(words, 3)
    model = NamesModel(NamesConfig(vocab_size=data.vocab.size, block_size=3, n_embd=4, n_hidden=16),
                       data.vocab, seed=0)
    gen = train(model, data, NamesTrainConfig(steps=3, batch_size=8, eval_every=0))
    return gen, next(gen)


def test_a_snapshot_without_detail_skips_the_histograms():
    views = Views(detail=False)
    gen, report = _report()
    light = views.snapshot(report)
    assert not light.payload.detail and light.payload.tanh == [] and light.payload.weight_grads == []
    assert light.payload.update_ratio and light.payload.embedding is not None and light.payload.batch is not None
    views.set_detail(True)
    full = views.snapshot(next(gen))
    assert full.payload.detail and full.payload.tanh and full.payload.weight_grads
    gen.close()


def test_a_change_travels_through_take_and_put():
    gui, child = Views(detail=True), Views(detail=True)
    assert gui.take() == {}
    gui.set_detail(False)
    child.put(gui.take())
    assert not child.detail and gui.take() == {}
    gui.set_detail(True)
    child.put(gui.take())
    assert child.detail


def _child_sets_detail(views, conn):
    views.set_detail(False)  # blocks for ever if the inherited lock is still held
    conn.send(views.take())


def test_a_fork_while_the_gui_holds_the_lock_leaves_the_child_a_free_lock():
    """The same fork safety as Autograd's Live: both are models/core/live.py channels."""
    import multiprocessing
    import sys

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("fork")
    views = Views(detail=True)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    with views._lock:
        proc = ctx.Process(target=_child_sets_detail, args=(views, child), daemon=True)
        proc.start()
    try:
        assert parent.poll(20), "the child blocked on the lock it inherited"
        assert parent.recv() == {"detail": False}
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    assert views.detail and views.take() == {}
