"""The initialisation lessons of makemore part 3, each as a bad case and its fix: one click sets
the model, and the Health page shows the lesson at step 0 (no training needed).

1. Confidently wrong logits: output weights ~ N(0, 1) and biases ~ N(0, 1) make large random
   logits, so the first loss is ~20 instead of -log(1/27) = 3.30. Fix: a small output layer.
2. Saturated tanh: with gain 3, 40-50% of the tanh outputs sit beyond |0.97| in every layer of
   a deep stack, where they pass almost no gradient. Fix: Kaiming's 5/3 (about 20% in the first
   layer, 5-10% in the later ones: the lecture's own figures).
3. Depth 5 without batch norm: with too small a gain (0.5) each layer shrinks the signal going
   forward and the gradient going back, so the layers' gradients differ by ~15x. Fix: batch norm
   rescales every layer, and the gain hardly matters any more (under 3x).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from models.names.model import NamesConfig


@dataclass(frozen=True)
class Experiment:
    key: str  # short name, e.g. "wrong"
    lesson: str  # which lesson (a row of buttons)
    label: str  # the button's text
    config: NamesConfig  # the model it builds (vocab_size is set from the word list)
    explain: str  # what to look at, in a sentence or two (the button's tooltip)


_MLP = NamesConfig()  # the lecture's MLP: context 3, embedding 10, 200 tanh neurons
_DEEP = NamesConfig(n_layers=5, n_hidden=100)  # the lecture's deep stack (part 3): 5 x 100 tanh

EXPERIMENTS = (
    Experiment("wrong", "logits", "Confidently wrong", replace(_MLP, out_scale=1.0, bias_init=1.0),
               "Output weights and biases ~ N(0, 1): large random logits, so the first loss is ~20, "
               "not 3.30. The first thousand steps only squash the logits."),
    Experiment("calm", "logits", "Small output", replace(_MLP, out_scale=0.01, bias_init=0.0),
               "Output weights ~ N(0, 1) × 0.01 and zero biases: every character starts about equally "
               "likely, so the first loss is −log(1/27) ≈ 3.30."),
    Experiment("saturated", "tanh", "Gain 3: saturated", replace(_DEEP, gain=3.0),
               "Five tanh layers with gain 3: 40–50% of every layer's outputs are beyond ±0.97, "
               "where the gradient 1 − tanh² is nearly 0."),
    Experiment("kaiming", "tanh", "Kaiming 5/3", replace(_DEEP, gain=5 / 3),
               "The same stack with gain 5/3: about 20% saturated in the first layer and 5–10% "
               "in the later ones, and gradients of the same size in every layer."),
    Experiment("deep", "depth", "No batch norm", replace(_DEEP, gain=0.5),
               "Five layers with too small a gain (0.5): each layer shrinks the gradient going "
               "back, so the first layer's gradients are ~15× smaller than the last one's."),
    Experiment("deep_bn", "depth", "Batch norm", replace(_DEEP, gain=0.5, batchnorm=True),
               "The same stack with batch norm before each tanh: every layer is rescaled, so the "
               "gradients stay within ~3× of each other whatever the gain."),
)


def experiment(key: str) -> Experiment:
    for e in EXPERIMENTS:
        if e.key == key:
            return e
    raise KeyError(key)


def config_for(key: str, vocab_size: int) -> NamesConfig:
    return replace(experiment(key).config, vocab_size=vocab_size)
