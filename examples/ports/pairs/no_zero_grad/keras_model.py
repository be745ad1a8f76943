"""The Keras original: RMSprop at rho 0.9 and epsilon 1e-7 (its defaults), mean squared error on a softmax."""
import keras

model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(6, activation="sigmoid"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse")
