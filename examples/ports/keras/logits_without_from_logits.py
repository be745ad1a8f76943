"""A linear last layer (the logits, as a PyTorch model would have) compiled with the default from_logits=False: the
loss reads the logits as probabilities."""
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(3)])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
              loss=keras.losses.CategoricalCrossentropy())
