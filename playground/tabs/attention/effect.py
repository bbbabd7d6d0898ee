"""What the experiments change, in numbers: the quick score of the weights shown as trained and with
the experiment (a job: a few hundred examples), and the sentence the Experiments box shows.
EffectScore runs it for the tab a moment after the weights or the experiment change (`timer`)."""
from __future__ import annotations

import re

from PySide6.QtCore import QObject, QTimer

from models.attention.lab import AttentionLab


def score(lab: AttentionLab, model, temperature: float, causal: bool) -> tuple[dict, dict]:
    """(score as trained, score with the experiment) of a copy of the view's model (a job)."""
    model.attention_temperature, model.causal = 1.0, True
    trained = lab.score(model)
    if abs(temperature - 1.0) < 1e-3 and causal:
        return trained, trained
    model.attention_temperature, model.causal = temperature, causal
    return trained, lab.score(model)


def effect_text(task: str, scores, which: str, active: bool, causal: bool, cheated: bool) -> str:
    """e.g. "Loss on a few hundred validation names (step 58,500): 1.942 as trained"; `which`
    names the weights scored ("step 58,500")."""
    was, now = scores
    what = "validation names" if task == "names" else "held-out sequences"
    text = f"Loss on a few hundred {what} ({which}): <b>{was['loss']:.3f}</b> as trained"
    if active:
        text += f" → <b>{now['loss']:.3f}</b> now"
    if "exact" in was:
        text += f"<br>Sorted exactly right: {100 * was['exact']:.0f}%"
        if active:
            text += f" → {100 * now['exact']:.0f}%"
    if not causal and not cheated:
        text += ("<br>With the mask off, this model (trained with it) sees letters it never learned to "
                 "use. Train with the mask off to see the loss drop by copying the future.")
    elif causal and cheated:
        text += ("<br>These weights learned with the mask off: they copy the next character from "
                 "the input, so with the mask on they are lost.")
    return text


class EffectScore(QObject):
    """request() asks for a score of the weights the tab shows, 250 ms later; one runs at a time."""

    def __init__(self, tab):
        super().__init__(tab)
        self.tab = tab
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.score_now)

    def request(self, throttled: bool = False) -> None:
        """A score soon: each request postpones it (the user is still moving a control), or, when
        `throttled` (a run's validations), one already asked for is not postponed for ever."""
        if not (throttled and self.timer.isActive()):
            self.timer.start()

    def pending(self) -> bool:
        return self.timer.isActive()

    def score_now(self) -> None:
        """Say what the experiment changes, on a few hundred validation examples (a job)."""
        tab = self.tab
        if tab.view_model is None:
            return
        if tab.jobs.is_busy("score"):  # let it finish (a newer one would supersede it forever while
            self.timer.start()  # training validates faster than a score takes), then score again
            return
        temperature, causal = tab.experiments.settings()
        label = tab.checkpoints[tab.heads.scrub.value()][0] if tab.checkpoints else ""
        found = re.search(r"step [\d,]+", label)
        which = found.group(0) if found else label
        tab.jobs.submit("score", score, tab.lab, tab.view_model.clone(), temperature, causal,
                        done=lambda scores: self._on_scored(scores, which))

    def _on_scored(self, scores, which: str) -> None:
        tab = self.tab
        causal = tab.experiments.settings()[1]
        tab.experiments.effect.setText(effect_text(tab.lab.task, scores, which, tab.experiments.active(),
                                                   causal, tab.run.cheated))
