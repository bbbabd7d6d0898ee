"""Hide controls (Ctrl+H): a tab's side panels fold into a strip, remembered per tab."""
from PySide6.QtWidgets import QApplication

from playground.widgets.side_panel import SidePanel


def panels(tab):
    return tab.findChildren(SidePanel)


def test_hide_controls_folds_the_panels_and_is_remembered_per_tab(main_window):
    names = main_window.show_tab("names")
    assert panels(names) and not any(p.is_collapsed() for p in panels(names))
    main_window.clean_action.trigger()
    QApplication.processEvents()
    assert all(p.is_collapsed() and p.width() <= SidePanel.STRIP for p in panels(names))
    digits = main_window.show_tab("digits")
    assert not main_window.clean_action.isChecked()
    assert not any(p.is_collapsed() for p in panels(digits))
    main_window.show_tab("names")
    assert main_window.clean_action.isChecked() and all(p.is_collapsed() for p in panels(names))
    main_window.clean_action.trigger()  # unfold: the controls come back whole
    assert not any(p.is_collapsed() for p in panels(names))
    assert all(p.widget().isVisibleTo(p) for p in panels(names))
