"""Fitting the screen: the window never larger than its screen, hidden pages never widening it,
and a tab's controls folded when its figure would be squeezed (or, on a projector, crowded)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground import settings, shortcuts
from playground import style as app_style
from playground.widgets.side_panel import SidePanel

PRESENTATION_PANEL_SHARE = 0.36  # in presentation mode, side panels wider than this share fold


def fit_pages(tab: QWidget) -> None:
    """A hidden page must not make the window wider than the screen: a QTabWidget is as large as
    its largest page, so each page (and each tab) ignores its size hint when it is not shown."""
    tab.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
    pages = getattr(tab, "pages", None)
    if pages is not None:
        for i in range(pages.count()):
            pages.widget(i).setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)


def fit_screen(window: QWidget) -> None:
    """Never larger than the screen it opens on (a remembered size may be of a bigger one, and
    without a window manager nothing else would shrink it)."""
    screen = QGuiApplication.screenAt(window.geometry().center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    room = screen.availableGeometry()
    if window.width() > room.width() or window.height() > room.height():
        window.resize(min(window.width(), room.width()), min(window.height(), room.height()))
        window.move(room.topLeft())


class Fitter(QObject):
    """Folds the shown tab's side panels when its page would be squeezed, and unfolds them when
    the window has grown back by their width. `window` has `tabs` (a QTabWidget of tabs with a
    `name`) and a status bar; tabs not built yet (`built(tab)` false) are left alone."""

    def __init__(self, window, built):
        super().__init__(window)
        self.window, self.built = window, built
        self.folded: dict[str, int] = {}  # tab -> window width at which its panels unfold
        self._pending = False

    def watch(self, page: QWidget) -> None:
        """Re-fit when this page's layout or size changes (content that grows later)."""
        page.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        # a resize too: a splitter may give the page its new width only after the window's own
        # resize was checked, and a page squeezed then must still fold the controls
        if event.type() in (QEvent.LayoutRequest, QEvent.Resize):
            self.later()
        return False

    def later(self) -> None:
        """Check, once the layout has settled, whether the shown page fits (debounced)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self._now)

    def forget(self, name: str) -> None:
        self.folded.pop(name, None)

    def refit(self, tab_named) -> None:
        """Sizes changed (a new style): every tab folded by fitting shows as remembered, then fits afresh."""
        for name in list(self.folded):
            del self.folded[name]
            for p in tab_named(name).findChildren(SidePanel):
                p.set_collapsed(bool(settings.read(f"view/clean/{name}", False)))
        self.later()

    @Slot()
    def _now(self) -> None:
        self._pending = False
        window, tab = self.window, self.window.tabs.currentWidget()
        if not self.built(tab) or settings.read(f"view/clean/{tab.name}", False):
            return
        panels = tab.findChildren(SidePanel)
        pages = getattr(tab, "pages", None)
        page = pages.currentWidget() if pages is not None else tab
        if not panels or page is None:
            return
        width = sum(p.width() for p in panels)
        if tab.name not in self.folded:
            need = page.minimumSizeHint()
            # on a projector the figure is what the back row reads: controls taking over a third
            # of the window fold too (one click on the strip, or Ctrl+H twice, brings them back)
            crowded = app_style.current().presentation and width > window.width() * PRESENTATION_PANEL_SHARE
            if need.width() > page.width() + 2 or need.height() > page.height() + 2 or crowded:
                for p in panels:
                    p.set_collapsed(True)
                self.folded[tab.name] = window.width() + width - SidePanel.STRIP * len(panels)
                window.statusBar().showMessage("The controls are folded so the figure fits: "
                                               f"press {shortcuts.text('clean_view')} twice to show them.", 8000)
        elif window.width() >= self.folded[tab.name]:  # room again for the controls
            del self.folded[tab.name]
            for p in panels:
                p.set_collapsed(False)
