"""The walkthrough follows a text through the whole transformer from the model's own forward
pass: stage after stage connects, residual stages are sums, LayerNorm's numbers describe its
input, and the last stage is forward()'s distribution. Plus one-character sampling (top-k/top-p)."""
import numpy as np
import pytest

from models.attention.lab import AttentionLab, Context
from models.attention.model import GPT, GPTConfig
from models.attention.walkthrough import BLOCK_PARTS, PARTS, walkthrough
from models.core.sampling import distribution

CONFIG = GPTConfig(vocab_size=7, block_size=8, n_layer=2, n_head=2, n_embd=8, seed=3)


def model_with_weights(seed=0, causal=True):
    model = GPT(CONFIG, ".abcdef")
    rng = np.random.default_rng(seed)
    for flat in model.flat_params.values():
        flat[...] = rng.standard_normal(flat.shape) * 0.4
    model.causal = causal
    return model


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("causal", [True, False])
def test_the_last_stage_is_forwards_distribution(causal):
    model, ids = model_with_weights(causal=causal), np.array([0, 3, 1, 4, 4])
    stages = walkthrough(model, ids)
    logits, _ = model.forward(ids[None])
    np.testing.assert_allclose(stages[-1].outputs["p(next character)"], softmax(logits[0].astype(float)), atol=1e-6)
    np.testing.assert_allclose(stages[-2].outputs["logits"], logits[0], atol=1e-6)
    assert [s.part for s in stages] == ["embed", *BLOCK_PARTS * 2, "ln_f", "unembed", "softmax"]
    assert set(PARTS) == {s.part for s in stages}


def test_residual_stages_are_the_sums_of_their_inputs_and_stages_connect():
    stages = walkthrough(model_with_weights(1), np.array([0, 1, 2, 3, 4, 5, 6]))
    for s in stages:
        if s.part in ("add1", "add2"):
            a, b = s.inputs.values()
            np.testing.assert_allclose(next(iter(s.outputs.values())), a + b, rtol=1e-6, atol=1e-6)
    out = lambda s, i=0: list(s.outputs.values())[i]  # noqa: E731
    by = {(s.part, s.layer): s for s in stages}
    np.testing.assert_array_equal(by["ln1", 0].inputs["x"], out(by["embed", None]))
    np.testing.assert_array_equal(by["add1", 0].inputs["a"], out(by["proj", 0]))
    np.testing.assert_array_equal(by["gelu", 1].inputs["h"], out(by["fc", 1]))
    np.testing.assert_array_equal(by["ln1", 1].inputs["x"], out(by["add2", 0]))
    np.testing.assert_array_equal(by["ln_f", None].inputs["x"], out(by["add2", 1]))
    emb = by["embed", None]
    np.testing.assert_allclose(out(emb), sum(emb.inputs.values()), rtol=1e-6)


def test_layer_norm_shows_the_mean_and_std_of_its_input():
    stages = walkthrough(model_with_weights(2), np.array([0, 2, 2, 5]))
    norms = [s for s in stages if s.part in ("ln1", "ln2", "ln_f")]
    assert len(norms) == 5
    for s in norms:
        x = s.inputs["x"]
        np.testing.assert_allclose(s.numbers["mean"], x.mean(axis=1), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s.numbers["std"], np.sqrt(x.var(axis=1) + 1e-5), rtol=1e-5)
        xhat, y = s.outputs.values()
        np.testing.assert_allclose(xhat, (x - x.mean(1, keepdims=True)) / s.numbers["std"][:, None], atol=1e-5)
        np.testing.assert_allclose(y, s.inputs["γ (scale)"] * xhat + s.inputs["β (shift)"], atol=1e-5)


def test_the_heads_stage_holds_each_heads_weights_and_their_outputs_side_by_side():
    model = model_with_weights(3)
    stages = walkthrough(model, np.array([0, 1, 2]))
    heads = next(s for s in stages if s.part == "heads" and s.layer == 1)
    v = next(s for s in stages if s.part == "qkv" and s.layer == 1).outputs["v (what it passes on)"]  # (T, 8)
    assert heads.weights.shape == (2, 3, 3) and np.allclose(heads.weights.sum(-1), 1)
    assert np.all(heads.weights[:, 0, 1:] == 0)  # causal: position 0 sees only itself
    expected = np.concatenate([heads.weights[h] @ v[:, 4 * h:4 * h + 4] for h in range(2)], axis=1)
    np.testing.assert_allclose(heads.outputs["heads side by side"], expected, atol=1e-6)


def test_walkthrough_leaves_the_training_mode_alone():
    model = model_with_weights()
    model.training = True
    walkthrough(model, np.array([0, 1]))
    assert model.training


def test_top_p_keeps_the_likeliest_tokens_holding_that_share():
    p = distribution(np.log([[0.5, 0.3, 0.15, 0.05]]), top_p=0.7)
    np.testing.assert_allclose(p, [[0.5 / 0.8, 0.3 / 0.8, 0, 0]])
    p = distribution(np.log([[0.5, 0.3, 0.15, 0.05]]), top_p=0.01)
    np.testing.assert_allclose(p, [[1, 0, 0, 0]])  # the likeliest always stays
    p = distribution(np.log([[0.5, 0.3, 0.15, 0.05]]), top_k=3, top_p=0.99)
    assert p[0, 3] == 0 and p.sum() == pytest.approx(1)


def test_next_character_follows_the_filtered_distribution():
    model = model_with_weights(4)
    lab = AttentionLab("names", model.itos)
    ctx = Context(np.array([0, 1]), [".", "a"], 1)
    rng = np.random.default_rng(0)
    with_k1 = {lab.next_character(model, ctx, 1.0, 1, None, rng) for _ in range(20)}
    view = lab.inspect(model, ctx, top_k=1)
    assert with_k1 == {int(view.probs[-1].argmax())}
    drawn = [lab.next_character(model, ctx, 1.0, None, None, rng) for _ in range(400)]
    assert len(set(drawn)) > 2
