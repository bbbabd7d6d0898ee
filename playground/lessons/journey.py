"""View > Journey: one ladder of validation loss on the same names split, from uniform guessing
(3.30) down to the transformer. Each rung shows the shipped model's figure (computed once, in a
job, the way `playground eval` does: journey_data.py) and, below it, the model in its tab now,
with its parameter count and training time. Clicking a rung opens its tab.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground import style as app_style
from playground.jobs import Jobs
from playground.lessons import journey_data
from playground.lessons.journey_data import RUNGS, Figure
from playground.lessons.tab_extras import copy_model

_shipped: dict[str, Figure] = {}  # shipped figures, computed once per process (GUI thread only)
AXIS_MIN, AXIS_MAX = 1.5, 3.5  # nats per character: uniform guessing is 3.30, the best models ~1.9


def live_models(tab) -> list[tuple[str, object, dict]]:
    """The tab's own Tab.journey_models(), or a stand-in reading the tab from the outside."""
    from playground.tabs.base import Tab

    if type(tab).journey_models is not Tab.journey_models:
        return tab.journey_models()
    try:
        return _STAND_INS.get(tab.name, lambda t: [])(tab)
    except (AttributeError, TypeError, ValueError, KeyError):
        return []


def _bigram_models(tab):
    out = []
    if getattr(tab, "data", None) is not None:
        out.append(("counts", float(tab.smoothing), {"note": f"your k = {tab.smoothing:g}"}))
    run = tab.neural.run
    if run is not None and run.steps > 0:
        out.append(("neural_bigram", copy_model(run.model),
                    {"steps": run.steps, "seconds": tab.training_seconds(tab.neural.runner),
                     "note": "trained on the whole list, val included"}))
    return out


def _names_models(tab):
    if tab.model is None:
        return []
    return [(journey_data.names_rung(tab.model), copy_model(tab.model),
             {"steps": getattr(tab, "steps_done", None), "seconds": tab.training_seconds(tab.runner)})]


def _attention_models(tab):
    model = tab.model
    if model is None or getattr(model, "task", "") != "names":
        return []
    twin = copy_model(model)
    twin.causal = bool(getattr(model, "causal", True))
    return [("transformer", twin, {"seconds": tab.training_seconds(tab.runner)})]


_STAND_INS = {"bigram": _bigram_models, "names": _names_models, "attention": _attention_models}


class JourneyView(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("journey")
        self.setWindowTitle("Journey — validation loss on the same names split")
        self.window_ = window
        self.live: dict[str, Figure] = {}
        self.pending: set[str] = set()
        self._queue: list[tuple[str, object, tuple]] = []
        self._running = False  # a figure's job is out (its result not yet here)
        self.jobs = Jobs(self)
        self.jobs.failed.connect(self._on_jobs_failed)
        self.ladder = Ladder()
        self.ladder.rung_clicked.connect(self._on_ladder_rung_clicked)
        caption = QLabel("Average loss per character (nats) on the validation names, the 10% no model trains "
                         "on: lower is better. <b>Blue dot</b>: the shipped model. <b>Orange diamond</b>: the model "
                         "in its tab now. Click a rung to open its tab.")
        caption.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        refresh = QPushButton("Refresh")
        refresh.setToolTip("Score the models in the tabs again")
        refresh.clicked.connect(self.refresh)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.ladder, 1)
        layout.addLayout(bottom)
        self.resize(1100, 720)

    # -- figures -----------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Queue the shipped figures not yet known and every tab's current model."""
        self._queue = [(f"shipped:{r.key}", _shipped_job, (r.key,))
                       for r in RUNGS if r.key not in _shipped]
        self.live, self.ladder.live_errors = {}, {}
        for tab in self.window_.built_tabs():
            if not tab.loaded or tab.is_training():
                continue
            for key, model, info in live_models(tab):
                self._queue.append((f"live:{key}", _live, (key, model, info)))
        self.pending = {name.split(":", 1)[1] for name, _, _ in self._queue}
        self._show()
        self._pump()

    def _pump(self) -> None:
        """One job at a time: the machine's cores are the tabs' too."""
        if self._queue and not self._running:
            name, fn, args = self._queue.pop(0)
            self._running = True
            self.jobs.submit(name, fn, *args, done=self._on_figure_done)
        self.status.setText("Scoring the models…" if self._queue or self._running else
                            "Blue: the shipped weights, scored as `playground eval` scores them.")

    def _on_figure_done(self, result) -> None:
        kind, figure = result
        self._running = False
        (_shipped if kind == "shipped" else self.live)[figure.key] = figure
        self.pending.discard(figure.key)
        self._show()
        self._pump()

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        kind, key = name.split(":", 1)
        self._running = False
        self.pending.discard(key)
        (self.ladder.errors if kind == "shipped" else self.ladder.live_errors)[key] = message
        self._show()
        self._pump()

    def _show(self) -> None:
        self.ladder.set_figures(dict(_shipped), dict(self.live), set(self.pending))

    @Slot(str)
    def _on_ladder_rung_clicked(self, key: str) -> None:
        self.window_.show_tab(journey_data.rung(key).tab)
        self.window_.activateWindow()

    def busy(self) -> bool:
        return bool(self._queue) or self._running

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self._queue, self._running = [], False
        return self.jobs.shutdown(timeout_ms)


def _live(key, model, info):
    """The job behind a live rung: ("live", Figure)."""
    figure = journey_data.live_figure(key, model, steps=info.get("steps"), seconds=info.get("seconds"))
    figure.note = info.get("note", "")
    return "live", figure


def _shipped_job(key):
    return "shipped", journey_data.shipped_figure(key)


class Ladder(QWidget):
    """The rungs, top (worst) to bottom (best): the rung's name, a line on the loss axis, a dot at
    the shipped model's loss (its figures above the line), a diamond at the tab's (below it)."""
    rung_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.shipped: dict[str, Figure] = {}
        self.live: dict[str, Figure] = {}
        self.pending: set[str] = set()
        self.errors: dict[str, str] = {}  # why a shipped figure is missing
        self.live_errors: dict[str, str] = {}  # why a tab's model could not be scored
        self.hovered = -1
        self.setMouseTracking(True)
        self.setCursor(Qt.PointingHandCursor)
        app_style.bus().changed.connect(self._on_style_changed)

    def set_figures(self, shipped, live, pending) -> None:
        self.shipped, self.live, self.pending = shipped, live, pending
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(900, round(len(RUNGS) * self._row_height() + 3 * self._font().pixelSize()))

    def minimumSizeHint(self) -> QSize:
        return QSize(600, round(len(RUNGS) * self._row_height()))

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(app_style.current().font_px)
        return font

    def _row_height(self) -> float:
        return 2.9 * app_style.current().font_px

    def _rows(self) -> list[QRectF]:
        top = 1.5 * app_style.current().font_px
        h = (self.height() - top) / len(RUNGS)
        return [QRectF(0, top + i * h, self.width(), h) for i in range(len(RUNGS))]

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor(st.background))
        font = self._font()
        bold = QFont(font)
        bold.setBold(True)
        label_w = QFontMetrics(bold).horizontalAdvance(max((r.label for r in RUNGS), key=len)) + 2 * st.font_px
        x0, x1 = label_w + st.font_px, self.width() - 14 * st.font_px  # room for the texts on the right
        scale = (x1 - x0) / (AXIS_MAX - AXIS_MIN)
        at = lambda v: x0 + (min(max(v, AXIS_MIN), AXIS_MAX) - AXIS_MIN) * scale  # noqa: E731
        p.setFont(font)
        tick = AXIS_MIN
        while tick <= AXIS_MAX + 1e-9:  # the axis, in nats per character
            x = at(tick)
            p.setPen(QPen(QColor(st.muted), 1, Qt.DotLine))
            p.drawLine(round(x), round(1.3 * st.font_px), round(x), self.height())
            p.setPen(QColor(st.muted))
            p.drawText(QRectF(x - 40, 0, 80, 1.3 * st.font_px), Qt.AlignCenter, f"{tick:g}")
            tick += 0.5
        rows = self._rows()
        path = [(at(self.shipped[r.key].val_loss), row.center().y()) for r, row in zip(RUNGS, rows)
                if r.key in self.shipped]  # the shipped dots, joined: the way down the ladder
        if len(path) > 1:
            p.setPen(QPen(QColor(st.series(0)), max(1.0, st.pen_width / 2), Qt.DashLine))
            for (xa, ya), (xb, yb) in zip(path, path[1:]):
                p.drawLine(round(xa), round(ya), round(xb), round(yb))
        for i, (r, row) in enumerate(zip(RUNGS, rows)):
            y = row.center().y()
            if i == self.hovered:
                p.fillRect(row, QColor(st.series(4)).lighter(170) if st.theme == "light" else QColor("#333a44"))
            p.setPen(QColor(st.foreground))
            p.setFont(bold)
            p.drawText(QRectF(0.5 * st.font_px, row.top(), label_w, row.height()), Qt.AlignVCenter, r.label)
            p.setFont(font)
            p.setPen(QPen(QColor(st.muted), max(1.0, st.pen_width / 2)))
            p.drawLine(round(x0), round(y), round(x1), round(y))  # the rung
            line_h = row.height() / 2
            shipped = self.shipped.get(r.key)
            if shipped is not None:
                x = at(shipped.val_loss)
                self._marker(p, x, y, st.series(0), st, diamond=False)
                self._text(p, x, row.top(), line_h, describe(shipped), st.foreground)
            else:
                self._text(p, x0, row.top(), line_h, "computing…" if r.key in self.pending else
                           self.errors.get(r.key, "—"), st.muted)
            live = self.live.get(r.key)
            if live is not None:
                x = at(live.val_loss)
                self._marker(p, x, y, st.series(1), st, diamond=True)
                self._text(p, x, y, line_h, "in the tab: " + describe(live), st.series(5))
            elif r.key in self.live_errors:
                self._text(p, x0, y, line_h, "in the tab: " + self.live_errors[r.key], st.muted)
            elif r.key in self.pending and shipped is not None:
                self._text(p, x0, y, line_h, "in the tab: computing…", st.muted)
        p.end()

    def _marker(self, p, x, y, colour, st, diamond: bool) -> None:
        r = 0.45 * st.font_px
        p.setPen(QPen(QColor(st.background), 2))
        p.setBrush(QColor(colour))
        if diamond:
            from PySide6.QtCore import QPointF
            from PySide6.QtGui import QPolygonF

            p.drawPolygon(QPolygonF([QPointF(x, y - 1.3 * r), QPointF(x + 1.3 * r, y), QPointF(x, y + 1.3 * r),
                                     QPointF(x - 1.3 * r, y)]))
        else:
            p.drawEllipse(QRectF(x - r, y - r, 2 * r, 2 * r))
        p.setBrush(Qt.NoBrush)

    def _text(self, p, x, top, height, text, colour) -> None:
        """One line of text just right of the marker at x, in the band [top, top + height]."""
        p.setPen(QColor(colour))
        p.drawText(QRectF(x + 0.7 * app_style.current().font_px, top, 10_000, height), Qt.AlignVCenter, text)

    def _row_at(self, y: float) -> int:
        return next((i for i, row in enumerate(self._rows()) if row.top() <= y < row.bottom()), -1)

    def mouseMoveEvent(self, event) -> None:
        i = self._row_at(event.position().y())
        if i != self.hovered:
            self.hovered = i
            self.setToolTip(RUNGS[i].how + f" Click to open the {RUNGS[i].tab} tab." if i >= 0 else "")
            self.update()

    def leaveEvent(self, event) -> None:
        self.hovered = -1
        self.update()

    def mousePressEvent(self, event) -> None:
        i = self._row_at(event.position().y())
        if i >= 0 and event.button() == Qt.LeftButton:
            self.rung_clicked.emit(RUNGS[i].key)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.updateGeometry()
        self.update()


def describe(f: Figure) -> str:
    parts = [f"{f.val_loss:.4f}" if math.isfinite(f.val_loss) else "∞ (a val pair never seen in train)"]
    if f.params:
        parts.append(f"{f.params:,} parameters")
    if f.seconds:
        parts.append(_duration(f.seconds) + " training")
    if f.steps:
        parts.append(f"{f.steps:,} steps")
    if f.note:
        parts.append(f.note)
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"
