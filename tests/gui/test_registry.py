"""The registry is the one list of tabs: the window, the CLI, `shot` and the README read it, and a
sixth tab needs its own folder and one registry line, nothing else (docs/ARCHITECTURE.md)."""
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QApplication

from playground import cli, registry, shortcuts
from playground.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_shows_the_registry_in_order(main_window):
    tabs = main_window.tabs
    assert [tabs.widget(i).name for i in range(tabs.count())] == [s.name for s in registry.TABS]
    assert [tabs.tabText(i) for i in range(tabs.count())] == [s.title for s in registry.TABS]


def test_the_cli_reads_the_registry():
    for spec in registry.TABS:
        assert cli.parse_tab(spec.name, None) == (spec.name, None)
        assert cli.parse_tab(f"{spec.name}/some", None) == (spec.name, "some")
    train = cli.build_parser()._subparsers._group_actions[0].choices["train"]
    assert len(train._subparsers._group_actions[0].choices) >= len(registry.TABS)


def test_the_readme_lists_the_window_keys_from_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert shortcuts.readme_line() in readme


SIXTH_TAB = '''
    """A throwaway sixth tab, made by following docs/ARCHITECTURE.md's recipe."""
    from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout

    from playground.tabs.base import Tab


    class SixthTab(Tab):
        def __init__(self, parent=None):
            super().__init__(parent)
            self.pages = QTabWidget()
            self.pages.addTab(QLabel("hello"), "Hello")
            QVBoxLayout(self).addWidget(self.pages)
'''
SIXTH_COMMANDS = '''
    def register(train, evaluate):
        p = train.add_parser("sixth", help="train the sixth model")
        p.set_defaults(func=lambda args: {"sixth": "trained"})
'''


def test_a_sixth_tab_needs_a_folder_and_one_registry_line(tmp_path, monkeypatch, qtbot, capsys):
    folder = tmp_path / "sixth"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""The sixth tab."""\n')
    (folder / "tab.py").write_text(textwrap.dedent(SIXTH_TAB))
    (folder / "commands.py").write_text(textwrap.dedent(SIXTH_COMMANDS))
    monkeypatch.syspath_prepend(str(tmp_path))
    line = registry.TabSpec("sixth", "Sixth", "Ctrl+6", "sixth", "SixthTab")
    monkeypatch.setattr(registry, "TABS", registry.TABS + (line,))
    try:
        window = MainWindow(restore=False)
        qtbot.addWidget(window)
        tab = window.show_tab("sixth")
        assert tab.title == "Sixth" and tab.page_keys() == ["hello"]
        assert window.tabs.tabText(window.tabs.count() - 1) == "Sixth"
        assert "goto.sixth" in shortcuts.all_shortcuts()
        assert cli.main(["train", "sixth"]) == 0
        assert "sixth=trained" in capsys.readouterr().out
        parser = cli.build_parser()
        assert parser.parse_args(["shot", "--tab", "sixth", "--out", "x.png"]).tab == "sixth"
        window.shutdown()
    finally:
        for name in [m for m in sys.modules if m == "sixth" or m.startswith("sixth.")]:
            del sys.modules[name]
    QApplication.processEvents()


def test_page_keys_are_unique_in_every_tab(main_window):
    for spec in registry.TABS:
        keys = main_window.tab(spec.name).page_keys()
        assert len(keys) == len(set(keys)), f"{spec.name}: {keys}"
