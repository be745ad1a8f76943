"""Not a dense network: an LSTM."""
import keras

model = keras.Sequential([keras.Input(shape=(10, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
