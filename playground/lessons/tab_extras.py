"""What the generic walk (widget_state.py) cannot see, for tabs that do not yet implement
Tab.lesson_state() / restore_lesson_state() themselves.

Each entry reads and restores a few documented attributes of one tab from the outside. Once a
tab implements the hooks, its entry here is not used (session.py asks the tab first), and it can
be deleted. What each covers:

- autograd: the graph page's built graph (a custom expression is rebuilt), its input values,
  how many backward steps were taken, and the selected node. Not yet: points clicked onto the
  training page's plane (the page is being rewritten; it should implement the hooks).
- bigram: the selected cell of the count matrix, and (for a tab without a weights box) the
  neural bigram's W through models.core.checkpoint, with its step count.
- digits: the drawing on the canvas.
- attention: the selected layer, head and query position.
- names: nothing beyond the walk (its weights box and loss plots carry weights and history).

Anything missing (a tab that changed) is skipped with a sentence, never an exception.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from models.core import checkpoint
from playground.lessons.widget_state import weights_boxes


def capture(tab) -> tuple[dict, dict]:
    """(state, arrays) of the tab's stand-in; an AttributeError and the like when the tab changed."""
    fns = _EXTRAS.get(tab.name)
    return fns[0](tab) if fns is not None else ({}, {})


def restore(tab, state: dict, arrays: dict) -> list[str]:
    fns = _EXTRAS.get(tab.name)
    if fns is None or not (state or arrays):
        return []
    try:
        return fns[1](tab, state, arrays)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OSError) as e:
        return [f"The {tab.title} tab's selection and drawing could not be put back ({type(e).__name__})."]


# -- models as bytes, through the one checkpoint format ------------------------------------------
class SavedModel:
    """A model (a copy the GUI no longer touches) that a lesson's save job turns into checkpoint
    bytes: what lesson_state() puts in its arrays for a model, so the file is written off the GUI
    thread."""

    def __init__(self, model, meta: dict | None = None):
        self.model, self.meta = model, dict(meta or {})

    def to_array(self) -> np.ndarray:
        return model_bytes(self.model, self.meta)


def model_bytes(model, meta: dict | None = None) -> np.ndarray:
    """A registered model as its checkpoint file's bytes (uint8), for a lesson's arrays."""
    with tempfile.TemporaryDirectory(prefix="playground-lesson-") as folder:
        path = checkpoint.save_model(Path(folder) / "model.npz", model, meta or {})
        return np.frombuffer(path.read_bytes(), np.uint8).copy()


def model_from_bytes(raw: np.ndarray, cls) -> checkpoint.Loaded:
    with tempfile.TemporaryDirectory(prefix="playground-lesson-") as folder:
        path = Path(folder) / "model.npz"
        path.write_bytes(np.asarray(raw, np.uint8).tobytes())
        return checkpoint.load_model(path, cls)


def copy_model(model):
    """A model of the checkpoint contract rebuilt from its config and a copy of its arrays."""
    twin = type(model).from_config(model.get_config())
    twin.load_state_dict({k: v.copy() for k, v in model.state_dict().items()})
    return twin


# -- autograd ----------------------------------------------------------------------------------
def _autograd_capture(tab):
    page = tab.graph_page
    state = {"built": page.graph is not None, "steps": page.step_count, "done": bool(page.done),
             "selected": page.selected}
    leaves = getattr(page.graph, "leaves", None)
    if isinstance(leaves, dict):
        state["leaves"] = {name: float(v.data) for name, v in leaves.items()}
    return state, {}


def _autograd_restore(tab, state, arrays):
    from playground.tabs.autograd.graph_page import CUSTOM

    page, notes = tab.graph_page, []
    if state.get("built") and page.preset.currentText() == CUSTOM:
        page.build(sync=True)
    leaves = getattr(page.graph, "leaves", None)
    values = state.get("leaves")
    if isinstance(values, dict) and isinstance(leaves, dict):
        changed = False
        for name, value in values.items():
            if name in leaves and isinstance(value, (int, float)) and leaves[name].data != value:
                leaves[name].data, changed = float(value), True
        if changed:
            page.forward()
    steps = state.get("steps")
    if state.get("done"):
        page.backward_all()
    elif isinstance(steps, int) and steps > 0:
        for _ in range(min(steps, 100_000)):
            if not page.backward_step():
                break
    selected = state.get("selected")
    if isinstance(selected, int) and 0 <= selected < len(page.view.values):
        page.view.node_clicked.emit(selected)  # as if the user clicked it
    return notes


# -- bigram ------------------------------------------------------------------------------------
def _bigram_capture(tab):
    state = {"selected": [int(v) for v in tab.selected]}
    arrays = {}
    run = tab.neural.run
    if weights_boxes(tab):  # the tab saves W itself through its weights box: the generic walk has it
        return state, arrays
    if run is not None and run.steps > 0 and not tab.neural.runner.is_busy():
        state["neural_steps"] = int(run.steps)
        arrays["neural_bigram"] = SavedModel(copy_model(run.model), {"steps": int(run.steps)})
    return state, arrays


def _bigram_restore(tab, state, arrays):
    from models.bigram.neural import NeuralBigram

    notes = []
    selected = state.get("selected")
    if isinstance(selected, list) and len(selected) == 2 and tab.data is not None:
        r, c = (int(v) for v in selected)
        if 0 <= r < len(tab.data.itos) and 0 <= c < len(tab.data.itos):
            tab.matrix.cell_clicked.emit(r, c)  # as if the user clicked it
    if "neural_bigram" in arrays:
        neural = tab.neural
        loaded = model_from_bytes(arrays["neural_bigram"], NeuralBigram)
        if neural.run is None or neural.runner.is_busy() or loaded.model.W.shape != neural.run.model.W.shape:
            notes.append("The Bigram tab's learned W does not fit this word list; skipped.")
        else:
            neural.run.model.load_state_dict(loaded.model.state_dict())
            neural.run.shown.load_state_dict(loaded.model.state_dict())
            neural.run.steps = neural.run.start_step = int(state.get("neural_steps", 0))
            neural.learned = neural.run.shown.probs()
            neural._redraw()
    return notes


# -- digits ------------------------------------------------------------------------------------
def _digits_capture(tab):
    canvas = tab.canvas
    if canvas.is_empty():
        return {"drawing": False}, {}
    return {"drawing": True}, {"drawing": np.round(canvas.array() * 255).astype(np.uint8)}


def _digits_restore(tab, state, arrays):
    drawing = arrays.get("drawing")
    if state.get("drawing") is False:
        tab.canvas.clear()
    elif drawing is not None and drawing.ndim == 2 and min(drawing.shape) > 0:
        tab.canvas.set_image(drawing.astype(np.float32) / 255.0)
    return []


# -- attention ---------------------------------------------------------------------------------
def _attention_capture(tab):
    return {"layer": int(tab.layer), "head": int(tab.head), "query": int(tab.query)}, {}


def _attention_restore(tab, state, arrays):
    layer, head, query = state.get("layer"), state.get("head"), state.get("query")
    maps = getattr(tab.heads.grid, "maps", None)  # (L, H, T, T) of the model shown
    L, H = maps.shape[:2] if maps is not None and maps.ndim == 4 else (0, 0)
    if not (isinstance(layer, int) and isinstance(head, int) and 0 <= layer < L and 0 <= head < H):
        return ["The Attention tab's selected head is not in this model; skipped."]
    if (layer, head) != (tab.layer, tab.head):
        tab.heads.head_selected.emit(layer, head)  # as if the user clicked the head
    if isinstance(query, int) and query >= 0 and query != tab.query:
        tab.heads.query_selected.emit(query)
    return []


_EXTRAS = {
    "autograd": (_autograd_capture, _autograd_restore),
    "bigram": (_bigram_capture, _bigram_restore),
    "digits": (_digits_capture, _digits_restore),
    "attention": (_attention_capture, _attention_restore),
}
