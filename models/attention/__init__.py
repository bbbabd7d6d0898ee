"""A small character transformer (GPT): layers, model, training, the sort task and the lab
that the Attention tab drives."""
