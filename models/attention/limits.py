"""The shapes this app builds a transformer of (no imports: the command line reads these before
it loads NumPy). Far beyond what trains in minutes on a CPU, well below what would exhaust memory
or a classroom's patience: a larger request is a typo, not a plan."""

LIMITS = {  # field of GPTConfig -> (least, most)
    "vocab_size": (2, 1024),
    "block_size": (1, 256),
    "n_layer": (1, 48),
    "n_head": (1, 64),
    "n_embd": (1, 2048),
}
MAX_PARAMS = 50_000_000  # 200 MB of float32 weights; training needs about seven times that
