"""A functional binary classifier with Keras's Adam: correct, and the one place Keras's numbers differ from the
paper's Adam (epsilon added to sqrt(v) before the bias correction, "epsilon hat")."""
import keras

inputs = keras.Input(shape=(6,))
hidden = keras.layers.Dense(5, activation="tanh")(inputs)
hidden = keras.layers.Dense(4)(hidden)
hidden = keras.layers.LeakyReLU(negative_slope=0.01)(hidden)
outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-3), loss="binary_crossentropy")
