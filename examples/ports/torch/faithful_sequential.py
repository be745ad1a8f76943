"""A small classifier as the PyTorch tutorials write it: nn.Sequential, CrossEntropyLoss on the logits, SGD."""
import torch
from torch import nn

torch.manual_seed(0)

model = nn.Sequential(
    nn.Linear(4, 8),
    nn.ReLU(),
    nn.Linear(8, 3),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(model, x, y, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


if __name__ == "__main__":
    X = torch.randn(64, 4)
    Y = torch.randint(0, 3, (64,))
    for epoch in range(100):
        print(epoch, train_step(model, X, Y, loss_fn, optimizer))
