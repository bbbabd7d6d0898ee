"""Every key is declared once (playground.shortcuts) and no two actions reachable on the same page
share one: checked on the table and on the live window, page by page."""
from collections import defaultdict

import pytest
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QApplication

from playground import registry, shortcuts


def _norm(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.PortableText)


def test_the_table_has_no_collision_in_any_scope():
    table = shortcuts.all_shortcuts()
    scopes = {s.scope for s in table.values()}
    pages = {s for s in scopes if "/" in s} | {f"{t.name}/*" for t in registry.TABS}
    for page in pages:
        tab = page.split("/")[0]
        reachable = [(n, k) for n, s in table.items() if s.scope in ("window", tab, page)
                     for k in s.keys]
        seen = defaultdict(list)
        for name, key in reachable:
            seen[_norm(key)].append(name)
        clashes = {k: v for k, v in seen.items() if len(v) > 1}
        assert not clashes, f"on {page}: {clashes}"


def test_the_collision_check_catches_a_clash(monkeypatch):
    monkeypatch.setitem(shortcuts.SHORTCUTS, "names.oops", shortcuts.Shortcut(("F5",), "names/sample", "x"))
    with pytest.raises(AssertionError):
        test_the_table_has_no_collision_in_any_scope()


def _mnemonic(button) -> bool:
    return button.shortcut() == QKeySequence.mnemonic(button.text())


def live_bindings(window):
    """(key, object, declared name) of every shortcut reachable now in the window."""
    found = []
    for action in window.findChildren(QAction):
        for seq in action.shortcuts():
            found.append((seq.toString(), action, action.property("shortcut_name")))
    for button in window.findChildren(QAbstractButton):
        if button.isVisible() and not button.shortcut().isEmpty() and not _mnemonic(button):
            found.append((button.shortcut().toString(), button, button.property("shortcut_name")))
    for sc in window.findChildren(QShortcut):
        parent = sc.parent()
        if sc.isEnabled() and parent is not None and parent.isVisible():
            found.append((sc.key().toString(), sc, sc.property("shortcut_name")))
    return found


def test_every_page_of_every_tab_has_distinct_declared_keys(main_window):
    visited = 0
    for spec in registry.TABS:
        tab = main_window.show_tab(spec.name)
        for page in tab.page_keys() or [""]:
            if page:
                tab.show_page(page)
            QApplication.processEvents()
            bindings = live_bindings(main_window)
            undeclared = [(k, type(o).__name__, getattr(o, "text", lambda: "")()) for k, o, n in bindings if not n]
            assert not undeclared, f"{spec.name}/{page}: keys bound outside playground.shortcuts: {undeclared}"
            by_key = defaultdict(set)
            for key, obj, name in bindings:
                by_key[key].add(name)
            clashes = {k: v for k, v in by_key.items() if len(v) > 1}
            assert not clashes, f"{spec.name}/{page}: two actions share a key: {clashes}"
            visited += 1
    assert visited >= 2 * len(registry.TABS)


@pytest.mark.parametrize("page", ["loss", "sample"])
def test_f5_is_presentation_mode_on_the_names_pages(main_window, qtbot, page):
    tab = main_window.show_tab("names")
    tab.show_page(page)
    main_window.activateWindow()
    QApplication.processEvents()
    before = main_window.presentation_action.isChecked()
    qtbot.keyClick(main_window, QKeySequence("F5")[0].key())
    assert main_window.presentation_action.isChecked() != before
    main_window.presentation_action.setChecked(before)
