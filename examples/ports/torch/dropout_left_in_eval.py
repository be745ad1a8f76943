"""The model is put in eval mode to look at its untrained predictions, and the training step never puts it back:
its dropout layers drop nothing while it trains."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Dropout(0.5), nn.Linear(12, 3))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

model.eval()
with torch.no_grad():
    print(model(torch.randn(2, 4)).softmax(dim=1))


def train_step(x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
