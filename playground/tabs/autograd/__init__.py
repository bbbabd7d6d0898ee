"""The Autograd tab: an expression's Value graph stepped through backprop, and a tiny MLP page."""
