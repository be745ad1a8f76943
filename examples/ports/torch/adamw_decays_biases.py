"""AdamW over model.parameters(): its default weight_decay of 0.01 decays the biases too, which the course's L2
never does."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()
