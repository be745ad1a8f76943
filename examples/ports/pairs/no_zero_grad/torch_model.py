"""A port from Keras whose PyTorch training loop forgets optimizer.zero_grad() (Keras's fit has no such step)."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(5, 6), nn.Sigmoid(), nn.Linear(6, 2), nn.Softmax(dim=1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, eps=1e-7)


def train_step(model, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
