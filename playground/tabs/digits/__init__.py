"""The Digits tab: a canvas to draw on, what the net sees, and training the MNIST nets."""
