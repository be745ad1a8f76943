"""The Keras side of a faithful port: the same network, its softmax in the last Dense, categorical cross-entropy,
SGD with momentum (Keras's velocity form gives torch's iterates at a constant rate)."""
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                          layers.Dense(3, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="categorical_crossentropy")
