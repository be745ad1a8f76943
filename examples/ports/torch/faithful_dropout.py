"""Dropout as PyTorch users write it: nn.Dropout(p=0.2) after each hidden activation, model.train() in the step."""
import torch
from torch import nn

model = nn.Sequential(
    nn.Linear(6, 10), nn.ReLU(), nn.Dropout(p=0.2),
    nn.Linear(10, 8), nn.ReLU(), nn.Dropout(p=0.2),
    nn.Linear(8, 1), nn.Sigmoid(),
)
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(x, y):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
