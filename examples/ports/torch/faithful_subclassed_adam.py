"""A binary classifier written as a subclass with nn.LeakyReLU(0.2), BCEWithLogitsLoss on the logits, Adam, and a
loop that zeroes the gradients after the step (as valid as before)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.layer1 = nn.Linear(n_features, 16)
        self.act1 = nn.LeakyReLU(0.2)
        self.layer2 = nn.Linear(16, 8)
        self.act2 = nn.ReLU(inplace=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        x = self.act1(self.layer1(x))
        x = self.act2(self.layer2(x))
        return self.head(x)


model = Model(n_features=10)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def train_step(model, x, y):
    logits = model(x)
    loss = loss_fn(logits, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss
