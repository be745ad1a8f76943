"""A training step that fails: it gives the loss float targets shaped (m, 1) where CrossEntropyLoss wants one
class index per sample."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y.float().unsqueeze(1))
    loss.backward()
    optimizer.step()
