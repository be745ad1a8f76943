"""A softmax over the wrong axis: F.softmax(x, dim=0) normalises each unit over the samples."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, n_in=6, n_hidden=5, n_out=4):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        h = torch.tanh(self.hidden(x))
        return F.softmax(self.out(h), dim=0)


model = Classifier()
loss_fn = nn.MSELoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)
