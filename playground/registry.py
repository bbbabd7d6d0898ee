"""The one list of tabs. The window, the CLI, `playground shot`, the tests and the README's
shortcut line all read it: adding a tab is a folder under playground/tabs/ and one line here.

Each tab's folder holds `tab.py` (a Tab subclass, named below) and, when it has headless
commands, `commands.py` with `register(train, evaluate)` adding its `train` / `eval` targets.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TabSpec:
    name: str  # the CLI and settings name: `playground shot --tab NAME`
    title: str  # the tab's label
    shortcut: str  # the key that shows it
    package: str  # its folder as a package: tab.py and, if any, commands.py live there
    cls: str  # the Tab subclass in <package>.tab
    commands: bool = True  # whether <package>.commands adds `train` / `eval` targets

    @property
    def tab_module(self) -> str:
        return f"{self.package}.tab"

    @property
    def commands_module(self) -> str:
        return f"{self.package}.commands"


TABS: tuple[TabSpec, ...] = (
    TabSpec("autograd", "Autograd", "Ctrl+1", "playground.tabs.autograd", "AutogradTab"),
    TabSpec("bigram", "Bigram", "Ctrl+2", "playground.tabs.bigram", "BigramTab"),
    TabSpec("names", "Names MLP", "Ctrl+3", "playground.tabs.names", "NamesTab"),
    TabSpec("digits", "Digits", "Ctrl+4", "playground.tabs.digits", "DigitsTab"),
    TabSpec("attention", "Attention", "Ctrl+5", "playground.tabs.attention", "AttentionTab"),
)


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in TABS)


def spec(name: str) -> TabSpec:
    for s in TABS:
        if s.name == name:
            return s
    raise KeyError(name)


def spec_of_module(module: str) -> TabSpec | None:
    """The spec whose tab lives in `module` (how a Tab learns its own name and title)."""
    return next((s for s in TABS if s.tab_module == module), None)
