"""From a drawing to the net's input: preprocess(), photos, and drawn digits the shipped net reads."""
import numpy as np
import pytest

from models.digits.mnist import load_mnist, load_pretrained, preprocess
from models.digits.photo import photo_to_canvas
from models.digits.preprocess import centre_of_mass, downsample, ink_bbox
from models.digits.strokes import draw_digit, drawing_set, render


def box_canvas(top, left, h, w, size=280):
    c = np.zeros((size, size), np.float32)
    c[top:top + h, left:left + w] = 1.0
    return c


def test_small_off_centre_digit_ends_up_centred_and_scaled():
    canvas = box_canvas(10, 200, 30, 15)  # a small 30x15 blob near the top-right corner
    out = preprocess(canvas, even_pen=False)  # a solid blob has no pen width to even out
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max(axis=1).sum() == pytest.approx(20, abs=0.5)  # the longer side fills the 20-pixel box
    assert out.max(axis=0).sum() == pytest.approx(10, abs=0.5)  # aspect ratio kept: 15/30 of 20
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14.5) < 0.3 and abs(cx - 14.5) < 0.3  # at the centre, where MNIST puts it
    assert out.max() == pytest.approx(1.0)


def test_centre_of_mass_not_bbox_centre_is_what_lands_in_the_middle():
    canvas = box_canvas(50, 50, 100, 20) + box_canvas(50, 70, 20, 80)  # a heavy stem and a short arm
    out = preprocess(np.clip(canvas, 0, 1), even_pen=False)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14.5) < 0.3 and abs(cx - 14.5) < 0.3
    top, bottom, left, right = ink_bbox(out, 0.5)
    assert (left + right) / 2 > 15  # so the bounding box sits off-centre, towards the arm


def test_empty_and_bad_canvases():
    assert not preprocess(np.zeros((100, 80))).any()
    with pytest.raises(ValueError, match="2-D"):
        preprocess(np.zeros((3, 10, 10)))


def test_an_mnist_digit_blown_up_comes_back_almost_unchanged():
    x, _ = load_mnist("test")
    digit = x[0].astype(np.float32) / 255
    big = np.kron(digit, np.ones((10, 10), np.float32))  # (280, 280), as if drawn on the canvas
    out = preprocess(big)
    assert np.abs(out - digit).mean() < 0.06


def test_raw_view_is_the_whole_canvas_shrunk():
    canvas = box_canvas(0, 0, 140, 140)
    raw = downsample(canvas)
    assert raw.shape == (28, 28)
    assert raw[:13, :13].min() > 0.95 and raw[15:, 15:].max() == 0.0


def test_photo_of_dark_ink_on_light_paper_is_inverted_and_cleaned():
    rng = np.random.default_rng(0)
    ink = draw_digit(3, rng, size=300)
    light = np.linspace(0.75, 0.95, 300)[None, :]  # paper lit unevenly from one side
    photo = light * (1 - 0.85 * ink) + rng.normal(0, 0.02, (300, 300))
    canvas, inverted = photo_to_canvas(photo)
    assert inverted
    assert canvas[ink < 0.01].mean() < 0.02  # paper is gone
    assert canvas[ink > 0.99].mean() > 0.8  # ink is ink
    chalk, inverted = photo_to_canvas(0.1 + 0.8 * ink)  # light on dark
    assert not inverted and chalk[ink > 0.99].mean() > 0.8


def test_photos_go_through_the_same_pipeline_and_are_read():
    rng = np.random.default_rng(1)
    net = load_pretrained().model
    hits = 0
    for d in range(10):
        ink = draw_digit(d, rng, size=360)
        photo = 0.9 - 0.7 * ink + rng.normal(0, 0.03, ink.shape)
        hits += int(net.predict(preprocess(photo_to_canvas(photo)[0])[None])[0] == d)
    assert hits >= 9
    with pytest.raises(ValueError, match="2-D"):
        photo_to_canvas(np.zeros((4, 4)))


def test_rendered_strokes_are_anti_aliased_and_as_wide_as_the_pen():
    c = render([np.array([[20.0, 50.3], [80.0, 50.3]])], 100, 10.0)
    assert c[50, 50] == 1.0 and c[50 - 7, 50] == 0.0
    edge = c[44:57, 50]
    assert ((edge > 0) & (edge < 1)).any()  # a soft edge, not a jagged one
    assert 9.0 <= c[:, 50].sum() <= 11.0


def test_shipped_net_reads_drawn_digits():
    """People's drawings, not MNIST: every style variant (1 with a flag, open 4, crossed 7, ...),
    thin to thick pens, small to large, off-centre, slanted. The report's figure uses more."""
    canvases, labels = drawing_set(n_per_digit=6, seed=11)
    x = np.stack([preprocess(c) for c in canvases])
    accuracy = float((load_pretrained().model.predict(x) == labels).mean())
    assert accuracy >= 0.95, accuracy
