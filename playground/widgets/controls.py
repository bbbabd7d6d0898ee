"""A hyperparameter form built from field specs, remembered between runs when given a key.

    form = ControlsForm([
        FloatField("lr", "Learning rate", 0.1, 1e-5, 10.0, tooltip="Step size of SGD"),
        IntField("steps", "Steps", 1000, 1, 1_000_000),
        ChoiceField("loss", "Loss", ("max-margin", "mse", "bce")),
        BoolField("batchnorm", "Batch norm", True),
    ], settings_key="names/controls")
    config = form.values()  # {"lr": 0.1, "steps": 1000, ...}
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QSpinBox, QWidget)

from playground import settings


@dataclass
class IntField:
    name: str
    label: str
    default: int
    minimum: int = 0
    maximum: int = 1_000_000_000
    tooltip: str = ""


@dataclass
class FloatField:
    name: str
    label: str
    default: float
    minimum: float = 0.0
    maximum: float = 1e6
    tooltip: str = ""
    decimals: int = 5


@dataclass
class ChoiceField:
    name: str
    label: str
    choices: tuple
    default: str | None = None
    tooltip: str = ""


@dataclass
class BoolField:
    name: str
    label: str
    default: bool = False
    tooltip: str = ""


class ControlsForm(QWidget):
    changed = Signal(str, object)  # field name, new value

    def __init__(self, fields, settings_key: str | None = None, parent=None):
        super().__init__(parent)
        self.fields = {f.name: f for f in fields}
        self.settings_key = settings_key
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for f in fields:
            editor = self._make_editor(f)
            editor.setObjectName(f.name)
            if f.tooltip:
                editor.setToolTip(f.tooltip)
            self.editors[f.name] = editor
            layout.addRow(f.label, editor)
            label = layout.labelForField(editor)
            if label is not None and f.tooltip:
                label.setToolTip(f.tooltip)
        if settings_key:
            self.set_values(self._stored())

    def _make_editor(self, f):
        if isinstance(f, IntField):
            w = QSpinBox()
            w.setRange(f.minimum, f.maximum)
            w.setValue(f.default)
            w.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
            w.valueChanged.connect(self._on_editor_changed)
        elif isinstance(f, FloatField):
            w = QDoubleSpinBox()
            w.setDecimals(f.decimals)
            w.setRange(f.minimum, f.maximum)
            w.setValue(f.default)
            w.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
            w.valueChanged.connect(self._on_editor_changed)
        elif isinstance(f, ChoiceField):
            w = QComboBox()
            w.addItems([str(c) for c in f.choices])
            if f.default is not None:
                w.setCurrentText(str(f.default))
            w.currentTextChanged.connect(self._on_editor_changed)
        elif isinstance(f, BoolField):
            w = QCheckBox()
            w.setChecked(f.default)
            w.toggled.connect(self._on_editor_changed)
        else:
            raise TypeError(f"unknown field {f!r}")
        return w

    def value(self, name: str):
        w = self.editors[name]
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if isinstance(w, QComboBox):
            return w.currentText()
        return w.isChecked()

    def values(self) -> dict:
        return {name: self.value(name) for name in self.editors}

    def set_values(self, values: dict) -> None:
        for name, v in values.items():
            w = self.editors.get(name)
            if w is None:
                continue
            if isinstance(w, QSpinBox):
                w.setValue(int(v))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(v))
            elif isinstance(w, QComboBox):
                if w.findText(str(v)) >= 0:
                    w.setCurrentText(str(v))
            else:
                w.setChecked(v if isinstance(v, bool) else str(v).lower() == "true")

    def reset(self) -> None:
        self.set_values({f.name: f.default for f in self.fields.values() if f.default is not None})

    def set_editable(self, on: bool) -> None:
        """Lock the form while a run uses its values."""
        for w in self.editors.values():
            w.setEnabled(on)

    def _stored(self) -> dict:
        out = {}
        for name, f in self.fields.items():
            kind = {IntField: int, FloatField: float, ChoiceField: str, BoolField: bool}[type(f)]
            default = f.default if f.default is not None else (f.choices[0] if isinstance(f, ChoiceField) else None)
            out[name] = settings.read(f"{self.settings_key}/{name}", default, kind)
        return out

    @Slot()
    def _on_editor_changed(self, *_):
        editor = self.sender()
        name = editor.objectName() if editor is not None else ""
        if name in self.editors:
            if self.settings_key:
                settings.write(f"{self.settings_key}/{name}", self.value(name))
            self.changed.emit(name, self.value(name))
