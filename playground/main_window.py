"""The main window: five tabs built from one list, menus, shortcuts, remembered settings."""
from __future__ import annotations

import importlib
import traceback

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout,
                               QWidget)

from playground import settings, shortcuts, theme, wheel_guard
from playground.fitting import Fitter, fit_pages, fit_screen
from playground import style as app_style
from playground.about import about_html
from playground.lessons.menus import LessonMenus
from playground import registry
from playground.registry import TabSpec
from playground.tabs.base import Tab
from playground.tabs.placeholder import PlaceholderTab
from playground.widgets.side_panel import SidePanel

SHUTDOWN_WAIT_MS = 3000


def make_tab(spec: TabSpec) -> Tab:
    """The registry's tab, or a placeholder saying why it could not be built."""
    name, title, module = spec.name, spec.title, spec.tab_module
    try:
        tab = getattr(importlib.import_module(module), spec.cls)()
    except ModuleNotFoundError as e:
        if e.name != module:
            traceback.print_exc()
        return PlaceholderTab(name, title, "it is not built yet" if e.name == module else str(e))
    except Exception as e:  # a broken tab must not take the app down
        traceback.print_exc()
        return PlaceholderTab(name, title, f"it failed to start ({type(e).__name__}: {e})")
    tab.name, tab.title = name, title
    return tab


class UnbuiltTab(QWidget):
    """Holds a tab's place until it is first shown (the first tab: until the window is up)."""

    def __init__(self, spec: TabSpec):
        super().__init__()
        self.spec, self.name, self.title = spec, spec.name, spec.title
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Loading {spec.title}…"), 0, Qt.AlignCenter)


class MainWindow(QMainWindow):
    def __init__(self, restore: bool = True, build_first: bool = True):
        """`build_first=False`: the current tab is built by build_first_tab(), called once the
        window shows, so that the window appears before the first tab's imports and figures."""
        super().__init__()
        self.setWindowTitle("Playground — see neural networks learn")
        self.last_error = ""
        self.fitter = Fitter(self, built=lambda tab: not isinstance(tab, UnbuiltTab))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        for spec in registry.TABS:  # built when first shown: start-up imports only the first tab
            self.tabs.addTab(UnbuiltTab(spec), spec.title)
        self._build_menus()
        self.statusBar().showMessage("Ready")
        style = app_style.current()
        if restore:
            style = app_style.Style(theme=settings.read("view/theme", "light"),
                                    zoom=settings.read("view/zoom", 1.0),
                                    presentation=settings.read("view/presentation", False))
            geometry = settings.settings().value("window/geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
            else:
                self.resize(1400, 900)
            fit_screen(self)
            self.tabs.setCurrentIndex(max(0, min(len(registry.TABS) - 1, settings.read("window/tab", 0))))
        self.set_style(style)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        if build_first:
            self.build_first_tab()

    def build_first_tab(self) -> None:
        tab = self.current_tab()
        self._load(tab)
        self._apply_clean(tab)
        self._update_open_action()

    # -- tabs ------------------------------------------------------------------------------
    def tab(self, name: str) -> Tab:
        """The tab called `name`, built now if it was not yet."""
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).name == name:
                return self._built(i)
        raise KeyError(name)

    def current_tab(self) -> Tab:
        return self._built(self.tabs.currentIndex())

    def built_tabs(self) -> list[Tab]:
        return [w for w in map(self.tabs.widget, range(self.tabs.count())) if not isinstance(w, UnbuiltTab)]

    def _built(self, index: int) -> Tab:
        widget = self.tabs.widget(index)
        if not isinstance(widget, UnbuiltTab):
            return widget
        theme.apply_plots(app_style.current())  # before the tab makes its first plot
        tab = make_tab(widget.spec)
        tab.error_raised.connect(self._on_tab_error_raised)
        tab.status_message.connect(self._on_tab_status_message)
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)  # swapping the stand-in is not the user changing tabs
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, tab, widget.spec.title)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        widget.deleteLater()
        return tab

    def show_tab(self, name: str) -> Tab:
        tab = self.tab(name)
        self.tabs.setCurrentWidget(tab)
        self._load(tab)
        return tab

    def _load(self, tab: Tab) -> None:
        """Load the tab's data on first show, and give each of its views an Export… menu."""
        tab.ensure_loaded()
        wheel_guard.guard_tree(tab)
        fit_pages(tab)
        pages = getattr(tab, "pages", None)
        if pages is not None and not pages.property("fit_connected"):
            pages.setProperty("fit_connected", True)
            pages.currentChanged.connect(self._on_page_changed)
            for i in range(pages.count()):  # content that grows later (a job's result) re-fits
                self.fitter.watch(pages.widget(i))
        self.fit_later()
        from playground import export  # here: it loads pyqtgraph, which the window need not wait for

        for label, widget in tab.export_targets():
            export.install_export_menu(widget, f"{tab.name}-{label}".replace(" ", "_"))

    @Slot(int)
    def _on_page_changed(self, index: int):
        self.fit_later()

    @Slot(int)
    def _on_tabs_current_changed(self, index: int):
        self.statusBar().clearMessage()  # the last tab's news does not describe this one
        self._load(self.current_tab())
        self._apply_clean(self.current_tab())
        self._update_open_action()
        settings.write("window/tab", index)

    # -- menus -----------------------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None, tip="", checkable=False):
        """A menu action; `shortcut` names its keys in playground.shortcuts."""
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut:
            shortcuts.bind(action, shortcut)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self):
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open…", self._on_open_triggered, "open",
                                        "Open a file for this tab (a word list, an image, weights)")
        self._action(file_menu, "&Export figure…", self._on_export_triggered, "export",
                     "Save this tab's main plot as PNG, SVG or CSV")
        file_menu.addSeparator()
        self.lessons = LessonMenus(self)  # lessons: File > Open/Save lesson, View > Journey, Help > Lessons
        self.lessons.failed.connect(self._on_tab_error_raised)
        self.lessons.status.connect(self._on_tab_status_message)
        self.lessons.add_file_actions(file_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "quit", "Close Playground")

        view = bar.addMenu("&View")
        self.presentation_action = self._action(view, "&Presentation mode", self._on_presentation_toggled,
                                                "presentation", "Large text and thick lines for a projector", True)
        self.fullscreen_action = self._action(view, "&Full screen", self._on_fullscreen_toggled, "fullscreen",
                                              "Fill the whole screen", True)
        self.clean_action = self._action(view, "&Hide controls", self._on_clean_toggled, "clean_view",
                                         "Fold this tab's side panel into a strip: the figure gets the room "
                                         "(remembered per tab)", True)
        self.lessons.add_view_actions(view)
        view.addSeparator()
        self._action(view, "Zoom &in", self._on_zoom_in_triggered, "zoom_in", "Larger text")
        self._action(view, "Zoom &out", self._on_zoom_out_triggered, "zoom_out", "Smaller text")
        self._action(view, "&Reset zoom", self._on_zoom_reset_triggered, "zoom_reset", "Normal text size")
        view.addSeparator()
        group = QActionGroup(self)
        self.theme_actions = {}
        for name in ("light", "dark"):
            action = self._action(view, f"{name.title()} theme", self._on_theme_triggered,
                                  tip=f"Use the {name} colour theme", checkable=False)
            action.setCheckable(True)
            action.setData(name)
            group.addAction(action)
            self.theme_actions[name] = action
        view.addSeparator()
        for i, spec in enumerate(registry.TABS):
            action = self._action(view, f"Go to {spec.title}", self._on_goto_triggered, f"goto.{spec.name}",
                                  f"Show the {spec.title} tab")
            action.setData(i)

        help_menu = bar.addMenu("&Help")
        self.lessons.add_help_actions(help_menu)
        self._action(help_menu, "&About Playground", self._on_about_triggered, tip="Versions, credits, licences")
        self._update_open_action()

    def _update_open_action(self):
        tab = self.tabs.currentWidget()  # a tab not built yet opens nothing yet
        self.open_action.setEnabled(not isinstance(tab, UnbuiltTab) and tab.open_filter is not None)

    @Slot()
    def _on_open_triggered(self):
        tab = self.current_tab()
        if tab.open_filter is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Open — {tab.title}", "", tab.open_filter)
        if path:
            tab.open_file(path)

    @Slot()
    def _on_export_triggered(self):
        targets = self.current_tab().export_targets()
        if not targets:
            self.statusBar().showMessage("This tab has no figure to export yet.", 5000)
            return
        label, widget = targets[0]
        from playground import export

        try:
            path = export.ask_and_export(self, widget, f"{self.current_tab().name}-{label}".replace(" ", "_"))
        except (OSError, ValueError) as e:
            self._on_tab_error_raised(f"Export failed: {e}")
            return
        if path is not None:
            self.statusBar().showMessage(f"Saved {path}", 5000)

    @Slot()
    def _on_goto_triggered(self):
        self.tabs.setCurrentIndex(self.sender().data())

    @Slot()
    def _on_about_triggered(self):
        QMessageBox.about(self, "About Playground", about_html())

    # -- style -----------------------------------------------------------------------------
    def set_style(self, style: app_style.Style):
        theme.apply(style)
        for action in (self.presentation_action,):
            action.blockSignals(True)
            action.setChecked(style.presentation)
            action.blockSignals(False)
        self.theme_actions[style.theme].setChecked(True)
        settings.write("view/theme", style.theme)
        settings.write("view/zoom", style.zoom)
        settings.write("view/presentation", style.presentation)
        self.fitter.refit(self.tab)  # sizes change with the style: fit afresh

    def _zoom_to(self, zoom: float):
        self.set_style(app_style.current().with_(zoom=zoom))
        self.statusBar().showMessage(f"Zoom {zoom:.0%}", 2000)

    @Slot(bool)
    def _on_presentation_toggled(self, on: bool):
        self.set_style(app_style.current().with_(presentation=on))

    @Slot(bool)
    def _on_clean_toggled(self, on: bool):
        tab = self.current_tab()
        settings.write(f"view/clean/{tab.name}", on)
        self._apply_clean(tab)

    def set_clean(self, tab: Tab, on: bool) -> None:
        """Hide (or show) a tab's controls and remember it, as View > Hide controls does (lessons)."""
        settings.write(f"view/clean/{tab.name}", on)
        if tab is self.current_tab():
            self._apply_clean(tab)  # also ticks the menu item
        else:
            for panel in tab.findChildren(SidePanel):
                panel.set_collapsed(on)

    def _apply_clean(self, tab: Tab) -> None:
        """The tab's side panels folded or not, as remembered for this tab."""
        on = bool(settings.read(f"view/clean/{tab.name}", False))
        self.fitter.forget(tab.name)
        for panel in tab.findChildren(SidePanel):
            panel.set_collapsed(on)
        self.clean_action.blockSignals(True)
        self.clean_action.setChecked(on)
        self.clean_action.blockSignals(False)

    # -- fitting the screen (playground/fitting.py) -----------------------------------------
    def fit_later(self) -> None:
        self.fitter.later()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.fit_later()

    @Slot(bool)
    def _on_fullscreen_toggled(self, on: bool):
        self.showFullScreen() if on else self.showNormal()

    @Slot()
    def _on_zoom_in_triggered(self):
        steps = app_style.ZOOM_STEPS
        self._zoom_to(next((z for z in steps if z > app_style.current().zoom + 1e-9), steps[-1]))

    @Slot()
    def _on_zoom_out_triggered(self):
        steps = app_style.ZOOM_STEPS
        self._zoom_to(next((z for z in reversed(steps) if z < app_style.current().zoom - 1e-9), steps[0]))

    @Slot()
    def _on_zoom_reset_triggered(self):
        self._zoom_to(1.0)

    @Slot()
    def _on_theme_triggered(self):
        self.set_style(app_style.current().with_(theme=self.sender().data()))

    # -- messages and closing --------------------------------------------------------------
    @Slot(str)
    def _on_tab_error_raised(self, message: str):
        self.last_error = message
        self.statusBar().showMessage(message, 10000)
        box = QMessageBox(QMessageBox.Warning, "Playground", message, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()  # not exec(): a message must never block training or the tests

    @Slot(str)
    def _on_tab_status_message(self, message: str):
        self.statusBar().showMessage(message, 8000)

    def open_lesson(self, path: str) -> bool:
        """Open a .playground lesson (off the GUI thread; the lesson applies when it is read)."""
        return self.lessons.open(path)

    def shutdown(self) -> bool:
        """Stop every tab's runs with a bounded wait; True when no thread is left."""
        return all([tab.shutdown(SHUTDOWN_WAIT_MS) for tab in self.built_tabs()] +
                   [self.lessons.shutdown(SHUTDOWN_WAIT_MS)])

    def closeEvent(self, event):
        self.shutdown()
        settings.write("window/geometry", self.saveGeometry())
        super().closeEvent(event)
