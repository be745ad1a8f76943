"""from_logits=True on a model that already ends in a softmax: the loss applies a second softmax."""
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(6, activation="relu"),
                          layers.Dense(4, activation="softmax")])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
