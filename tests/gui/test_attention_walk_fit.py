"""The walkthrough on a projector: every stage's strips fit the page (the cells get lower rather
than the output being scrolled away) when the page has the room of its tallest stage. The page
asks for no more than it can get: on a projector, the controls fold for it."""
import numpy as np
from PySide6.QtWidgets import QApplication

from models.attention.model import GPT, GPTConfig
from models.attention.walkthrough import walkthrough
from playground import style as app_style
from playground import theme
from playground.tabs.attention.strips import Row, StripsView
from playground.tabs.attention.walk_page import WalkthroughPage, stage_rows


def test_strips_lower_their_cells_to_fit_the_height_they_get(qtbot):
    theme.apply(app_style.Style(presentation=True))
    view = StripsView()
    qtbot.addWidget(view)
    rows = [Row(f"row {i}", np.linspace(-1, 1, 64)) for i in range(5)]
    view.set_rows(rows)
    natural, smallest = view.sizeHint().height(), view.minimumSizeHint().height()
    assert smallest < natural
    view.resize(900, (natural + smallest) // 2)  # less than the natural height, more than the least
    view.show()
    view.grab()  # paints now
    assert len(view._cells) == 5 * 64
    assert max(r.bottom() for r, _, _ in view._cells) <= view.height()
    view.resize(900, natural + 200)  # room to spare: the cells keep their full height
    view.grab()  # paints now
    full = view._metrics()[3]  # 1.5 lines
    assert {r.height() for r, _, _ in view._cells} == {full}


def test_the_tallest_stage_fits_its_room(qtbot):
    theme.apply(app_style.Style(presentation=True))
    model = GPT(GPTConfig(vocab_size=27, block_size=8, n_layer=2, n_head=4, n_embd=16, seed=1))
    tokens = list(".emma")
    stages = walkthrough(model, [0, 5, 13, 13, 1])
    page = WalkthroughPage()
    qtbot.addWidget(page)
    page.show_stages(stages, tokens, 3, 2)
    tallest = max(page.strips.minimum_height(stage_rows(s, 3, tokens)) for s in stages)
    assert tallest > page.strips.minimum_height(stage_rows(stages[0], 3, tokens))
    page.resize(1000, page.minimumSizeHint().height() + tallest)
    page.go(page.find("heads", 1))
    page.show()
    QApplication.processEvents()
    page.strips.grab()
    assert max(r.bottom() for r, _, _ in page.strips._cells) <= page.scroll.viewport().height() + 1
