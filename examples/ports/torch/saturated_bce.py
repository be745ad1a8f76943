"""A binary classifier in float64 whose output bias was set far out by hand (a "prior" of almost certainly 0), so
that its sigmoid is about 1e-48: BCELoss's clamp of log at -100 and its floor under p (1 - p) are what it computes."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid()).double()
nn.init.constant_(model[2].bias, -110.0)
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
