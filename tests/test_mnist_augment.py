"""Batch distortions: the identity is exact, shifts move pixels, stroke weight goes both ways."""
import numpy as np

from models.digits.augment import AugmentConfig, augment, random_affine, random_stroke_weight

NONE = AugmentConfig(rotate=0, shear=0, scale=(1, 1), aspect=0, shift=0, thicken=0, thin=0)


def digits(n=6, seed=0):
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 8:20, 12:16] = 1.0  # a stroke
    return x * np.random.default_rng(seed).uniform(0.5, 1, (n, 1, 1)).astype(np.float32)


def test_no_distortion_is_the_identity():
    x = digits()
    np.testing.assert_allclose(augment(x, np.random.default_rng(0), NONE), x, atol=1e-6)


def test_a_shift_moves_the_image_by_whole_pixels():
    x = digits(1)
    cfg = AugmentConfig(rotate=0, shear=0, scale=(1, 1), aspect=0, shift=0)
    rng = np.random.default_rng(0)
    out = random_affine(x, rng, cfg)
    np.testing.assert_allclose(out, x, atol=1e-6)
    # a forward shift of (+2, -3): what was at (r, c) is now at (r + 2, c - 3)
    from models.digits import augment as mnist_augment
    t = np.array([[2.0, -3.0]])
    H = W = 28
    yy, xx = np.mgrid[0:H, 0:W]
    fy = (yy.ravel() + 0.5 - t[0, 0])[None]
    fx = (xx.ravel() + 0.5 - t[0, 1])[None]
    moved = mnist_augment.bilinear(x, fy, fx)
    np.testing.assert_allclose(moved[0, 10:22, 9:13], x[0, 8:20, 12:16], atol=1e-6)


def test_random_distortions_keep_range_shape_and_most_of_the_ink():
    x = digits(200)
    out = augment(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    ratio = out.sum((1, 2)) / x.sum((1, 2))
    assert 0.4 < ratio.min() and ratio.max() < 4.0  # nothing vanishes or floods the field
    assert not np.allclose(out, x)


def test_stroke_weight_thickens_and_thins():
    x = digits(400)
    out = random_stroke_weight(x, np.random.default_rng(2), AugmentConfig(thicken=0.5, thin=0.5))
    mass = out.sum((1, 2)) / x.sum((1, 2))
    assert (mass > 1.3).any() and (mass < 0.9).any()


def test_flags_are_drawn_down_and_left_from_the_top_of_a_one():
    from models.digits.augment import add_flags

    one = np.zeros((1, 28, 28), np.float32)
    one[0, 4:24, 14:16] = 1.0  # an upright stem
    flagged = add_flags(one, np.random.default_rng(0))
    added = flagged[0] - one[0]
    rows, cols = np.nonzero(added > 0.5)
    assert rows.size > 3
    assert rows.min() >= 4 and rows.max() <= 12  # near the top
    assert cols.max() <= 15 and cols.min() < 14  # to the left of the stem
    assert np.all(flagged >= one)  # nothing erased


def test_only_ones_get_flags():
    x = digits(50)
    labels = np.array([1, 7] * 25)
    cfg = AugmentConfig(rotate=0, shear=0, scale=(1, 1), aspect=0, shift=0, thicken=0, thin=0, flag_ones=1.0)
    out = augment(x, np.random.default_rng(3), cfg, labels)
    assert np.allclose(out[1::2], x[1::2], atol=1e-6)  # the 7s untouched
    assert (out[0::2].sum((1, 2)) > x[0::2].sum((1, 2)) + 1).all()


def test_sloppy_distortions_bite_gaps_add_specks_and_wobble():
    from models.digits.augment import SLOPPY, add_specks, bite_gaps, wobble

    x = digits(50)
    rng = np.random.default_rng(4)
    bitten = bite_gaps(x, rng)
    lost = (x - bitten).sum((1, 2))
    assert (lost > 0.5).all() and (bitten <= x + 1e-6).all()  # only ink taken away, from every image
    specked = add_specks(np.zeros_like(x), rng)
    assert (specked.sum((1, 2)) > 0.3).all() and specked.max() <= 1.0
    field = wobble(50, 28, 28, rng, 1.0)  # (B, HW, 2) displacements
    assert field.shape == (50, 784, 2) and 0.3 < field.std() < 2.0
    step = np.abs(np.diff(field.reshape(50, 28, 28, 2), axis=1)).max()
    assert step < 1.0  # smooth: neighbouring pixels move together
    out = augment(x, rng, SLOPPY)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1


def test_the_classic_recipe_draws_no_more_random_numbers_than_before():
    """The shipped MLP's recipe must stay reproducible: the sloppy options are off by default and
    then take nothing from the generator."""
    cfg = AugmentConfig()
    assert cfg.elastic == cfg.gaps == cfg.specks == 0
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    augment(digits(4), a, cfg)
    random_affine(random_stroke_weight(digits(4), b, cfg), b, cfg)
    assert a.random() == b.random()
