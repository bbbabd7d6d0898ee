"""MNIST digits: the IDX reader, the classifier, preprocessing of drawings, augmentation and the
synthetic stroke drawer."""
