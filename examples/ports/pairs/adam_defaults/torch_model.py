"""A binary classifier trained with torch.optim.Adam at its defaults (eps 1e-8, in the paper's place)."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
