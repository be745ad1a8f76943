"""A framework model as its user wrote it (``python -m parity check model.py``), checked against the reference.

The user's file is loaded on a copy of its statements (``loading``): what builds the model, its loss and its
optimizer runs; training, data loading and plotting are skipped and listed. The model is read from the user's
objects (``torch_model``: the layers, activations, loss and optimizer with every hyper-parameter, and the initial
weights), the reference starts from those weights, and the user's own objects take each step, the user's own
training step where the file has one, step-locally from the reference's state. ``checker`` compares every
quantity, finds the first divergence and names its cause: a documented convention with the setting that removes
it, or a likely bug in the user's words, with the line where the object was built (``diagnoses``).
"""
