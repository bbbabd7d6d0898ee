"""The character transformer: attention is causal and normalised, every backward matches finite
differences, the optimiser and the data layout are makemore's, training yields the typed report."""
import math

import numpy as np
import pytest

import models.attention.model as transformer
import models.attention.layers as layers
from models.attention.data import names_data, row_sampler, word_examples
from models.attention.model import GPT, GPTConfig, cross_entropy
from models.attention.train import AttentionTrainConfig, TrainData, WeightAverage, evaluate_loss, snapshot, train
from models.core.gradcheck import numerical_grad
from models.core.layers import Layer
from models.core.optim import AdamW
from models.core.sampling import generate, next_token_probs
from models.core.training import Report

SMALL = GPTConfig(vocab_size=7, block_size=6, n_layer=2, n_head=2, n_embd=8, seed=1)


@pytest.fixture
def float64(monkeypatch):
    """Run the model in float64 so central differences are exact enough to compare with."""
    monkeypatch.setattr(layers, "DTYPE", np.float64)
    monkeypatch.setattr(transformer, "DTYPE", np.float64)


def scaled_error(analytic, numeric):
    """Largest difference over the probed entries, relative to the largest gradient entry (entries
    that are mathematically zero, like the key bias, make plain relative errors meaningless)."""
    mask = ~np.isnan(numeric)
    return float(np.abs(analytic[mask] - numeric[mask]).max() / max(np.abs(numeric[mask]).max(), 1e-12))


def random_model(config=SMALL, seed=0):
    model = GPT(config)
    rng = np.random.default_rng(seed)
    for flat in model.flat_params.values():  # away from the initial point: LN gains, biases too
        flat[...] = rng.standard_normal(flat.shape) * 0.3
    return model


def test_attention_rows_sum_to_one_and_are_zero_above_the_diagonal():
    model = GPT(GPTConfig())
    idx = np.random.default_rng(0).integers(0, 27, (3, 16))
    model.forward(idx)
    maps = model.attention()
    assert len(maps) == 4 and maps[0].shape == (3, 4, 16, 16)
    for att in maps:
        np.testing.assert_allclose(att.sum(axis=-1), 1.0, rtol=1e-5)
        assert np.all(att[..., np.triu_indices(16, 1)[0], np.triu_indices(16, 1)[1]] == 0.0)
        assert np.all(np.diagonal(att, axis1=2, axis2=3) > 0)


def test_mask_off_lets_positions_see_the_future():
    model = random_model()
    model.causal = False
    model.forward(np.array([[1, 2, 3, 4]]))
    upper = model.attention()[0][0][:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]]
    assert np.all(upper > 0)


@pytest.mark.parametrize("causal, changes_earlier", [(True, False), (False, True)])
def test_causality_changing_a_later_token_leaves_earlier_outputs(causal, changes_earlier):
    model = random_model()
    model.causal = causal
    a = np.array([[1, 2, 3, 4, 5, 6]])
    b = a.copy()
    b[0, 4] = 0
    la, _ = model.forward(a)
    lb, _ = model.forward(b)
    assert np.allclose(la[0, :4], lb[0, :4]) != changes_earlier
    assert not np.allclose(la[0, 4:], lb[0, 4:])


@pytest.mark.parametrize("temperature", [0.05, 0.3, 1.0, 10.0])
def test_any_attention_temperature_is_safe(temperature):
    model = random_model()
    model.attention_temperature = temperature
    logits, loss = model.forward(np.array([[0, 1, 2, 3, 4, 5]]) % 7, np.array([[1, 2, 3, 4, 5, 6]]))
    assert np.all(np.isfinite(logits)) and math.isfinite(loss)
    att = model.attention()[1][0]
    np.testing.assert_allclose(att.sum(axis=-1), 1.0, rtol=1e-5)


def test_low_attention_temperature_sharpens_and_high_flattens():
    model = random_model(seed=1)
    idx = np.array([[1, 2, 3, 4, 5, 6]])
    peaks = []
    for temperature in (0.05, 1.0, 10.0):
        model.attention_temperature = temperature
        model.forward(idx)
        peaks.append(model.attention()[0][0, :, -1].max())  # the last query's largest weight
    assert peaks[0] > peaks[1] > peaks[2]
    assert peaks[0] > 0.9 and peaks[2] < 0.3  # 1/6 would be uniform


@pytest.mark.parametrize("causal", [True, False])
def test_head_details_recompute_the_attention_step_by_step(causal):
    model = random_model()
    model.causal, model.attention_temperature = causal, 0.7
    idx = np.array([[1, 2, 3, 4, 5]])
    model.forward(idx)
    d = model.head_details(layer=1, head=1)
    z = d["masked"] - d["masked"].max(axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), d["weights"], atol=1e-6)
    np.testing.assert_allclose(d["weights"], model.attention()[1][0, 1], atol=1e-7)
    assert d["scale"] == pytest.approx(1 / (np.sqrt(4) * 0.7))
    assert np.isneginf(d["masked"][0, 1]) == causal
    # the heads' outputs, side by side, are what the output projection read in the forward
    y = np.concatenate([model.head_details(1, h)["out"] for h in range(2)], axis=1)  # (T, C)
    np.testing.assert_allclose(y, model.blocks[1].attn.proj.x, rtol=1e-5, atol=1e-6)


def test_erf_matches_the_library_function():
    x = np.linspace(-6, 6, 2001)
    exact = np.array([math.erf(v) for v in x])
    assert np.abs(layers.erf(x) - exact).max() < 2e-7


def test_gelu_is_the_exact_erf_gelu_with_its_derivative():
    x = np.linspace(-7, 7, 1001).astype(np.float32)[None, :]
    gelu = layers.GELU()
    y = gelu.forward(x).copy()
    ref = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x[0].astype(float)])
    dref = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
                     for v in x[0].astype(float)])
    assert np.abs(y[0] - ref).max() < 1e-6
    assert np.abs(gelu.grad[0] - dref).max() < 1e-6


def check_layer(layer, x, forward, tol=1e-6):
    """Backward of `forward(x)` against central differences, for x and every parameter."""
    rng = np.random.default_rng(5)
    weights = rng.standard_normal(forward(x).shape)
    f = lambda: float((forward(x) * weights).sum())  # noqa: E731
    forward(x)
    dx = layer.backward(weights).copy()
    assert scaled_error(dx, numerical_grad(f, x, eps=1e-6)) < tol
    for _, leaf in layer.named_leaves():
        for n in leaf.param_names:
            forward(x)
            layer.backward(weights)
            analytic = leaf.grads[n].copy()
            assert scaled_error(analytic, numerical_grad(f, getattr(leaf, n), eps=1e-6)) < tol, n


@pytest.mark.usefixtures("float64")
def test_linear_and_layernorm_backward_match_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6))
    lin = layers.Linear(6, 4, rng, std=0.5)
    lin.b[...] = rng.standard_normal(4)
    assert isinstance(lin, Layer) and set(lin.grads) == {"W", "b"}
    check_layer(lin, x, lin.forward)
    ln = layers.LayerNorm(6)
    ln.g[...], ln.b[...] = rng.standard_normal(6), rng.standard_normal(6)
    check_layer(ln, x, ln.forward)


@pytest.mark.usefixtures("float64")
def test_gelu_backward_matches_finite_differences():
    gelu = layers.GELU()
    x = np.random.default_rng(1).standard_normal((4, 9)) * 2
    check_layer(gelu, x, gelu.forward, tol=2e-6)  # the erf formula is exact to ~1e-7


@pytest.mark.usefixtures("float64")
@pytest.mark.parametrize("causal, temperature", [(True, 1.0), (True, 0.5), (False, 2.0)])
def test_attention_and_block_backward_match_finite_differences(causal, temperature):
    rng = np.random.default_rng(2)
    B, T, C = 2, 5, 8
    x = rng.standard_normal((B * T, C))
    attn = layers.CausalSelfAttention(C, 2, rng, proj_std=0.3)
    for leaf in (attn.qkv, attn.proj):
        leaf.W[...] = rng.standard_normal(leaf.W.shape) * 0.4
        leaf.b[...] = rng.standard_normal(leaf.b.shape) * 0.1
    attn.causal, attn.temperature = causal, temperature
    check_layer(attn, x, lambda v: attn.forward(v, B, T))
    block = layers.Block(C, 2, rng, proj_std=0.3)
    block.attn.causal, block.attn.temperature = causal, temperature
    check_layer(block, x, lambda v: block.forward(v, B, T), tol=1e-5)


@pytest.mark.usefixtures("float64")
@pytest.mark.parametrize("causal, dropout", [(True, 0.0), (False, 0.0), (True, 0.3)])
def test_whole_model_gradients_match_finite_differences(causal, dropout):
    model = random_model(GPTConfig(**{**SMALL.to_dict(), "dropout": dropout}))
    model.causal, model.training = causal, True
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 7, (3, 6))
    targets = rng.integers(0, 7, (3, 6))
    targets[0, 3:] = -1  # ignored positions

    def loss():
        model.reseed_dropout(0)  # the same dropout masks in every evaluation
        return model.forward(idx, targets)[1]

    loss()
    model.backward()
    for name in model.shapes():
        analytic = model.grad(name).copy()
        numeric = numerical_grad(loss, model.param(name), eps=1e-6, max_entries=25)
        assert scaled_error(analytic, numeric) < 1e-5, name


def test_dropout_only_while_training():
    model = random_model(GPTConfig(**{**SMALL.to_dict(), "dropout": 0.5}))
    idx, targets = np.array([[1, 2, 3, 4, 5, 6]]), np.array([[2, 3, 4, 5, 6, 0]])
    assert model.forward(idx, targets)[1] == model.forward(idx, targets)[1]  # off by default
    model.training = True
    assert model.forward(idx, targets)[1] != model.forward(idx, targets)[1]
    assert evaluate_loss(model, idx, targets) == pytest.approx(evaluate_loss(model, idx, targets))
    assert model.training  # evaluate_loss switched dropout off only while it measured
    drop = layers.Dropout(0.25, seed=1)
    drop.training = True
    x = np.ones((200, 50), np.float32)
    y = drop.forward(x)
    assert 0.2 < (y == 0).mean() < 0.3 and y.mean() == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(drop.backward(x) == 0, y == 0)


def test_cross_entropy_ignores_minus_one_targets():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 5)).astype(np.float32)
    targets = np.array([1, -1, 4, 0, -1, 2])
    loss, dlogits = cross_entropy(logits.copy(), targets)
    keep = targets >= 0
    p = np.exp(logits[keep]) / np.exp(logits[keep]).sum(1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(4), targets[keep]]).mean(), rel=1e-5)
    assert np.all(dlogits[~keep] == 0)
    np.testing.assert_allclose(dlogits[keep].sum(1), 0, atol=1e-6)


def test_in_place_adamw_takes_the_same_steps_as_the_plain_one():
    rng = np.random.default_rng(0)
    p1 = [rng.standard_normal(50).astype(np.float32), rng.standard_normal(7).astype(np.float32)]
    p2 = [p.copy() for p in p1]
    g1 = [np.zeros_like(p) for p in p1]
    g2 = [np.zeros_like(p) for p in p1]
    ref = AdamW(p1, g1, lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1, decay_mask=[True, False])
    fused = AdamW(p2, g2, lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1, decay_mask=[True, False], in_place=True)
    for _ in range(5):
        for a, b in zip(g1, g2):
            a[...] = b[...] = rng.standard_normal(a.shape)
        ref.step()
        fused.step()
    for a, b in zip(p1, p2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_weight_decay_only_on_matrices():
    model = GPT(SMALL)
    params, _, mask = model.param_groups()
    assert mask == [True, False]
    decayed = sum(v.size for v in model.state_dict().values() if v.ndim == 2)
    assert params[0].size == decayed and params[0].size + params[1].size == model.num_params()
    assert np.shares_memory(model.param("head.W"), params[0])


def test_word_examples_are_makemores_layout():
    X, Y = word_examples(["ab", "c"], {".": 0, "a": 1, "b": 2, "c": 3}, 4)
    assert X.tolist() == [[0, 1, 2, 0], [0, 3, 0, 0]]
    assert Y.tolist() == [[1, 2, 0, -1], [3, 0, -1, -1]]


def lengths_max(Y):
    return int((Y >= 0).sum(axis=1).max())


def test_cutting_the_padding_changes_nothing_under_the_causal_mask():
    words = ["ab", "abcdef", "c", "bad"]
    X, Y = word_examples(words, {c: i for i, c in enumerate(".abcdef")}, 10)
    ix = np.array([0, 1, 2, 3])
    x, y = row_sampler(X[ix], Y[ix])(np.random.default_rng(0), 4)
    ix = np.random.default_rng(0).integers(0, 4, 4)  # the rows the sampler drew
    assert x.shape[1] == lengths_max(Y[ix])
    model = random_model(GPTConfig(vocab_size=7, block_size=10, n_layer=1, n_head=2, n_embd=8))
    twin = GPT(model.config)
    twin.load_state_dict(model.state_dict())
    _, full = model.forward(X[ix], Y[ix])
    model.backward()
    _, cut = twin.forward(x, y)
    twin.backward()
    assert cut == pytest.approx(full, rel=1e-6)
    np.testing.assert_allclose(twin.flat_grads[True], model.flat_grads[True], rtol=1e-4, atol=1e-7)
    x8, _ = row_sampler(X, Y, bucket=2)(np.random.default_rng(0), 2)
    assert x8.shape[1] in (2, 4, 7)


def test_names_data_refuses_unknown_characters():
    with pytest.raises(ValueError, match="does not know"):
        names_data(["abc", "xyz"], itos=(".", "a", "b", "c"))


def test_training_lowers_the_loss_on_a_small_word_list():
    words = ["anna", "bob", "clara", "dave", "emma", "fred", "gina", "hugo"] * 10
    data = names_data(words)
    model = GPT(GPTConfig(vocab_size=len(data.itos), block_size=data.block_size, n_layer=1,
                          n_head=2, n_embd=16))
    before = evaluate_loss(model, *data.train)
    config = AttentionTrainConfig(steps=80, batch_size=8, lr=1e-2, warmup=5, eval_every=40, keep_at=(10, 80))
    run = train(model, TrainData(row_sampler(*data.train), lambda m: evaluate_loss(m, *data.train)), config)
    first = next(run)  # while the run goes on, a report's weights are the live parameters
    assert np.shares_memory(first.payload["weights"]["head.W"], model.param("head.W"))
    reports = [first, *run]
    assert all(isinstance(r, Report) for r in reports)
    assert [r.step for r in reports] == list(range(1, 81))
    assert reports[39].val_loss is not None and reports[38].val_loss is None
    assert reports[-1].val_loss < before - 1.0
    assert [r.lr for r in reports[:2]] == [config.lr_at(0), config.lr_at(1)]
    assert [s for s, _ in reports[-1].payload["kept"]] == [10, 80]
    copied = snapshot(reports[-1])  # what crosses threads: copies of the live weights
    name = "head.W"
    assert not np.shares_memory(copied.payload["weights"][name], model.param(name))
    np.testing.assert_array_equal(copied.payload["weights"][name], model.param(name))


def test_the_schedule_is_nanogpts_warmup_and_cosine_to_a_tenth():
    config = AttentionTrainConfig(steps=1100, lr=1e-3, warmup=100)
    assert config.lr_at(0) == pytest.approx(1e-5) and config.lr_at(99) == pytest.approx(1e-3)
    assert config.lr_at(600) == pytest.approx(0.55e-3) and config.lr_at(1099) == pytest.approx(1e-4, rel=1e-3)
    with pytest.raises(ValueError, match="Workers"):
        list(train(GPT(SMALL), TrainData(None), AttentionTrainConfig(workers=0)))


def test_weight_average_is_what_gets_evaluated_and_kept_and_the_raw_weights_train_on():
    model = GPT(SMALL)
    w0 = model.param("head.W").copy()
    average = WeightAverage(model, decay=0.5)
    model.param("head.W")[...] += 1.0
    average.update(t=0)  # decay min(0.5, 1/10) = 0.1 at first
    w1 = model.param("head.W").copy()
    with average.swapped_in():
        np.testing.assert_allclose(model.param("head.W"), 0.1 * w0 + 0.9 * w1, rtol=1e-6)
    np.testing.assert_array_equal(model.param("head.W"), w1)  # the raw weights are back

    words = ["anna", "bob", "clara", "dave", "emma"] * 4
    data = names_data(words)
    model = GPT(GPTConfig(vocab_size=len(data.itos), block_size=data.block_size, n_layer=1, n_head=2, n_embd=8))
    config = AttentionTrainConfig(steps=6, batch_size=4, lr=1e-2, warmup=1, eval_every=3, ema=0.9, workers=1)
    data = TrainData(row_sampler(*data.train), lambda m: float(m.param("head.W").sum()))
    for report in train(model, data, config):
        if report.val_loss is not None:  # while the report is out, the model holds what was evaluated
            assert report.val_loss == pytest.approx(float(model.param("head.W").sum()), rel=1e-5)
    # the run ends holding the average (what the last validation measured), ready to save
    assert float(model.param("head.W").sum()) == pytest.approx(report.val_loss, rel=1e-5)


def test_core_sampling_continues_each_row_with_known_tokens():
    model = random_model()
    out = generate(model, np.array([[0], [3]]), 4, rng=np.random.default_rng(0))
    assert out.shape == (2, 5) and out.min() >= 0 and out.max() < 7
    greedy = generate(model, np.array([[0]]), 3, greedy=True)
    assert np.array_equal(greedy, generate(model, np.array([[0]]), 3, greedy=True))
    p = next_token_probs(model, np.array([[0, 1]]), temperature=0.5, top_k=2)
    assert p.shape == (1, 7) and p.sum() == pytest.approx(1.0) and (p > 0).sum() == 2
    model.train(True)
    generate(model, np.array([[0]]), 2)
    assert model.training  # sampling ran without dropout and left the mode as it was


def test_context_longer_than_the_block_is_refused():
    with pytest.raises(ValueError, match="block_size"):
        GPT(SMALL).forward(np.zeros((1, 7), dtype=int))
