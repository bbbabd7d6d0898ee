"""The generic part of a tab's state, found by walking its widgets: no per-tab code.

- Input widgets (spin boxes, sliders, combo boxes, check and radio boxes, checkable buttons such
  as "Hide panel", line edits, editable text boxes) by a stable path: from the tab down, each
  widget's objectName, or its class name, with "[k]" for the k-th sibling of that name
  ("NamesSidePanel/QWidget/ControlsForm[1]/lr").
- Loss curves: every LossPlot's series.
- Weights: every WeightsBox, whose tab saves and loads the weights itself (its save_requested /
  load_requested, the same path as the user's Save… / Load… buttons, so through
  models.core.checkpoint and the tab's jobs).

Restoring sets the values the way a user would (the tab's signals fire and it reacts), in the
order the widgets were built, and repeats for values that a later change reset (a preset combo
box that fills other fields): at most three passes.
"""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QCheckBox, QComboBox,
                               QDialog, QDoubleSpinBox, QLineEdit, QMenu, QPlainTextEdit, QRadioButton,
                               QScrollBar, QSpinBox, QTextEdit, QWidget)

from playground.lessons.fileformat import Curve
from playground.widgets.side_panel import SidePanel
from playground.widgets.weights_box import WeightsBox

PASSES = 3


def _opaque(w: QWidget) -> bool:
    """Widgets whose children are their own business (a spin box's line edit, a plot's menus)."""
    import pyqtgraph as pg

    return isinstance(w, (QAbstractSpinBox, QComboBox, QMenu, QDialog, pg.GraphicsView))


def walk(root: QWidget):
    """(path, widget) of every widget under root, depth first in creation order."""
    def visit(parent: QWidget, prefix: str):
        seen: dict[str, int] = {}
        for child in parent.children():
            if not isinstance(child, QWidget):
                continue
            base = child.objectName() or type(child).__name__
            k = seen.get(base, 0)
            seen[base] = k + 1
            path = f"{prefix}{base}" + (f"[{k}]" if k else "")
            yield path, child
            if not _opaque(child):
                yield from visit(child, path + "/")
    yield from visit(root, "")


def path_of(root: QWidget, widget: QWidget) -> str:
    """The path `walk` gives `widget` (KeyError when it is not under root)."""
    for p, w in walk(root):
        if w is widget:
            return p
    raise KeyError(f"{type(widget).__name__} is not inside {type(root).__name__}")


def folded_panels(root: QWidget) -> list[SidePanel]:
    """Side panels folded by View > Hide controls: their controls are outside the widget tree."""
    return [p for p in root.findChildren(SidePanel) if getattr(p, "is_collapsed", lambda: False)()]


@contextmanager
def unfolded(root: QWidget):
    """Unfold the folded side panels while the block walks the widgets, then fold them again."""
    folded = folded_panels(root)
    for panel in folded:
        panel.set_collapsed(False)
    try:
        yield
    finally:
        for panel in folded:
            panel.set_collapsed(True)


def find(root: QWidget, path: str) -> QWidget | None:
    return next((w for p, w in walk(root) if p == path), None)


def find_control(root: QWidget, name: str) -> QWidget | None:
    """A widget by its path, else by its objectName (what a lesson's script step points at)."""
    return find(root, name) or next((w for _, w in walk(root) if w.objectName() == name), None)


def kind_of(w: QWidget) -> str | None:
    """The lesson kind of an input widget (fileformat.WIDGET_KINDS), None for anything else."""
    if isinstance(w, QSpinBox) or (isinstance(w, QAbstractSlider) and not isinstance(w, QScrollBar)):
        return "int"
    if isinstance(w, QDoubleSpinBox):
        return "float"
    if isinstance(w, QComboBox):
        return "choice"
    if isinstance(w, (QCheckBox, QRadioButton)) or (isinstance(w, QAbstractButton) and w.isCheckable()):
        return "check"
    if isinstance(w, QLineEdit) and not w.isReadOnly():
        return "text"
    if isinstance(w, (QPlainTextEdit, QTextEdit)) and not w.isReadOnly():
        return "plain"
    return None


def value_of(w: QWidget, kind: str):
    if kind in ("int", "float"):
        return w.value()
    if kind == "choice":
        return w.currentText()
    if kind == "check":
        return w.isChecked()
    if kind == "text":
        return w.text()
    return w.toPlainText()


def capture_widgets(root: QWidget) -> list[dict]:
    out = []
    for path, w in walk(root):
        kind = kind_of(w)
        if kind is not None:
            out.append({"path": path, "kind": kind, "value": value_of(w, kind)})
    return out


def relocate(saved: list[str], current: dict[str, QWidget], fits=lambda w: True,
             last_one: bool = True) -> dict[str, str]:
    """{saved path: current path} for widgets a layout change moved: the same path, else the one
    fitting widget whose path ends in the same segment (a named widget, such as a ControlsForm
    field, is found wherever its box went, and so is the only "QComboBox" of a page that was
    renamed), else (with `last_one`), when exactly one saved path and one fitting widget are left
    unmatched, those two (a tab's one weights box or loss plot)."""
    out = {p: p for p in saved if p in current and fits(current[p])}
    for p in saved:
        if p in out:
            continue
        leaf = p.rsplit("/", 1)[-1]
        same = [q for q, w in current.items() if q.rsplit("/", 1)[-1] == leaf and fits(w) and q not in out.values()]
        if len(same) == 1:
            out[p] = same[0]
    left = [p for p in saved if p not in out]
    free = [q for q, w in current.items() if fits(w) and q not in out.values()]
    if last_one and len(left) == 1 and len(free) == 1:
        out[left[0]] = free[0]
    return out


def restore_widgets(root: QWidget, entries: list[dict], where: str = "") -> list[str]:
    """Set every entry's widget; sentences about those that are missing or would not take."""
    current = dict(walk(root))
    moved = {}
    for kind in {e["kind"] for e in entries}:  # a widget moved by a layout change keeps its kind
        paths = [e["path"] for e in entries if e["kind"] == kind]
        moved.update(relocate(paths, current, lambda w, kind=kind: _same_kind(kind_of(w), kind), last_one=False))
    widgets = {p: current[q] for p, q in moved.items()}
    missing = [e["path"] for e in entries if e["path"] not in widgets]
    todo = [e for e in entries if e["path"] not in missing]
    for _ in range(PASSES):
        todo = [e for e in todo if not _matches(widgets[e["path"]], e)]
        if not todo:
            break
        for e in todo:
            _set(widgets[e["path"]], e)
    wrong = [e["path"] for e in todo if not _matches(widgets[e["path"]], e)]
    notes = []
    if missing:
        notes.append(f"{len(missing)} control(s){where} this version does not have: {_few(missing)}.")
    if wrong:
        notes.append(f"{len(wrong)} control(s){where} would not take the lesson's value: {_few(wrong)}.")
    return notes


def _same_kind(a, b) -> bool:
    return a is not None and (a == b or {a, b} <= {"int", "float"})


def _matches(w: QWidget, e: dict) -> bool:
    kind = kind_of(w)
    if not _same_kind(kind, e["kind"]):
        return False
    if isinstance(w, QRadioButton) and not e["value"]:
        return True  # unchecking a radio button is checking another one
    return value_of(w, kind) == e["value"]


def _set(w: QWidget, e: dict) -> None:
    kind, value = kind_of(w), e["value"]
    if kind in ("int", "float"):
        w.setValue(int(value) if kind == "int" else float(value))
    elif kind == "choice":
        i = w.findText(value)
        if i >= 0:
            w.setCurrentIndex(i)
        elif w.isEditable():
            w.setEditText(value)
    elif kind == "check":
        if isinstance(w, QRadioButton) and not value:
            return
        if w.isChecked() != value:
            w.setChecked(value)
    elif kind == "text":
        w.setText(value)
    else:
        w.setPlainText(value)


def _few(paths: list[str]) -> str:
    shown = ", ".join(p.rsplit("/", 1)[-1] for p in paths[:4])
    return shown + (" …" if len(paths) > 4 else "")


# -- loss curves ---------------------------------------------------------------------------------
def _is_loss_plot(w) -> bool:
    from playground.widgets.loss_plot import LossPlot  # here: pyqtgraph loads after the window shows

    return isinstance(w, LossPlot)


def capture_curves(root: QWidget) -> list[Curve]:
    out = []
    for path, w in walk(root):
        if _is_loss_plot(w):
            names = [item.name() for item in w.getPlotItem().listDataItems() if item.name()]
            series = {n: w.series(n) for n in names if len(w.series(n)[0])}
            if series:
                out.append(Curve(path, series))
    return out


def loss_plots(root: QWidget) -> list[tuple[str, QWidget]]:
    return [(p, w) for p, w in walk(root) if _is_loss_plot(w)]


def restore_curves(root: QWidget, curves: list[Curve], where: str = "") -> list[str]:
    current = dict(walk(root))
    moved = relocate([c.plot for c in curves], current, _is_loss_plot)
    lost = []
    for curve in curves:
        plot = current.get(moved.get(curve.plot, ""))
        if plot is None:
            lost.append(curve.plot)
            continue
        plot.clear_data()
        for name, (xs, ys) in curve.series.items():
            plot.set_series(name, xs, ys)
    return [f"{len(lost)} loss plot(s){where} this version does not have."] if lost else []


# -- weights -------------------------------------------------------------------------------------
def weights_boxes(root: QWidget) -> list[tuple[str, WeightsBox]]:
    return [(p, w) for p, w in walk(root) if isinstance(w, WeightsBox)]
