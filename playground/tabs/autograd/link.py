"""The tiny-MLP page's state as one line of text, to paste into a lesson plan or a chat:

    playground:autograd?dataset=spiral&features=x1,x2,x1x2&hidden=8,8&test=0.5&hide=noise,batch

Only settings that differ from DEFAULTS are written, so a link says what a lesson changes.
`read_link` gives back every setting (defaults filled in) or raises ValueError with a sentence
naming what is wrong. Plain Python: no Qt, tested on its own.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, quote

from models.autograd import features as feats
from models.autograd.engine import ACTIVATIONS
from models.autograd.model import LOSSES
from models.autograd.toy_data import DATASETS

PREFIX = "playground:autograd?"
REGULARISATION = ("none", "l1", "l2")
HIDEABLE = ("data", "noise", "split", "batch", "network", "training", "regularisation",
            "weights", "graph", "explain")  # groups and rows a lesson may hide

DEFAULTS = {
    "dataset": "moons",  # one of models.autograd.toy_data.DATASETS
    "points": 200,  # points before the split
    "noise": 0.1,
    "seed": 1,  # the data's seed (points and split)
    "test": 0.5,  # fraction held out as the test set
    "features": ("x1", "x2"),
    "hidden": (8, 8),  # neurons per hidden layer
    "act": ("tanh", "tanh"),  # one activation per hidden layer
    "init": 1337,  # the weights' seed
    "loss": "max_margin",
    "lr": 1.0,
    "decay": True,  # micrograd's schedule: down to a tenth over 100 steps
    "reg": "l2",
    "rate": 1e-4,  # the regularisation rate
    "batch": 0,  # points per step; 0 = every training point
    "discretize": False,
    "showtest": True,
    "hide": (),  # what the lesson hides, from HIDEABLE
}


def make_link(state: dict) -> str:
    """The link of a state (a dict with DEFAULTS' keys; missing keys count as defaults)."""
    parts = []
    for key, default in DEFAULTS.items():
        value = state.get(key, default)
        if isinstance(default, tuple):
            value = tuple(value)
        if value == default:
            continue
        parts.append(f"{key}={quote(_text(value), safe=',.-_')}")
    return PREFIX + "&".join(parts)


def read_link(text: str) -> dict:
    """Every setting of a link; ValueError with a message for anything else."""
    text = text.strip()
    if not text.startswith(PREFIX.rstrip("?")):
        raise ValueError(f"A link of this page starts with {PREFIX!r}.")
    query = text.split("?", 1)[1] if "?" in text else ""
    state = dict(DEFAULTS)
    for key, raw in parse_qsl(query, keep_blank_values=True):
        if key not in DEFAULTS:
            raise ValueError(f"The link has an unknown setting {key!r}.")
        state[key] = _parse(key, raw, DEFAULTS[key])
    if len(state["act"]) != len(state["hidden"]):
        raise ValueError("The link needs one activation (act=) per hidden layer (hidden=).")
    return state


def _text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parse(key: str, raw: str, default):
    try:
        if isinstance(default, bool):
            if raw not in ("0", "1"):
                raise ValueError
            return raw == "1"
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return value
        if isinstance(default, tuple):
            items = tuple(s.strip() for s in raw.split(",") if s.strip())
            return _checked_list(key, items)
    except ValueError:
        raise ValueError(f"The link's {key}={raw!r} is not a valid value.") from None
    return _checked_choice(key, raw)


def _checked_list(key: str, items: tuple):
    if key == "hidden":
        return tuple(int(s) for s in items)
    if key == "features":
        return feats.check(items)
    allowed = ACTIVATIONS if key == "act" else HIDEABLE
    bad = [s for s in items if s not in allowed]
    if bad:
        raise ValueError(f"The link's {key} has {bad[0]!r}; use {', '.join(allowed)}.")
    return items


def _checked_choice(key: str, raw: str) -> str:
    allowed = {"dataset": DATASETS, "loss": LOSSES, "reg": REGULARISATION}[key]
    if raw not in allowed:
        raise ValueError(f"The link's {key}={raw!r} is not one of {', '.join(allowed)}.")
    return raw
