"""What every tab is: a model plus a view, with the hooks the main window calls."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from playground import registry
from playground.jobs import Jobs
from playground.runner import Runner


class Tab(QWidget):
    """Base class of the five tabs.

    `name` and `title` come from the registry (playground.registry). Subclasses set, when
    File > Open… applies, `open_filter`; build their widgets in __init__ (cheap: no data loading
    there) and load data/models in load_defaults(), which runs the first time the tab is shown.
    Training runs on `make_runner()` runners; one-shot work (loading, checking, evaluating) on
    `self.jobs` (playground.jobs). Neither touches widgets from its thread.
    """
    name = ""
    title = ""
    open_filter: str | None = None  # e.g. "Word lists (*.txt);;All files (*)"; None disables Open

    error_raised = Signal(str)  # a message for the user (the window shows it; never a traceback)
    status_message = Signal(str)  # a short note for the status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        spec = registry.spec_of_module(type(self).__module__)
        if spec is not None:
            self.name, self.title = spec.name, spec.title
        self._loaded = False
        self.runners: list[Runner] = []
        self.jobs = Jobs(self)
        self.jobs.failed.connect(self._on_jobs_failed)

    # -- hooks for subclasses --------------------------------------------------------------
    def load_defaults(self) -> None:
        """Load the default data and model (from assets/ or $PLAYGROUND_DATA_DIR)."""

    def prepare_shot(self) -> None:
        """Put the tab in a representative state for `playground shot` (synchronously)."""

    def open_file(self, path: str) -> None:
        """File > Open… with a file matching open_filter."""
        self.show_error(f"The {self.title} tab opens no files.")

    def export_targets(self) -> list[tuple[str, QWidget]]:
        """(label, widget) of what File > Export figure… offers; the main plot first. Widgets may
        be pyqtgraph PlotWidget/GraphicsLayoutWidget/PlotItem (PNG, SVG, CSV) or any QWidget (PNG)."""
        return []

    # -- pages: every tab shows its pages in `self.pages`, a QTabWidget ----------------------
    def page_keys(self) -> list[str]:
        """Short names of the pages, in order: the page widget's objectName if set, else the first
        word of its label ("Sample && score" -> "sample"). Shortcuts, `shot --page` and lessons
        use them."""
        pages = getattr(self, "pages", None)
        if pages is None:
            return []
        return [pages.widget(i).objectName() or page_key(pages.tabText(i)) for i in range(pages.count())]

    def current_page(self) -> str:
        keys = self.page_keys()
        return keys[self.pages.currentIndex()] if keys else ""

    def show_page(self, key: str) -> None:
        """Show the page named `key` (KeyError if the tab has no such page)."""
        keys = self.page_keys()
        if key not in keys:
            raise KeyError(f"The {self.title} tab has no page {key!r}; it has {', '.join(keys) or 'none'}.")
        self.pages.setCurrentIndex(keys.index(key))

    # -- services --------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.load_defaults()

    def make_runner(self) -> Runner:
        """A Runner owned by this tab: stopped on close, its errors shown to the user."""
        runner = Runner(self)
        runner.failed.connect(self._on_runner_failed)
        self.runners.append(runner)
        return runner

    def show_error(self, message: str) -> None:
        self.error_raised.emit(message)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop every run of this tab and wait (bounded). True when no thread is left running."""
        return all([r.shutdown(timeout_ms) for r in self.runners] + [self.jobs.shutdown(timeout_ms)])

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self.show_error(f"Training stopped: {message}")

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        self.show_error(message)


def page_key(label: str) -> str:
    """"&Inside the net" -> "inside"."""
    return label.replace("&", "").split()[0].lower() if label.strip() else ""
