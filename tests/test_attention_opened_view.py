"""An opening job also makes the viewer's twin of the model it read (off the GUI thread)."""
import numpy as np

from models.attention.lab import Opened
from models.attention.model import GPT


def test_with_view_makes_an_equal_twin_with_its_own_arrays():
    model = GPT.tiny()
    model.param("head.W")[...] += 0.5  # not the weights a fresh model of this config gets
    opened = Opened(lab=None, model=model).with_view()
    assert opened.view is not model
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(opened.view.param(name), value)
        assert not np.shares_memory(opened.view.param(name), model.param(name))
    assert Opened(lab=None).with_view().view is None
