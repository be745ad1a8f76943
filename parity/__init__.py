"""nn-parity's harness: the reference network checked against PyTorch and Keras (see the README)."""
