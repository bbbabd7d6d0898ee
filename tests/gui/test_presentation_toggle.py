"""Presentation mode off again (F5): every control returns to its normal size."""
from PySide6.QtWidgets import QComboBox

from playground import style as app_style


def visible_combos(window):
    return [c for c in window.findChildren(QComboBox) if c.isVisible()]


def test_combo_boxes_lose_their_presentation_height(main_window, qtbot):
    main_window.resize(1280, 800)
    for name in ("autograd", "names"):
        main_window.show_tab(name)
        qtbot.wait(50)
        normal = {id(c): c.height() for c in visible_combos(main_window)}
        assert normal
        main_window.set_style(app_style.current().with_(presentation=True))
        qtbot.waitUntil(lambda: all(c.height() > normal[id(c)] for c in visible_combos(main_window)), timeout=5000)
        main_window.set_style(app_style.current().with_(presentation=False))
        qtbot.waitUntil(lambda: all(c.height() <= normal[id(c)] for c in visible_combos(main_window)), timeout=5000)
