"""Labels spread apart: no two boxes overlap, and a label that had room stays where it was."""
import numpy as np

from playground.widgets.label_spread import spread


def overlaps(pos, half):
    d = np.abs(pos[:, None, :] - pos[None, :, :])
    reach = half[:, None, :] + half[None, :, :]
    hit = (d < reach - 1e-6).all(axis=2)
    np.fill_diagonal(hit, False)
    return hit.any()


def test_a_crowd_of_labels_is_spread_until_none_overlaps():
    rng = np.random.default_rng(0)
    anchors = np.vstack([rng.normal(0, 8, (20, 2)), [[300.0, 300.0]], [[5.0, 5.0]] * 3])  # a cluster, a loner, a stack
    half = np.tile([9.0, 12.0], (len(anchors), 1))
    assert overlaps(anchors, half)
    pos = spread(anchors, half)
    assert not overlaps(pos, half)
    np.testing.assert_allclose(pos[20], anchors[20])  # the loner had room: it does not move
    assert np.abs(pos - anchors).max() < 150  # the crowd spreads locally, not across the plot


def test_spreading_is_the_same_every_time_and_handles_one_label():
    anchors, half = np.zeros((4, 2)), np.full((4, 2), 5.0)
    np.testing.assert_array_equal(spread(anchors, half), spread(anchors, half))
    assert not overlaps(spread(anchors, half), half)
    np.testing.assert_array_equal(spread(np.ones((1, 2)), np.ones((1, 2))), np.ones((1, 2)))
