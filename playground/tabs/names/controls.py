"""The Names tab's hyperparameter forms and their translation to model and training configs."""
from __future__ import annotations

from dataclasses import replace

from models.names.model import MAX_LAYERS, PRESETS, NamesConfig
from models.names.train import RECIPES, NamesTrainConfig
from playground.widgets.controls import BoolField, ChoiceField, FloatField, IntField

PRESET_CHOICES = ("mlp", "batchnorm", "wavenet", "custom")
STRUCTURES = ("flat", "wavenet")
DECAY_CHOICES = ("0.5", "0.5, 0.8", "0.75", "never")
# The init knobs as the lecture writes them; the first of each is the models' default.
GAINS = {"5/3": 5 / 3, "1": 1.0, "3": 3.0, "0.5": 0.5, "0": 0.0}
OUT_SCALES = {"0.1/√n": None, "0.01": 0.01, "1": 1.0}
BIAS_SCALES = {"0": 0.0, "0.01": 0.01, "1": 1.0}
PRESET_TIPS = {
    "mlp": "Bengio et al. 2003: the last 3 characters, each a 10-number embedding, concatenated into "
           "one tanh layer of 200 neurons",
    "batchnorm": "The same MLP with batch normalisation before the tanh",
    "wavenet": "WaveNet-style tree: 8 characters fused in pairs over 3 layers of 128 neurons, batch norm",
}

MODEL_FIELDS = [
    ChoiceField("preset", "Preset", PRESET_CHOICES, "mlp",
                tooltip="The three lecture models (loads their trained weights); editing a size "
                        "below makes a custom, untrained model. " + " · ".join(
                            f"{k}: {v}" for k, v in PRESET_TIPS.items())),
    ChoiceField("structure", "Structure", STRUCTURES, "flat",
                tooltip="flat: concatenate the whole context into a stack of hidden layers (Bengio 2003). "
                        "wavenet: fuse neighbouring pairs, layer by layer (context must be a power of 2)"),
    IntField("n_layers", "Hidden layers", 1, 1, MAX_LAYERS,
             tooltip="Linear(-BatchNorm)-Tanh blocks of the flat model, 1 to 6 (the lecture's deep "
                     "stack has 5). The WaveNet's depth is set by its context: log2(context)"),
    IntField("block_size", "Context length", 3, 1, 32,
             tooltip="How many previous characters the model sees"),
    IntField("n_embd", "Embedding size", 10, 1, 128,
             tooltip="Numbers per character in the lookup table C"),
    IntField("n_hidden", "Hidden size", 200, 1, 1024, tooltip="Neurons per hidden tanh layer"),
    BoolField("batchnorm", "Batch norm", False,
              tooltip="Normalise each hidden layer's inputs over the batch before the tanh "
                      "(Ioffe & Szegedy 2015): keeps the tanh out of saturation"),
    ChoiceField("gain", "Hidden gain", tuple(GAINS), "5/3",
                tooltip="Hidden weights ~ N(0, 1) × gain / √fan-in. 5/3 (Kaiming for tanh) keeps the "
                        "spread of activations layer after layer; 1 and 0.5 let it shrink (0.5: the gradients "
                        "too, layer by layer), 3 saturates the tanh, 0 makes every neuron the same"),
    ChoiceField("out_scale", "Output scale", tuple(OUT_SCALES), "0.1/√n",
                tooltip="Output weights ~ N(0, 1) × this. Small (0.1/√n or 0.01) starts near a "
                        "uniform guess, loss ≈ −log(1/vocab) = 3.30; 1 is confidently wrong (loss ~20+)"),
    ChoiceField("bias_init", "Bias scale", tuple(BIAS_SCALES), "0",
                tooltip="Biases ~ N(0, 1) × this. 0 (zeros) is the fix; 1 is the lecture's first, "
                        "confidently wrong start"),
]

TRAIN_FIELDS = [
    IntField("steps", "Steps", 200_000, 1, 5_000_000, tooltip="Minibatch steps per run"),
    IntField("batch_size", "Batch size", 32, 1, 4096, tooltip="Examples per step"),
    FloatField("lr", "Learning rate", 0.1, 1e-5, 10.0, decimals=5,
               tooltip="Step size at the start (the LR finder page suggests one)"),
    FloatField("decay_factor", "Decay factor", 0.1, 0.001, 1.0, decimals=3,
               tooltip="The learning rate is multiplied by this at each decay point (1 = no decay)"),
    ChoiceField("decay_at", "Decay at", DECAY_CHOICES, "0.5",
                tooltip="Where, as fractions of the steps, the rate is multiplied by the decay factor: "
                        "0.5 = half way (the lectures); 0.5, 0.8 = twice; never = a constant rate"),
    ChoiceField("optimizer", "Optimizer", ("sgd", "adam"), "sgd",
                tooltip="sgd: plain gradient descent (the lectures). adam: per-weight step sizes "
                        "(try a learning rate of 0.001-0.01)"),
    FloatField("weight_decay", "Weight decay", 0.0, 0.0, 0.1, decimals=5,
               tooltip="L2 penalty: every step also shrinks each weight by learning rate × this. A "
                       "little (1e-4) keeps a big model from memorising the training names"),
    IntField("seed", "Seed", 42, 0, 2_147_483_647,
             tooltip="Initial weights and minibatch order: the same seed gives the same run"),
]


def _key(table: dict, value) -> str:
    """The choice whose value is `value` (a float within rounding), else the first."""
    for k, v in table.items():
        if v == value or (v is not None and value is not None and abs(v - value) < 1e-9):
            return k
    return next(iter(table))


def model_values(config: NamesConfig) -> dict:
    """Form values describing a model config (preset named when it is one)."""
    values = {"structure": "wavenet" if config.wavenet else "flat", "n_layers": config.n_layers,
              "block_size": config.block_size, "n_embd": config.n_embd, "n_hidden": config.n_hidden,
              "batchnorm": config.batchnorm, "gain": _key(GAINS, config.gain),
              "out_scale": _key(OUT_SCALES, config.out_scale), "bias_init": _key(BIAS_SCALES, config.bias_init)}
    values["preset"] = next((p for p in PRESETS if replace(PRESETS[p], vocab_size=config.vocab_size) == config),
                            "custom")
    return values


def preset_model_values(preset: str) -> dict:
    return {k: v for k, v in model_values(PRESETS[preset]).items() if k != "preset"}


def preset_train_values(preset: str) -> dict:
    r = RECIPES[preset]
    return {"steps": r.steps, "batch_size": r.batch_size, "lr": r.lr, "decay_factor": r.decay_factor,
            "decay_at": decay_text(r.decay_at), "optimizer": r.optimizer, "weight_decay": r.weight_decay}


def decay_text(points) -> str:
    return ", ".join(f"{p:g}" for p in points) or "never"


def decay_points(text: str) -> tuple:
    return () if text == "never" else tuple(float(p) for p in text.split(","))


def model_config(values: dict, vocab_size: int) -> NamesConfig:
    """A validated NamesConfig from the form (ValueError with a message otherwise)."""
    config = NamesConfig(vocab_size=vocab_size, block_size=int(values["block_size"]), n_embd=int(values["n_embd"]),
                         n_hidden=int(values["n_hidden"]), batchnorm=bool(values["batchnorm"]),
                         wavenet=values["structure"] == "wavenet", n_layers=int(values["n_layers"]),
                         gain=GAINS[values["gain"]], out_scale=OUT_SCALES[values["out_scale"]],
                         bias_init=BIAS_SCALES[values["bias_init"]])
    config.validate()
    return config


def train_config(values: dict, eval_every: int | None = None) -> NamesTrainConfig:
    steps = int(values["steps"])
    config = NamesTrainConfig(steps=steps, batch_size=int(values["batch_size"]), lr=float(values["lr"]),
                              decay_factor=float(values["decay_factor"]), decay_at=decay_points(values["decay_at"]),
                              optimizer=values["optimizer"], weight_decay=float(values["weight_decay"]),
                              seed=int(values["seed"]), eval_every=eval_every or max(200, steps // 50))
    config.validate()
    return config
