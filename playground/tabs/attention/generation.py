"""Generation in the Attention tab: Next character draws one character with the Generate box's
temperature, top-k and top-p and appends it to the text (every view follows the new last
position); Sample 8 draws whole continuations of the text in a job."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Slot


class Generation(QObject):
    def __init__(self, tab):
        super().__init__(tab)
        self.tab = tab
        self.rng = np.random.default_rng(int(time.time() * 1000) % 2**32)
        tab.generate.next_requested.connect(self._on_next_requested)
        tab.generate.sample_requested.connect(self._on_sample_requested)

    @Slot()
    def _on_next_requested(self) -> None:
        """Draw one character and append it: every view follows the new last position."""
        tab = self.tab
        if tab.ctx is None or tab.lab.task != "names":
            return
        samples, block = tab.generate.samples, tab.view_model.block_size
        if len(tab.ctx.ids) >= block:
            samples.setText(f"The model reads at most {block} characters.")
            return
        c = tab.lab.next_character(tab.view_model, tab.ctx, *tab.generate.settings(), self.rng)
        if c == 0:
            samples.setText(f"The model drew '.': <b>{''.join(tab.ctx.tokens[1:])}</b> ends here.")
            return
        tab.set_text(tab.text_edit.text() + tab.lab.itos[c])

    @Slot()
    def _on_sample_requested(self) -> None:
        tab = self.tab
        if tab.ctx is None:
            return
        temperature, top_k, top_p = tab.generate.settings()
        rng = np.random.default_rng(self.rng.integers(2**32))
        tab.jobs.submit("sample", tab.lab.sample, tab.view_model.clone(), tab.ctx, temperature, 8, rng,
                        top_k, top_p, done=self._on_sampled)

    def _on_sampled(self, words) -> None:
        self.tab.generate.samples.setText("Samples: " + ", ".join(f"<b>{w}</b>" for w in words))
