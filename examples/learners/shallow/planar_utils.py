"""Helpers for the planar data assignment: the sigmoid and the flower data set loader."""

import numpy as np


def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s


def load_planar_dataset():
    data = np.load("data/planar.npz")
    X = data["X"]  # (2, 400)
    Y = data["Y"]  # (1, 400)
    return X, Y
