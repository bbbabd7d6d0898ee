"""How the Graph page gets its graph: a preset, the editor's text, or a neuron / one point's loss
sent from the tiny-MLP page. A big graph (more than SYNC_NODES boxes) is laid out in a job
that shows its progress over the view and gives up when a newer graph comes (the parser and
the layout are bounded: models.autograd.expression, models.autograd.graph_layout)."""
from __future__ import annotations

import threading
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from models.autograd.expression import (MLP_PRESET, PRESETS, ExpressionError, ExpressionGraph,
                                        MLPGraph, parse)
from models.autograd.graph_layout import LayoutCancelled, layered_layout
from playground.tabs.autograd.text import MLP_TEXT

CUSTOM = "Your own…"
FROM_NETWORK = "From the tiny MLP page"  # a graph the training page sent (see show_network_graph)
SYNC_NODES = 150  # graphs up to this many boxes are laid out at once; bigger ones in a job


class _LayoutProgress(QObject):
    """How far the layout job is: emitted from the job's thread, delivered on the GUI thread."""
    changed = Signal(int, float)  # layout run, fraction done


class GraphBuildMixin:
    """The Graph page's building half. Reads the page's preset, editor, error_label, view and
    jobs; calls its _show_built_graph(graph, layout) once a graph is ready to draw."""

    def _init_building(self) -> None:
        self._network_graph = None  # the graph show_network_graph got, for Reset
        self._layout_cancel = threading.Event()  # set: the running layout job gives up
        self._layout_run = 0  # numbers the layout jobs: progress of an older one is dropped
        self._layout_size = 0  # boxes of the graph being laid out
        self._progress = _LayoutProgress(self)
        self._progress.changed.connect(self._on_layout_progress)

    def load_preset(self, name: str) -> None:
        if self.preset.currentText() != name:
            self.preset.setCurrentText(name)  # -> _on_preset_changed
        else:
            self._on_preset_changed(name)

    @Slot(str)
    def _on_preset_changed(self, name: str) -> None:
        if name == CUSTOM:
            self.editor.setReadOnly(False)
            return
        if name == FROM_NETWORK:  # only show_network_graph picks it
            return
        self.editor.setReadOnly(name == MLP_PRESET)
        self.editor.setPlainText(MLP_TEXT if name == MLP_PRESET else PRESETS[name])
        self.build()

    @Slot()
    def _on_build_clicked(self) -> None:
        self.build()

    def build(self, sync: bool = False) -> bool:
        """Parse the editor's text and draw it; a problem is shown under the text. A big graph
        is laid out in a job and appears when it is ready (`sync`: here and now)."""
        try:
            if self.preset.currentText() == FROM_NETWORK and self._network_graph is not None:
                graph = self._network_graph.clone()
            elif self.preset.currentText() == MLP_PRESET and self.editor.isReadOnly():
                graph = MLPGraph()
            else:
                graph = ExpressionGraph(parse(self.editor.toPlainText()))
            graph.forward()
        except ExpressionError as e:
            self.error_label.setText(str(e))
            return False
        self.error_label.setText("")
        self.show_built(graph, sync)
        return True

    def show_network_graph(self, graph, text: str, sync: bool = False) -> None:
        """Show a graph the training page built (a NetworkPointGraph, its forward and backward
        already run, so data and grads are the live model's); `text` says what it is."""
        self._network_graph = graph.clone()  # what Reset goes back to
        if self.preset.findText(FROM_NETWORK) < 0:
            self.preset.addItem(FROM_NETWORK)
        self.preset.blockSignals(True)
        self.preset.setCurrentText(FROM_NETWORK)
        self.preset.blockSignals(False)
        self.editor.setReadOnly(True)
        self.editor.setPlainText(text)
        self.error_label.setText("")
        self.show_built(graph, sync)

    def show_built(self, graph, sync: bool = False) -> None:
        """Draw a graph whose forward has run: at once if small, else after a layout job that
        shows its progress over the view (a newer graph cancels it)."""
        self._cancel_layout()
        if sync or self.view.shows(graph.root):
            self._show_built_graph(graph, None)
            return
        nodes, edges, options = self.view.plan(graph.root)
        if len(nodes) <= SYNC_NODES:
            self._show_built_graph(graph, None)
            return
        self._layout_cancel = cancel = threading.Event()
        self._layout_size = len(nodes)
        self._layout_run += 1
        self._on_layout_progress(self._layout_run, 0.0)
        self.status_message.emit(f"Laying out {len(nodes):,} boxes…")
        self.jobs.submit("layout", _layout, graph, nodes, edges, options, cancel,
                         _Reporter(self._progress.changed, self._layout_run),
                         done=self._on_layout_done)

    def _cancel_layout(self) -> None:
        self._layout_cancel.set()
        self.jobs.cancel("layout")
        self.view.set_busy(None)

    @Slot(int, float)
    def _on_layout_progress(self, ticket: int, fraction: float) -> None:
        if ticket == self._layout_run and not self._layout_cancel.is_set():
            self.view.set_busy(f"Laying out {self._layout_size:,} boxes… {fraction:.0%}")

    def _on_layout_done(self, result) -> None:
        if result is None:  # cancelled
            self.view.set_busy(None)
            return
        # drawing thousands of boxes takes the GUI a moment: say so first, draw on the next turn
        self.view.set_busy(f"Drawing {self._layout_size:,} boxes…")
        QTimer.singleShot(30, self, partial(self._draw_laid_out, self._layout_run, result))

    def _draw_laid_out(self, run: int, result) -> None:
        if run != self._layout_run or self._layout_cancel.is_set():
            return  # a newer graph came meanwhile
        self.view.set_busy(None)
        self._show_built_graph(*result)


class _Reporter:
    """The layout job's progress callback: emits (ticket, fraction) when it has moved >= 2 %."""

    def __init__(self, signal, ticket: int):
        self.signal, self.ticket, self.last = signal, ticket, 0.0

    def __call__(self, fraction: float) -> None:
        if fraction - self.last >= 0.02:
            self.last = fraction
            self.signal.emit(self.ticket, fraction)


def _layout(graph, nodes, edges, options, cancel, report):
    """The job behind a big graph: (graph, its layout), or None when cancelled. No Qt but the
    progress signal's emit."""
    def progress(fraction):
        if cancel.is_set():
            raise LayoutCancelled
        report(fraction)

    try:
        return graph, layered_layout(nodes, edges, progress=progress, **options)
    except LayoutCancelled:
        return None
