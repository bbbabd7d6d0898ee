"""Character bigrams: the count model (counts.py), the same model learned by gradient descent
(neural.py) and its training (train.py: train() and snapshot())."""
