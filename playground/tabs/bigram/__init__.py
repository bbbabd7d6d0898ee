"""The Bigram tab: the count matrix, sampling and NLL, and the neural bigram."""
