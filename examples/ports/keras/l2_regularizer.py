"""The course's L2 in Keras: kernel_regularizer=L2(l2) on every Dense; Keras adds l2 sum W^2 to the loss."""
import keras
from keras import layers, regularizers

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(6, activation="relu", kernel_regularizer=regularizers.L2(0.01)),
    layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizers.L2(0.01)),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
