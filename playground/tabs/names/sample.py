"""The Names tab's "Sample" page: names from an untrained and the trained network side by side,
each marked with where the word list has it (train / val / test) or as new, the share of new
names, and, for the name under the mouse (or typed in), the model's distribution over every
next character, with the one that came highlighted."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QSplitter, QVBoxLayout,
                               QWidget)

from models.names.model import char_probs, word_loss
from playground import shortcuts
from playground import style as app_style
from playground.tabs.names.state import Samples, SampleSettings
from playground.widgets.heatmap import Heatmap

MAX_TYPED = 40  # characters of a typed name: its heatmap has a row per character (1,000 froze 22 s)
TYPING_PAUSE_MS = 150  # the typed name is scored once typing pauses this long, not per keystroke

TAG_TEXT = {"train": "in train", "val": "in val", "test": "in test", "new": "new"}
TAG_COLOUR = {"train": 1, "val": 4, "test": 3}  # style.series() indices; new names keep the text colour


class NameList(QListWidget):
    """Sampled names with their tags; hovering (or selecting) one reports it."""

    def __init__(self, tooltip: str, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setToolTip(tooltip)

    def set_names(self, names: list[str], tags: list[str]) -> None:
        self.clear()
        st = app_style.current()
        for name, tag in zip(names, tags):
            item = QListWidgetItem(f"{name or '(empty)'}   · {TAG_TEXT.get(tag, tag)}")
            item.setData(Qt.UserRole, name)
            if tag in TAG_COLOUR:
                item.setForeground(QBrush(QColor(st.series(TAG_COLOUR[tag]))))
            self.addItem(item)

    def names(self) -> list[str]:
        return [self.item(i).data(Qt.UserRole) for i in range(self.count())]


class SamplePage(QWidget):
    sample_requested = Signal()

    def __init__(self, models, parent=None):
        """models() -> (untrained model, trained model), safe to use on the GUI thread (or None)."""
        super().__init__(parent)
        self.setObjectName("sample")
        self.models = models
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.05, 5.0)
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setValue(1.0)
        self.temperature_box.setToolTip("Divide the logits by this before the softmax: below 1 the "
                                        "model plays safe (common names), above 1 it gets adventurous")
        self.top_k_box = QSpinBox()
        self.top_k_box.setRange(0, 100)
        self.top_k_box.setSpecialValueText("all")
        self.top_k_box.setToolTip("Draw each character from only the k likeliest ones (all: no limit). "
                                  "Small k makes safer names, and more of them already in the list")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 999_999)
        self.seed_box.setValue(42)
        self.seed_box.setToolTip("The same seed, temperature and top-k give the same names")
        self.count_box = QSpinBox()
        self.count_box.setRange(1, 200)
        self.count_box.setValue(20)
        self.count_box.setToolTip("How many names to sample from each model")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Draw names one character at a time until '.'")
        shortcuts.bind(self.sample_button, "names.sample")
        self.sample_button.clicked.connect(self.sample_requested)
        # One row of controls across the page, then the lists beside the scored name: on a 16:9
        # projector the height is what is short, and the heatmap needs a row per character.
        controls = QHBoxLayout()
        for label, w in (("Temperature", self.temperature_box), ("Top-k", self.top_k_box),
                         ("Seed", self.seed_box), ("Names", self.count_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
            controls.addSpacing(6)
        controls.addWidget(self.sample_button)
        controls.addStretch(1)

        self.untrained_list = NameList("Names from the same network with fresh random weights. "
                                       "Hover one to see its next-character probabilities.")
        self.trained_list = NameList("Names from the current network, each marked with where the word "
                                     "list has it: in train (memorised, or just common), in val or test "
                                     "(names it never trained on), or new. Hover one to see its "
                                     "next-character probabilities.")
        self.lists = {"untrained": self.untrained_list, "trained": self.trained_list}
        for widget in self.lists.values():
            widget.itemEntered.connect(self._on_item_entered)
            widget.currentItemChanged.connect(self._on_current_item_changed)
        self.new_label = QLabel("")
        self.new_label.setWordWrap(True)
        self.new_label.setToolTip("A model that only memorised would make no new names; one that learned "
                                  "nothing would make few real ones. Names in val or test are real names "
                                  "the model never saw.")
        names = QWidget()  # the two lists, one above the other, and the share of new names
        names_layout = QVBoxLayout(names)
        names_layout.setContentsMargins(0, 0, 0, 0)
        names_layout.addWidget(_box("Trained", self.trained_list), 1)
        names_layout.addWidget(_box("Untrained", self.untrained_list), 1)
        names_layout.addWidget(self.new_label)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("type a name to score it with the trained model…")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setToolTip(f"The trained model's probability of each next character of this name "
                                  f"(up to {MAX_TYPED} characters)")
        self.name_edit.setMaxLength(MAX_TYPED)  # pasted text is cut to this too
        self._typed = QTimer(self)
        self._typed.setSingleShot(True)
        self._typed.setInterval(TYPING_PAUSE_MS)
        self._typed.timeout.connect(self._score_typed)
        self.name_edit.textChanged.connect(self._typed.start)  # (re)start: one redraw per pause
        self.probs_view = Heatmap(title="Next-character probabilities", x_label="next character",
                                  y_label="after … → came", cell_font_scale=0.9)
        self.probs_view.setToolTip("Each row: what the model expected after the characters so far; the "
                                   "character that actually came is labelled with its probability.")
        self.detail_label = QLabel("Hover over a name.")
        self.detail_label.setWordWrap(True)
        scored_box = QWidget()
        scored = QVBoxLayout(scored_box)
        scored.setContentsMargins(0, 0, 0, 0)
        scored.addWidget(self.name_edit)
        scored.addWidget(self.detail_label)
        scored.addWidget(self.probs_view, 1)

        self.split = split = QSplitter(Qt.Horizontal)
        split.addWidget(names)
        split.addWidget(scored_box)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        self._user_split = False  # the lists' width follows the page until the user drags it
        split.splitterMoved.connect(self._on_split_moved)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(split, 1)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_split:  # 27 columns of letters need the width more than the lists do
            left = int(min(max(0.25 * self.width() - 40, 180), 320))
            self.split.setSizes([left, max(self.split.width() - left, 1)])

    @Slot(int, int)
    def _on_split_moved(self, pos: int, index: int) -> None:
        self._user_split = True

    def settings(self) -> SampleSettings:
        return SampleSettings(self.count_box.value(), self.temperature_box.value(), self.top_k_box.value(),
                              self.seed_box.value())

    def set_samples(self, samples: Samples) -> None:
        self.untrained_list.set_names(samples.untrained, samples.untrained_tags)
        self.trained_list.set_names(samples.trained, samples.trained_tags)
        n, c = len(samples.trained), samples.counts
        if n and c:
            self.new_label.setText(f"<b>New names: {c['new']} of {n} ({c['new'] / n:.0%})</b> · in the "
                                   f"training list {c['train']} · in val {c['val']} · in test {c['test']}")
        else:
            self.new_label.setText("")
        names = [n for n in samples.trained if n]
        if names and not self.name_edit.text().strip():
            self.show_name(names[0])  # something to read before the mouse moves

    def show_name(self, word: str, which: str = "trained") -> None:
        models = self.models()
        if models is None or not word:
            return
        word = word[:MAX_TYPED]
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

    def _show_item(self, item, which: str) -> None:
        if item is not None and item.data(Qt.UserRole):
            self.show_name(item.data(Qt.UserRole), which)

    @Slot(QListWidgetItem)
    def _on_item_entered(self, item) -> None:
        self._show_item(item, "untrained" if self.sender() is self.untrained_list else "trained")

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_item_changed(self, current, previous) -> None:
        self._show_item(current, "untrained" if self.sender() is self.untrained_list else "trained")

    @Slot()
    def _score_typed(self) -> None:
        word, models = self.name_edit.text().strip(), self.models()
        if word and models is not None:
            known = set(models[1].vocab.itos)
            if not set(word) <= known and set(word.lower()) <= known:
                word = word.lower()  # "Emma" for a list of lowercase names
            self.show_name(word, "trained")


def _box(title: str, widget) -> QGroupBox:
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(widget)
    return box
