"""Each task of the Attention tab keeps its own state while the other one is shown: its data, its
model as trained so far (never thrown away by a switch), its checkpoints and history, and its own
settings. A temperature tried on names says nothing about sorting, so switching to a task shows
it with the settings it had (as trained, the first time), never the other task's."""
from __future__ import annotations

from dataclasses import dataclass, field

from models.attention.history import Record

DEFAULT_TEXT = {"names": "emm", "sort": "hcfadb"}
DEFAULT_SETTINGS = {"attention_temperature": 1.0, "mask_off": False, "temperature": 1.0, "top_k": 0,
                    "top_p": 1.0}


@dataclass
class TaskState:
    """What the tab shows for one task, put aside while the other task is shown."""
    lab: object  # models.attention.lab.AttentionLab
    model: object  # the GPT (trained by the worker while a run goes on)
    checkpoints: list  # [(label, weights)] for the slider, the last one the current weights
    record: Record  # its step, recipe and loss history
    description: str  # where the weights came from ("shipped weights after ...")
    steps_here: int = 0  # steps trained in this tab since the weights were set
    cheated: bool = False  # some of them with the mask off
    unsaved: bool = False  # trained here since it was loaded, shipped or saved
    text: str = ""
    settings: dict = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    layer: int = 0
    head: int = 0


def read_settings(tab) -> dict:
    temperature, causal = tab.experiments.settings()
    return {"attention_temperature": temperature, "mask_off": not causal,
            "temperature": tab.generate.temperature.value(), "top_k": tab.generate.top_k.value(),
            "top_p": tab.generate.top_p.value()}


def apply_settings(tab, values: dict) -> None:
    """Put the experiment and generation controls back (without a redraw per control)."""
    boxes = (tab.experiments, tab.generate)
    for box in boxes:
        box.blockSignals(True)
    try:
        tab.experiments.temperature.set_value(float(values["attention_temperature"]))
        tab.experiments.mask_off.setChecked(bool(values["mask_off"]))
        tab.generate.temperature.set_value(float(values["temperature"]))
        tab.generate.top_k.setValue(int(values["top_k"]))
        tab.generate.top_p.setValue(float(values["top_p"]))
    finally:
        for box in boxes:
            box.blockSignals(False)


def stash(tab) -> TaskState:
    """The shown task's state, to put aside before another task is shown."""
    return TaskState(tab.lab, tab.model, tab.checkpoints, tab.record, tab.description, tab.run.steps_here,
                     tab.run.cheated, tab.unsaved, tab.text_edit.text(), read_settings(tab), tab.layer, tab.head)


def restore(tab, state: TaskState) -> None:
    """Show a task as it was put aside."""
    tab.lab = state.lab
    tab.show_source()
    apply_settings(tab, state.settings)
    tab.layer, tab.head = state.layer, state.head
    tab.set_model(state.model, [], state.description, state.record, checkpoints=state.checkpoints)
    tab.run.steps_here, tab.run.cheated, tab.unsaved = state.steps_here, state.cheated, state.unsaved
    tab.show_weights_status()
    tab.set_text(state.text or DEFAULT_TEXT[state.lab.task])
