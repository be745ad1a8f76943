"""An optimizer the reference does not have."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
