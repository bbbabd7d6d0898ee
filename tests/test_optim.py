import numpy as np

from models.core.gradcheck import max_relative_error, numerical_grad
from models.core.optim import SGD, Adam, AdamW


def test_sgd_with_momentum_matches_the_textbook_update():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    opt = SGD([p], [g], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    # v1 = g, v2 = 0.9 g + g; p = p0 - 0.1 (v1 + v2)
    np.testing.assert_allclose(p, np.array([1.0, -2.0]) - 0.1 * (g + 1.9 * g))


def test_adam_first_step_moves_each_weight_by_lr():
    p, g = np.array([1.0, -2.0, 3.0]), np.array([0.3, -4.0, 1e-3])
    Adam([p], [g], lr=0.01).step()
    np.testing.assert_allclose(p, [0.99, -1.99, 2.99], atol=1e-6)


def test_adamw_decay_is_decoupled_and_masked():
    w, b = np.ones(2), np.ones(2)
    opt = AdamW([w, b], [np.zeros(2), np.zeros(2)], lr=0.1, weight_decay=0.5, decay_mask=[True, False])
    opt.step()
    np.testing.assert_allclose(w, 0.95)
    np.testing.assert_allclose(b, 1.0)


def test_adam_minimises_a_quadratic():
    x, g = np.array([3.0, -5.0]), np.zeros(2)
    opt = Adam([x], [g], lr=0.1)
    for _ in range(500):
        g[:] = 2 * x
        opt.step()
    assert np.abs(x).max() < 1e-2


def test_numerical_grad_of_a_known_function():
    x = np.array([0.5, -1.5, 2.0])
    num = numerical_grad(lambda: float(np.sum(x ** 3)), x)
    assert max_relative_error(3 * x ** 2, num) < 1e-7
    np.testing.assert_array_equal(x, [0.5, -1.5, 2.0])  # restored


def test_in_place_adam_keeps_scaled_moments_and_takes_the_plain_steps():
    # gradients near eps (where its folding into the scaled moments shows) and a changing rate
    rng = np.random.default_rng(3)
    p1 = [rng.standard_normal(40), rng.standard_normal(5)]
    p2 = [p.copy() for p in p1]
    g1, g2 = [np.zeros_like(p) for p in p1], [np.zeros_like(p) for p in p1]
    ref = AdamW(p1, g1, lr=1e-2, weight_decay=0.1, decay_mask=[True, False])
    fused = AdamW(p2, g2, lr=1e-2, weight_decay=0.1, decay_mask=[True, False], in_place=True)
    for step in range(30):
        for a, b in zip(g1, g2):
            a[...] = b[...] = rng.standard_normal(a.shape) * 10.0 ** rng.integers(-9, 1, a.shape)
        ref.lr = fused.lr = 1e-2 / (step + 1)
        ref.step()
        fused.step()
    for a, b in zip(p1, p2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    b1, b2 = fused.betas
    np.testing.assert_allclose(fused.m[0] * (1 - b1), ref.m[0], rtol=1e-10, atol=1e-20)
    np.testing.assert_allclose(fused.v[0] * (1 - b2), ref.v[0], rtol=1e-10, atol=1e-30)
