"""Character bigrams: the 27x27 count model and the same model learned by gradient descent."""
