"""torch.optim.Adam with weight_decay on the weights' group: coupled decay, wd W added to the gradient before Adam's
moments see it (the course's L2)."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
weights = [model[0].weight, model[2].weight]
biases = [model[0].bias, model[2].bias]
optimizer = torch.optim.Adam([{"params": weights, "weight_decay": 0.1}, {"params": biases, "weight_decay": 0.0}],
                             lr=0.01, eps=1e-7)
loss_fn = nn.MSELoss()
