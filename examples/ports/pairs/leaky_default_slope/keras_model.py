"""Its port to Keras with layers.LeakyReLU() at Keras's default slope, 0.3: the two networks are not the same."""
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5), layers.LeakyReLU(), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
