"""Decoupled weight decay in Keras: AdamW with the biases excluded, as the course decays only the weights."""
import keras

model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(2)])
optimizer = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
optimizer.exclude_from_weight_decay(var_names=["bias"])
model.compile(optimizer=optimizer, loss="mse")
