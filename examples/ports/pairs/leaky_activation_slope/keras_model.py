"""Its port with Dense(activation="leaky_relu"): keras.activations.leaky_relu's default slope is 0.2."""
import keras

model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(6, activation="leaky_relu"),
                          keras.layers.Dense(2)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.5), loss="mean_squared_error")
