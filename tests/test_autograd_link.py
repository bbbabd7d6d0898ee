"""The tiny-MLP page's shareable link: only what differs from the defaults, read back exactly,
and a sentence for anything wrong."""
import pytest

from playground.tabs.autograd.link import DEFAULTS, PREFIX, make_link, read_link


def test_defaults_make_an_empty_link_and_read_back():
    assert make_link(DEFAULTS) == PREFIX
    assert read_link(PREFIX) == DEFAULTS
    assert read_link("playground:autograd") == DEFAULTS


def test_a_lesson_round_trips():
    lesson = {**DEFAULTS, "dataset": "spiral", "features": ("x1", "x2", "x1x2", "sinx1", "sinx2"),
              "hidden": (8, 8, 4), "act": ("tanh", "relu", "sigmoid"), "test": 0.3, "noise": 0.25,
              "lr": 0.03, "decay": False, "reg": "l1", "rate": 0.003, "batch": 10,
              "discretize": True, "showtest": False, "hide": ("noise", "batch", "explain")}
    link = make_link(lesson)
    assert link.startswith(PREFIX) and " " not in link
    assert "dataset=spiral" in link and "points=" not in link  # defaults are left out
    assert read_link(link) == lesson
    assert read_link("  " + link + "\n") == lesson  # pasted with blanks around


@pytest.mark.parametrize("link,fragment", [
    ("https://example.com/?dataset=spiral", "starts with"),
    (PREFIX + "colour=red", "unknown setting"),
    (PREFIX + "dataset=rings", "not one of"),
    (PREFIX + "points=many", "not a valid value"),
    (PREFIX + "lr=nan", "not a valid value"),
    (PREFIX + "decay=yes", "not a valid value"),
    (PREFIX + "features=x1,x9", "not a valid value"),
    (PREFIX + "hide=everything", "hide"),
    (PREFIX + "hidden=4,4,4", "one activation"),
])
def test_bad_links_are_refused_with_a_sentence(link, fragment):
    with pytest.raises(ValueError, match=fragment):
        read_link(link)
