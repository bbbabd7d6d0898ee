"""Finding the digit in a sloppy drawing: specks dropped (and only specks), the pen evened out
to MNIST's width, and the synthetic sloppy set the numbers in assets/README.md come from."""
import numpy as np
import pytest

from models.digits.cleanup import label_components, pen_width, set_pen_width
from models.digits.mnist import load_pretrained
from models.digits.preprocess import MNIST_PEN, centre_of_mass, ink_bbox, prepare, preprocess, to_work_frame
from models.digits.sloppy import CATEGORIES, draw_sloppy, score, sloppy_set
from models.digits.strokes import draw_digit, render


def test_components_are_eight_connected_pieces():
    m = np.zeros((5, 7), bool)
    m[0, :] = m[:, 6] = True  # one bent stroke
    m[2, 3] = True  # a separate dot
    m[4, 0] = m[3, 1] = True  # diagonal neighbours: one piece
    labels = label_components(m)
    assert len(np.unique(labels[m])) == 3 and (labels[~m] == 0).all()
    assert labels[4, 0] == labels[3, 1] and labels[0, 0] == labels[4, 6]


def seven():
    """A 7 in the middle of the canvas (x 90..190, y 60..230), pen 16."""
    return render([np.array([[90.0, 60.0], [190.0, 60.0], [130.0, 230.0]])], 280, 16.0)


def test_a_drawing_with_a_stray_dot_is_cropped_to_the_digit():
    canvas = seven()
    dotted = np.maximum(canvas, render([np.array([[25.0, 255.0], [25.01, 255.0]])], 280, 14.0))
    p = prepare(dotted)
    assert p.pieces_dropped == 1
    assert p.dropped is not None and p.dropped[245:265, 15:35].sum() > 50 and p.dropped[:200, 60:].sum() == 0
    clean = preprocess(canvas)
    assert np.abs(p.image - clean).max() < 1e-5  # the net sees exactly the digit alone
    old = preprocess(dotted, clean=False, even_pen=False)
    assert np.abs(old - preprocess(canvas, clean=False, even_pen=False)).max() > 0.3  # the old crop framed the dot
    assert "dropped 1 speck" in p.describe()


def test_a_tick_away_from_the_digit_is_dropped_too():
    canvas = seven()
    tick = render([np.array([[240.0, 30.0], [255.0, 18.0]])], 280, 10.0)
    p = prepare(np.maximum(canvas, tick))
    assert p.pieces_dropped == 1 and np.abs(p.image - preprocess(canvas)).max() < 1e-5


@pytest.mark.parametrize("strokes", [
    # a 5 whose top bar was drawn apart from the rest, a little above it
    [np.array([[120.0, 60.0], [190.0, 60.0]]),
     np.array([[118.0, 80.0], [114.0, 130.0], [160.0, 125.0], [180.0, 170.0], [150.0, 215.0], [110.0, 205.0]])],
    # an open 4 in two strokes that do not touch
    [np.array([[100.0, 50.0], [95.0, 150.0], [190.0, 150.0]]), np.array([[170.0, 60.0], [170.0, 240.0]])],
    # a tiny two-stroke 4 in a corner, with a fine pen
    [np.array([[20.0, 20.0], [18.0, 34.0], [36.0, 34.0]]), np.array([[31.0, 22.0], [31.0, 46.0]])],
    # a 9 written with a gap between its loop and its tail
    [np.array([[150.0, 50.0], [110.0, 60.0], [110.0, 110.0], [160.0, 115.0], [175.0, 70.0], [150.0, 50.0]]),
     np.array([[176.0, 128.0], [170.0, 240.0]])],
])
def test_pieces_of_real_digits_are_kept(strokes):
    width = 4.0 if strokes[0][0, 0] < 30 else 14.0
    canvas = render(strokes, 280, width)
    p = prepare(canvas)
    assert p.pieces_dropped == 0 and p.dropped is None


def test_every_drawing_of_the_sloppy_set_but_the_stray_ones_keeps_all_its_ink():
    rng = np.random.default_rng(9)
    for category in CATEGORIES:
        drops = [prepare(draw_sloppy(d, category, rng)).pieces_dropped for d in range(10) for _ in range(2)]
        if category == "stray":
            assert sum(drops) >= 18, drops
        else:
            assert sum(drops) == 0, (category, drops)


def test_a_tiny_thin_digit_and_a_huge_thick_one_end_up_at_mnist_pen_width():
    rng = np.random.default_rng(2)
    tiny = draw_digit(3, rng, 280, variant=0, height=0.14, width=1.5)
    huge = draw_digit(3, rng, 280, variant=0, height=0.8, width=60.0)
    widths = []
    for canvas in (tiny, huge):
        t, b, l, r = ink_bbox(canvas)
        work = to_work_frame(canvas[t:b, l:r])
        widths.append(pen_width(work))
        assert pen_width(set_pen_width(work, MNIST_PEN)) == pytest.approx(MNIST_PEN, rel=0.25)
    assert widths[0] < 0.6 * MNIST_PEN and widths[1] > 1.6 * MNIST_PEN  # they did start far from it
    a, b = prepare(tiny), prepare(huge)
    assert a.pen_before == pytest.approx(widths[0]) and a.pen_after == MNIST_PEN
    # in the 28x28 input both strokes are now about as wide as an MNIST digit's (~2.3 pixels there)
    assert pen_width(a.image) == pytest.approx(pen_width(b.image), rel=0.3)
    assert 1.6 < pen_width(a.image) < 3.2
    for p in (a, b):
        cy, cx = centre_of_mass(p.image)
        assert abs(cy - 14.5) < 0.5 and abs(cx - 14.5) < 0.5  # MNIST's framing is kept
        top, bottom, left, right = ink_bbox(p.image, 0.05)
        assert max(bottom - top, right - left) <= 21


def test_the_sloppy_set_and_its_scores():
    canvases, labels, kinds = sloppy_set(1, seed=3)
    assert canvases.shape == (10 * len(CATEGORIES), 280, 280) and set(kinds) == set(CATEGORIES)
    assert labels.tolist() == list(range(10)) * len(CATEGORIES)
    s = score(labels, labels, kinds)
    assert s["all"] == 1.0 and s["neat"] == 1.0
    with pytest.raises(ValueError, match="unknown category"):
        draw_sloppy(1, "upside-down", np.random.default_rng(0))


def test_the_shipped_predictor_reads_the_sloppy_set():
    """A small slice of the sloppy set (the README's figures use 100 per digit per category)."""
    canvases, labels, kinds = sloppy_set(2, seed=21)
    x = np.stack([preprocess(c) for c in canvases])
    cnn = load_pretrained(which="cnn").model
    mlp = load_pretrained(which="mlp").model
    assert score(cnn.predict(x), labels, kinds)["all"] >= 0.96
    assert score(mlp.predict(x), labels, kinds)["all"] >= 0.95
