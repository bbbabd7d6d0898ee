"""The Names tab's "Sample" page: names from an untrained and the trained network side by side,
and, for the name under the mouse (or typed in), the model's distribution over every next
character, with the one that came highlighted."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from models.names.model import char_probs, sample, word_loss
from playground.widgets.heatmap import Heatmap


class NameList(QListWidget):
    """Sampled names; hovering (or selecting) one reports it."""

    def __init__(self, tooltip: str, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setToolTip(tooltip)


class SamplePage(QWidget):
    def __init__(self, models, parent=None):
        """models() -> (untrained model, trained model), safe to use on the GUI thread (or None)."""
        super().__init__(parent)
        self.models = models
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.05, 5.0)
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setValue(1.0)
        self.temperature_box.setToolTip("Divide the logits by this before the softmax: below 1 the "
                                        "model plays safe (common names), above 1 it gets adventurous")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2_147_483_647)
        self.seed_box.setValue(42)
        self.seed_box.setToolTip("The same seed and temperature give the same names")
        self.count_box = QSpinBox()
        self.count_box.setRange(1, 200)
        self.count_box.setValue(20)
        self.count_box.setToolTip("How many names to sample from each model")
        self.sample_button = QPushButton("&Sample")
        self.sample_button.setToolTip("Draw names one character at a time until '.' (F5)")
        self.sample_button.setShortcut("F5")
        self.sample_button.clicked.connect(self._on_sample_clicked)
        controls = QHBoxLayout()
        for label, w in (("Temperature", self.temperature_box), ("Seed", self.seed_box),
                         ("Names", self.count_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
        controls.addWidget(self.sample_button)
        controls.addStretch(1)

        self.untrained_list = NameList("Names from the same network with fresh random weights. "
                                       "Hover one to see its next-character probabilities.")
        self.trained_list = NameList("Names from the current network. Hover one to see its "
                                     "next-character probabilities.")
        self.lists = {"untrained": self.untrained_list, "trained": self.trained_list}
        for key, widget in self.lists.items():
            widget.itemEntered.connect(self._on_item_entered)
            widget.currentItemChanged.connect(self._on_current_item_changed)
        lists = QHBoxLayout()
        lists.addWidget(_box("Untrained", self.untrained_list))
        lists.addWidget(_box("Trained", self.trained_list))

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("type a name to score it with the trained model…")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setToolTip("The trained model's probability of each next character of this name")
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.probs_view = Heatmap(title="Next-character probabilities", x_label="next character",
                                  y_label="after … → came", cell_font_scale=0.9)
        self.probs_view.setToolTip("Each row: what the model expected after the characters so far; the "
                                   "character that actually came is labelled with its probability.")
        self.detail_label = QLabel("Hover over a name.")
        self.detail_label.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.name_edit)
        right.addWidget(self.detail_label)
        right.addWidget(self.probs_view, 1)

        left = QVBoxLayout()
        left.addLayout(controls)
        left.addLayout(lists, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    def sample(self) -> None:
        models = self.models()
        if models is None:
            return
        t, seed, n = self.temperature_box.value(), self.seed_box.value(), self.count_box.value()
        for key, model in zip(("untrained", "trained"), models):
            widget = self.lists[key]
            widget.clear()
            widget.addItems([w or "(empty)" for w in sample(model, n, temperature=t, seed=seed)])

    def show_name(self, word: str, which: str = "trained") -> None:
        models = self.models()
        if models is None or not word:
            return
        model = models[0] if which == "untrained" else models[1]
        try:
            probs = char_probs(model, word)  # (len + 1, V)
        except ValueError as e:
            self.detail_label.setText(str(e))
            return
        itos = model.vocab.itos
        came = list(word) + ["."]
        T = model.block_size
        padded = "." * T + word
        rows = [f"{padded[i:i + T][-4:]} → {c}" for i, c in enumerate(came)]
        text = np.full(probs.shape, "", dtype=object)
        ids = [model.vocab.stoi[c] for c in came]
        for i, j in enumerate(ids):
            text[i, j] = f"{probs[i, j]:.0%}"
        self.probs_view.set_matrix(probs, rows, list(itos), text, levels=(0.0, 1.0))
        chosen = probs[np.arange(len(ids)), ids]
        self.detail_label.setText(
            f"<b>{word}</b> under the {which} model: average −log P = {word_loss(model, word):.2f} per "
            f"character (guessing: {np.log(len(itos)):.2f}); least expected: "
            f"'{came[int(np.argmin(chosen))]}' at {chosen.min():.1%}")

    @Slot()
    def _on_sample_clicked(self) -> None:
        self.sample()

    @Slot(QListWidgetItem)
    def _on_item_entered(self, item) -> None:
        which = "untrained" if self.sender() is self.untrained_list else "trained"
        if item is not None and item.text() != "(empty)":
            self.show_name(item.text(), which)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_item_changed(self, current, previous) -> None:
        which = "untrained" if self.sender() is self.untrained_list else "trained"
        if current is not None and current.text() != "(empty)":
            self.show_name(current.text(), which)

    @Slot(str)
    def _on_name_changed(self, text: str) -> None:
        word, models = text.strip(), self.models()
        if word and models is not None:
            known = set(models[1].vocab.itos)
            if not set(word) <= known and set(word.lower()) <= known:
                word = word.lower()  # "Emma" for a list of lowercase names
            self.show_name(word, "trained")


def _box(title: str, widget) -> QGroupBox:
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(widget)
    return box
