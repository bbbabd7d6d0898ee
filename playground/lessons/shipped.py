"""The lessons shipped in assets/lessons/, one per tab, in the order of the seeds' journey.
Help > Lessons lists them; playground/lessons/build_shipped.py makes them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.core.assets import asset_path


@dataclass(frozen=True)
class ShippedLesson:
    file: str  # in assets/lessons/
    title: str  # what Help > Lessons shows
    tab: str  # the tab it is about

    @property
    def path(self) -> Path:
        return folder() / self.file


SHIPPED = (
    ShippedLesson("1-neuron-and-backprop.playground", "1. A neuron and backprop by hand", "autograd"),
    ShippedLesson("2-bigrams-and-smoothing.playground", "2. Counting bigrams, and why smoothing", "bigram"),
    ShippedLesson("3-mlp-and-batchnorm.playground", "3. The names MLP, then why batch norm", "names"),
    ShippedLesson("4-digits-what-the-net-sees.playground", "4. Drawing digits: what the net sees", "digits"),
    ShippedLesson("5-attention-sort-then-names.playground", "5. Attention: sorting, then names", "attention"),
)


def folder() -> Path:
    return Path(asset_path("lessons"))
