"""A subclassed network with functional activations whose training loop forgets optimizer.zero_grad(): the
gradients of every step add up in .grad."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 6)
        self.fc2 = nn.Linear(6, 1)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return torch.sigmoid(self.fc2(x))


net = Net()
criterion = nn.BCELoss()
opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)


def train(net, inputs, labels):
    outputs = net(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    opt.step()
    return loss
