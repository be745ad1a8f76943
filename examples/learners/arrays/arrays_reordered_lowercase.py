"""MNIST digits from scratch, 784-10-10, separate arrays; correct, with lower-case names and reordered arguments and
returns.
"""

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from mnist_helpers import ReLU, ReLU_deriv, one_hot, softmax

data = pd.read_csv("/kaggle/input/digit-recognizer/train.csv")
data = np.array(data)
m, n = data.shape
np.random.shuffle(data)

train = data.T
y_train = train[0]
x_train = train[1:n] / 255.0


def init_params():
    w1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    w2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return w1, b1, w2, b2


def forward_prop(x, w1, b1, w2, b2):
    z1 = w1.dot(x) + b1
    a1 = ReLU(z1)
    z2 = w2.dot(a1) + b2
    a2 = softmax(z2)
    return z1, a1, z2, a2


def backward_prop(x, y, w2, z1, a1, a2):
    m = x.shape[1]
    dz2 = a2 - one_hot(y)
    dw2 = dz2.dot(a1.T) / m
    db2 = np.sum(dz2, axis=1, keepdims=True) / m
    dz1 = w2.T.dot(dz2) * ReLU_deriv(z1)
    dw1 = dz1.dot(x.T) / m
    db1 = np.sum(dz1, axis=1, keepdims=True) / m
    return dw2, db2, dw1, db1


def update_params(w1, b1, w2, b2, dw1, db1, dw2, db2, lr):
    w1 = w1 - lr * dw1
    b1 = b1 - lr * db1
    w2 = w2 - lr * dw2
    b2 = b2 - lr * db2
    return w1, b1, w2, b2


def get_predictions(a2):
    return np.argmax(a2, axis=0)


def get_accuracy(predictions, y):
    return np.mean(predictions == y)


def gradient_descent(x, y, lr, iterations):
    w1, b1, w2, b2 = init_params()
    for i in range(iterations):
        z1, a1, z2, a2 = forward_prop(x, w1, b1, w2, b2)
        dw2, db2, dw1, db1 = backward_prop(x, y, w2, z1, a1, a2)
        w1, b1, w2, b2 = update_params(w1, b1, w2, b2, dw1, db1, dw2, db2, lr)
        if i % 50 == 0:
            print(i, get_accuracy(get_predictions(a2), y))
    return w1, b1, w2, b2


w1, b1, w2, b2 = gradient_descent(x_train, y_train, 0.1, 500)

plt.imshow(x_train[:, 3].reshape(28, 28), cmap="gray")
plt.title("label " + str(y_train[3]))
plt.show()
