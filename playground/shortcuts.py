"""Every keyboard shortcut of the app, declared once.

A shortcut has a scope: "window" keys work everywhere; "<tab>" keys while that tab shows;
"<tab>/<page>" keys while that page of the tab shows (a page's key is the first word of its
label: "names/sample", "autograd/graph"; see Tab.page_keys). Two shortcuts that can be reachable at
once (window + tab + one of its pages) must not share a key: tests/gui/test_shortcuts.py checks
this table and the live window. Widgets get their keys through `bind`, never setShortcut.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # the first is the one shown in tooltips and menus
    scope: str  # "window", "<tab>" or "<tab>/<page>"
    what: str  # what it does, in a few words (the README and Help list these)


def _w(keys, what):
    return Shortcut(tuple(keys) if isinstance(keys, (list, tuple)) else (keys,), "window", what)


SHORTCUTS: dict[str, Shortcut] = {
    # the window (the tab keys come from the registry: see tab_shortcuts())
    "open": _w("Ctrl+O", "open a file for this tab"),
    "export": _w("Ctrl+E", "export the main figure"),
    "quit": _w("Ctrl+Q", "quit"),
    "presentation": _w("F5", "presentation mode"),
    "fullscreen": _w("F11", "full screen"),
    "clean_view": _w("Ctrl+H", "hide the controls (per tab)"),
    "zoom_in": _w(("Ctrl+=", "Ctrl++"), "larger text"),
    "zoom_out": _w("Ctrl+-", "smaller text"),
    "zoom_reset": _w("Ctrl+0", "normal text size"),
    "lesson.open": _w("Ctrl+Shift+O", "open a lesson"),
    "lesson.save": _w("Ctrl+Shift+S", "save a lesson"),
    "lesson.next": _w("PgDown", "next step of a lesson's script"),
    "lesson.back": _w("PgUp", "previous step of a lesson's script"),
    "journey": _w("Ctrl+J", "the journey: every model's validation loss"),
    # Autograd
    "autograd.build": Shortcut(("Ctrl+Return",), "autograd/graph", "build the graph"),
    "autograd.forward": Shortcut(("F6",), "autograd/graph", "forward pass"),
    "autograd.backward_step": Shortcut(("F7",), "autograd/graph", "one backward step"),
    "autograd.backward_all": Shortcut(("Shift+F7",), "autograd/graph", "the whole backward pass"),
    "autograd.zero_grad": Shortcut(("F9",), "autograd/graph", "zero the grads"),
    "autograd.reset": Shortcut(("Ctrl+R",), "autograd/graph", "reset the inputs"),
    "autograd.train": Shortcut(("Ctrl+Return",), "autograd/train", "train"),
    "autograd.step": Shortcut(("F7",), "autograd/train", "one training step"),
    # Bigram
    "bigram.sample": Shortcut(("Ctrl+Return",), "bigram/sample", "sample names"),
    "bigram.train": Shortcut(("Ctrl+Return",), "bigram/learn", "train W"),
    "bigram.step": Shortcut(("F7",), "bigram/learn", "one training step of W"),
    # Names MLP (the side panel shows on every page)
    "names.train": Shortcut(("Ctrl+Return",), "names", "train"),
    "names.step": Shortcut(("F7",), "names", "one training step"),
    "names.load": Shortcut(("Ctrl+L",), "names", "load weights"),
    "names.save": Shortcut(("Ctrl+S",), "names", "save weights"),
    "names.sample": Shortcut(("F6",), "names/sample", "sample names"),
    "names.gradcheck": Shortcut(("Ctrl+G",), "names/check", "check the gradients"),
    # Digits
    "digits.undo": Shortcut(("Ctrl+Z",), "digits/draw", "undo the last stroke"),
    "digits.clear": Shortcut(("Delete", "Backspace"), "digits/draw", "clear the canvas"),
    # Attention
    "attention.load": Shortcut(("Ctrl+L",), "attention", "load weights"),
    "attention.save": Shortcut(("Ctrl+S",), "attention", "save weights"),
    "attention.back": Shortcut(("Alt+Left",), "attention/step", "previous stage"),
    "attention.next": Shortcut(("Alt+Right",), "attention/step", "next stage"),
    "attention.walk_back": Shortcut(("Alt+Left",), "attention/walkthrough", "previous stage"),
    "attention.walk_next": Shortcut(("Alt+Right",), "attention/walkthrough", "next stage"),
    "attention.next_char": Shortcut(("F6",), "attention", "draw the next character"),
}


def tab_shortcuts() -> dict[str, Shortcut]:
    """The window's go-to-tab keys, from the registry."""
    from playground.registry import TABS

    return {f"goto.{t.name}": Shortcut((t.shortcut,), "window", f"show the {t.title} tab") for t in TABS}


def all_shortcuts() -> dict[str, Shortcut]:
    return {**SHORTCUTS, **tab_shortcuts()}


def get(name: str) -> Shortcut:
    return all_shortcuts()[name]


def text(name: str) -> str:
    """The key as a user reads it, e.g. "Ctrl+Enter"."""
    return QKeySequence(get(name).keys[0]).toString(QKeySequence.NativeText).replace("Return", "Enter")


def bind(target, name: str, slot=None, context=Qt.WidgetWithChildrenShortcut):
    """Give `target` the keys of shortcut `name` and add them to its tooltip.

    target: a QAction, a button, or a QWidget (a QShortcut on it is made, active while the
    widget or its children have focus; `slot` is called). Returns the target or the QShortcut.
    """
    sequences = [QKeySequence(k) for k in get(name).keys]
    if isinstance(target, QAction):
        target.setShortcuts(sequences)
    elif isinstance(target, QAbstractButton):
        target.setShortcut(sequences[0])
    else:
        made = []
        for seq in sequences:
            sc = QShortcut(seq, target)
            sc.setContext(context)
            sc.setProperty("shortcut_name", name)
            if slot is not None:
                sc.activated.connect(slot)
            made.append(sc)
        return made
    target.setProperty("shortcut_name", name)
    tip = target.toolTip()
    key = text(name)
    if tip and f"({key})" not in tip:
        target.setToolTip(f"{tip} ({key})")
    return target


def readme_line() -> str:
    """The README's line of window keys, made from this table."""
    window = [(n, s) for n, s in all_shortcuts().items() if s.scope == "window"]
    return ", ".join(f"**{' / '.join(s.keys)}** {s.what}" for _, s in window)
