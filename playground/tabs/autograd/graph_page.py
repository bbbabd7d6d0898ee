"""The Autograd tab's first page: type (or pick) an expression, see its graph, and run
backprop one node at a time with the chain rule written out in numbers.

The box for a new input value sits in the bar above the graph, where nothing grows above it:
clicking a box never moves it (issue 19), and it stays when the window hides the controls.
Grads are never shown half fresh: a new input value resets every grad; Forward keeps the
inputs' grads (they accumulate, the lesson of Zero grad) but greys them until backward
refills them."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from models.autograd.engine import backward_steps
from models.autograd.expression import (MLP_PRESET, PRESETS, ExpressionError,
                                        leaf_numerical_grads)
from playground import shortcuts
from playground.tabs.autograd.graph_build import CUSTOM, FROM_NETWORK, GraphBuildMixin
from playground.tabs.autograd.graph_view import GraphView
from playground.tabs.autograd.text import (DONE_TEXT, GRAPH_EXPLAIN as EXPLAIN, node_html,
                                           rich_label, step_html)
from playground.widgets.explain import ExplainPanel
from playground.widgets.side_panel import SidePanel, group

__all__ = ["CUSTOM", "FROM_NETWORK", "GraphPage"]


class GraphPage(GraphBuildMixin, QWidget):
    status_message = Signal(str)
    graph_shown = Signal()  # a new graph is on screen (after its layout job, if it had one)

    def __init__(self, jobs, parent=None):
        super().__init__(parent)
        self.jobs = jobs  # the tab's one-shot runner: big layouts and the finite-difference check
        self.graph = None  # ExpressionGraph, MLPGraph or NetworkPointGraph
        self.steps = None  # the backward_steps generator while stepping
        self.done = False  # this graph's backward pass is complete
        self.step_count = 0
        self.selected: int | None = None
        self.stale: set = set()  # values whose grad is left from an earlier backward pass
        self._init_building()

        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, MLP_PRESET, CUSTOM])
        self.preset.setToolTip("Examples to start from; edit the text to make your own")
        self.preset.currentTextChanged.connect(self._on_preset_changed)
        self.editor = QPlainTextEdit()
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.Monospace)
        self.editor.setFont(mono)
        self.editor.setToolTip("One assignment per line. `x = 2.0` makes an input you can edit; "
                               "then + - * / **, tanh relu sigmoid exp log. Ctrl+Enter builds.")
        self.editor.setMinimumHeight(180)
        self.build_button = QPushButton("Build graph")
        self.build_button.setToolTip("Parse the text and draw its graph")
        shortcuts.bind(self.build_button, "autograd.build")
        self.build_button.clicked.connect(self._on_build_clicked)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #D55E00; font-weight: bold")
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        expr_box = group("Expression", self.preset, self.editor, self.build_button,
                          self.error_label)

        buttons = [("Forward", "forward", "Compute every value from the inputs", self.forward),
                   ("Backward step", "backward_step", "Fill the next grad, right to left",
                    self.backward_step),
                   ("Backward all", "backward_all", "Fill every remaining grad",
                    self.backward_all),
                   ("Zero grad", "zero_grad", "Set every grad to 0", self.zero_grad),
                   ("Reset", "reset", "Back to the text's own input values", self.reset)]
        grid = QGridLayout()
        self.buttons = {}
        for i, (text, key, tip, slot) in enumerate(buttons):
            b = QPushButton(text)
            b.setToolTip(tip)
            shortcuts.bind(b, f"autograd.{key}")
            b.clicked.connect(slot)
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[text] = b
        self.check_box = QCheckBox("Check with finite differences")
        self.check_box.setToolTip("Show each input's numerical gradient (f(x+h) − f(x−h)) / 2h "
                                  "next to the one backprop computed")
        self.check_box.toggled.connect(self._on_check_toggled)
        self.step_label = QLabel("")
        self.step_label.setWordWrap(True)
        step_widget = QWidget()
        step_widget.setLayout(grid)
        steps_box = group("Run", step_widget, self.check_box, self.step_label)

        self.chain_label = rich_label("Press Backward step to see the chain rule at work.")
        chain_box = group("Chain rule", self.chain_label)

        self.node_label = rich_label("Click a box in the graph.")
        self.value_edit = QLineEdit()
        self.value_edit.setObjectName("value_edit")  # lessons find it by name
        self.value_edit.setToolTip("Click an input (a blue box), type a number and press Enter: "
                                   "the input changes, forward runs again and every grad resets")
        self.value_edit.returnPressed.connect(self._on_value_entered)
        self.value_edit.setEnabled(False)
        node_box = group("Selected node", self.node_label)

        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(200)
        scroll = SidePanel([expr_box, steps_box, chain_box, node_box, self.explain])

        self.view = GraphView()
        self.view.node_clicked.connect(self._on_view_node_clicked)
        bar = QHBoxLayout()
        for text, tip, slot in (
                ("Fit", "The whole graph if its text stays readable, else a readable part "
                 "around the output or the step (F on the graph); drag to pan", self.view.fit),
                ("All", "The whole graph, however small (A on the graph)", self.view.show_all),
                ("−", "Zoom out (wheel, or − on the graph)", self.view.zoom_out),
                ("+", "Zoom in (wheel, or + on the graph)", self.view.zoom_in)):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addWidget(self.value_edit, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.view, 1)

        self.side = scroll
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # -- showing a built graph (graph_build.GraphBuildMixin makes it) ---------------------------
    def _show_built_graph(self, graph, layout) -> None:
        self.graph = graph
        self.selected = None
        self.stale = set()
        self.view.select(None)
        self._restart_steps()
        self.view.show_graph(graph.root, layout=layout)
        self._update_numeric()
        self._show_selected()
        n = len(self.view.values)
        self.status_message.emit(f"Graph: {n} values, {n - len(graph.leaves)} made by ops")
        self.graph_shown.emit()

    # -- stepping --------------------------------------------------------------------------------
    @Slot()
    def forward(self) -> None:
        """Run forward again. The ops' values are new, so their grads are 0; the inputs keep
        theirs (backward adds to them) and show them grey until backward refills them."""
        if self.graph is None:
            return
        try:
            self.graph.forward()
        except ExpressionError as e:
            self.error_label.setText(str(e))
            return
        self.error_label.setText("")
        self._restart_steps()
        self.view.show_graph(self.graph.root)
        self._set_stale({v for v in self.view.values if not v.parents and v.grad != 0.0})
        self._update_numeric()
        self._show_selected()

    def _set_stale(self, values) -> None:
        self.stale = set(values)
        where = {v: i for i, v in enumerate(self.view.values)}
        self.view.set_stale(where[v] for v in self.stale if v in where)

    @Slot()
    def backward_step(self) -> bool:
        """Fill the next grad and show how; False when there is nothing left to fill."""
        step = self._advance()
        if step is not None:
            self._show_step(step)
        return step is not None

    @Slot()
    def backward_all(self) -> None:
        last = None
        while (step := self._advance()) is not None:
            last = step
        if last is not None:  # one redraw at the end, not one per node
            self._show_step(last)
            self.step_label.setText("Every grad is filled. Compare them with the check; press "
                                    "Forward and Backward all again to see them accumulate.")

    def _advance(self):
        """The next BackwardStep, or None (and a note why) when backward is complete."""
        if self.graph is None:
            return None
        if not self.done:
            if self.steps is None:
                self.steps = backward_steps(self.graph.root)
                self.step_count = 0
            step = next(self.steps, None)
            if step is not None:
                self.step_count += 1
                if step.node in self.stale:  # refilled: fresh again
                    self._set_stale(self.stale - {step.node})
                return step
            self.steps, self.done = None, True
            self.view.set_highlight(None)
            self.view.refresh()
        self.step_label.setText(DONE_TEXT)
        return None

    def _show_step(self, step) -> None:
        values = self.view.values
        where = {v: i for i, v in enumerate(values)}
        self.view.set_highlight(where[step.node], [where[c] for c, _, _ in step.terms])
        self.view.refresh()
        total = len(values)
        self.chain_label.setText(step_html(step, values, self.step_count, total,
                                           self.graph.root.label or "L"))
        self.step_label.setText(f"{self.step_count} of {total} grads filled.")
        self._show_selected()

    @Slot()
    def zero_grad(self) -> None:
        if self.graph is None:
            return
        for v in self.view.values:
            v.grad = 0.0
        self._set_stale(())
        self._restart_steps()
        self.view.refresh()
        self._show_selected()

    @Slot()
    def reset(self) -> None:
        self.build()

    def _restart_steps(self) -> None:
        self.steps, self.done = None, False
        self.step_count = 0
        self.view.set_highlight(None)
        self.step_label.setText("")
        self.chain_label.setText("Press Backward step to see the chain rule at work.")

    # -- check and selection ---------------------------------------------------------------------
    @Slot(bool)
    def _on_check_toggled(self, on: bool) -> None:
        self._update_numeric()

    def _update_numeric(self, sync: bool = False) -> None:
        """The finite-difference check, in a job on a copy of the graph (`sync`: here)."""
        self.jobs.cancel("check")
        if self.graph is None or not self.check_box.isChecked():
            self.view.set_numeric({})
            return
        if sync:
            self._on_check_done(_check(self.graph, self.graph.clone()))
        else:
            self.jobs.submit("check", _check, self.graph, self.graph.clone(),
                             done=self._on_check_done)

    def _on_check_done(self, result) -> None:
        graph, by_name, error = result
        if graph is not self.graph or not self.check_box.isChecked():
            return  # the graph changed meanwhile: a newer check is on its way
        if error:
            self.error_label.setText(error)
            self.view.set_numeric({})
            return
        where = {v: i for i, v in enumerate(self.view.values)}
        self.view.set_numeric({where[leaf]: by_name[name] for name, leaf in graph.leaves.items()
                               if leaf in where})
        self._show_selected()

    @Slot(int)
    def _on_view_node_clicked(self, index: int) -> None:
        self.selected = index
        self.view.select(index)
        self._show_selected()
        if self.value_edit.isEnabled():  # an input: what is typed next is its new value
            self.value_edit.setText(f"{self.view.values[index].data:g}")
            self.value_edit.setFocus()
            self.value_edit.selectAll()
        else:
            self.value_edit.clear()

    def _show_selected(self) -> None:
        values = self.view.values
        if self.selected is None or self.selected >= len(values):
            self.node_label.setText("Click a box in the graph.")
            self.value_edit.setEnabled(False)
            self.value_edit.setPlaceholderText("click a blue box to change it")
            return
        v = values[self.selected]
        self.node_label.setText(node_html(values, self.selected,
                                          self.view.numeric.get(self.selected),
                                          v in self.stale))
        editable = self.graph is not None and v in set(self.graph.leaves.values())
        self.value_edit.setEnabled(editable)
        name = _short(v.label or "this input")
        self.value_edit.setPlaceholderText(f"new value of {name}, Enter" if editable else
                                           "only inputs (blue boxes) take a new value")

    @Slot()
    def _on_value_entered(self) -> None:
        if self.selected is None or self.graph is None:
            return
        leaf = self.view.values[self.selected]
        try:
            value = float(self.value_edit.text().replace("−", "-"))
            if not abs(value) < 1e12:
                raise ValueError
        except ValueError:
            self.error_label.setText(f"{self.value_edit.text()!r} is not a number a leaf can "
                                     "hold (at most 1e12 in size)")
            return
        old = leaf.data
        leaf.data = value
        self.value_edit.clear()
        self.forward()
        if self.error_label.text():  # e.g. log of a negative now: put the old value back
            message = self.error_label.text()
            leaf.data = old
            self.forward()
            self.error_label.setText(message + f" (kept {old:g})")
            return
        self.zero_grad()  # grads of the old input say nothing about the new one: all reset
        self.step_label.setText(f"{leaf.label or 'The input'} is now {value:g}: forward ran "
                                "again and every grad is back to 0.")


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:23] + "…"


def _check(graph, copy):
    """The job behind the check: (graph, {leaf name: numerical grad}, error message or "").
    It probes `copy`, never the graph on screen."""
    try:
        return graph, leaf_numerical_grads(copy), ""
    except ExpressionError as e:
        return graph, {}, str(e)
