"""The model comes from a helper module that is not installed here, so the file cannot build it."""
import torch
from my_project.models import build_mlp

model = build_mlp([4, 8, 1])
loss_fn = torch.nn.MSELoss()
