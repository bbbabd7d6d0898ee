"""Headless sub-commands, one module per model: each defines register(train, evaluate), adding
its parsers to the `playground train` and `playground eval` sub-parser groups."""
