"""The Keras getting-started classifier: Sequential Dense layers, a softmax output, categorical cross-entropy,
SGD with momentum."""
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(8, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
              metrics=["accuracy"])

if __name__ == "__main__":
    import numpy as np

    model.fit(np.random.rand(64, 4), keras.utils.to_categorical(np.random.randint(0, 3, 64)), epochs=5)
