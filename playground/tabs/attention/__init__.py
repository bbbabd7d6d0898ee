"""The Attention tab: train a character transformer and read every head and stage."""
