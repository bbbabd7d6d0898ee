"""What the experiments change, in numbers: the quick score of the weights shown as trained and with
the experiment (a job: a few hundred examples), and the sentence the Experiments box shows."""
from __future__ import annotations

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
