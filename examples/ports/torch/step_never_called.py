"""A training step that computes the gradients and forgets optimizer.step(): the weights never move."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)


def train_step(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()
