"""Issue 12 on the model side of the tiny MLP: what a snapshot carries for the view (thumbnails
made next to the run, small payloads), and the Live channel surviving a fork."""
import multiprocessing
import pickle
import sys

import numpy as np
import pytest

from models.autograd.model import PlaneMLP
from models.autograd.plane import THUMB, neuron_grids, thumbnails
from models.autograd.toy_data import make_dataset, split
from models.autograd.train import AutogradTrainConfig, Live, snapshot, train, view_of

BOUNDS = (-1.5, 1.5, -1.0, 2.0)


def test_thumbnails_are_each_neurons_grid_as_colour_indices_top_row_first():
    model = PlaneMLP((3, 2), ("tanh", "relu"), seed=3, features=("x1", "x2", "x1x2"))
    grids = neuron_grids(model.state_dict(), model.activations, model.features, BOUNDS, 80)
    thumbs = thumbnails(grids)
    assert [t.shape for t in thumbs] == [(3, THUMB, THUMB), (3, THUMB, THUMB), (2, THUMB, THUMB),
                                         (1, THUMB, THUMB)]
    assert all(t.dtype == np.uint8 for t in thumbs)
    hidden = grids[1][1]  # neuron 1.2 over the plane, row 0 at the bottom (y0)
    assert thumbs[1][1][-1, 0] == int(np.clip((hidden[0, 0] + 1) * 127.5, 0, 255))  # bottom left
    assert thumbs[1][1][0, -1] == int(np.clip((hidden[78, 78] + 1) * 127.5, 0, 255))  # top right
    score = grids[-1][0]
    assert thumbs[-1][0][-1, 0] == int((np.tanh(score[0, 0]) + 1) * 127.5)  # the score via tanh
    relu = thumbs[2]
    assert relu.min() >= 127  # a relu is never below 0: never on the negative side of the map


def test_a_views_payload_is_small_and_shares_nothing_with_the_model():
    model = PlaneMLP((8, 8), ("tanh", "tanh"), seed=0)
    view = view_of(model, BOUNDS, 80)
    assert view.grid.dtype == np.float64  # the output keeps full precision (its boundary)
    assert all(g.dtype == np.float32 for g in view.neurons[:-1])  # only drawn: half the bytes
    assert len(pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL)) < 700_000
    assert view.thumbs and view.thumbs[1].shape == (8, THUMB, THUMB)


def test_snapshots_follow_the_bounds_a_live_object_was_given_in_the_run():
    X, y = make_dataset("moons", 30, 0.1, seed=0)
    model = PlaneMLP((3,), ("tanh",), seed=0)
    live = Live(BOUNDS)
    gen = train(model, split(X, y, 0.3, 0), AutogradTrainConfig(), live=live)
    first = snapshot(next(gen), live.bounds, resolution=10).payload
    child = Live(BOUNDS)  # as in a child process: the changes arrive by put()
    live.set_bounds((-3, 3, -2, 2))
    child.put(live.take())
    second = snapshot(next(gen), child.bounds, resolution=10).payload
    assert first.bounds == BOUNDS and second.bounds == (-3.0, 3.0, -2.0, 2.0)


def _child_takes(live, conn):
    live.put({"values": {"lr": 0.5}})
    conn.send(live.take())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork")
def test_a_fork_while_the_gui_holds_the_lock_leaves_the_child_a_free_lock():
    live = Live()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    with live._lock:  # the GUI thread in the middle of set() when the runner forks
        proc = ctx.Process(target=_child_takes, args=(live, child), daemon=True)
        proc.start()
    try:
        assert parent.poll(20), "the child blocked on the lock it inherited"
        assert parent.recv() == {"values": {"lr": 0.5}}
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    assert live.take() == {}  # the parent's copy is its own
