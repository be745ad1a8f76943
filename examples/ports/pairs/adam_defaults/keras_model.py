"""Its Keras port with keras.optimizers.Adam at its defaults: epsilon 1e-7, and Keras's epsilon is epsilon-hat."""
import keras

model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
