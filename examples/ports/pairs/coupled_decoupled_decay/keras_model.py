"""Its Keras port with AdamW(weight_decay=0.1), biases excluded: decoupled decay, W <- W - lr wd W beside Adam's
step, a different update from torch's Adam(weight_decay=0.1)."""
import keras

model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(2)])
optimizer = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
optimizer.exclude_from_weight_decay(var_names=["bias"])
model.compile(optimizer=optimizer, loss="mse")
