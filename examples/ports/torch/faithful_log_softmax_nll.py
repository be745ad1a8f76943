"""The older PyTorch idiom: LogSoftmax at the end of the model and NLLLoss, the same cross-entropy as
CrossEntropyLoss on the logits; trained in float64 with RMSprop."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 7), nn.Sigmoid(), nn.Linear(7, 4), nn.LogSoftmax(dim=1)).double()
criterion = nn.NLLLoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.005)


def training_step(inputs, targets):
    optimizer.zero_grad()
    log_probs = model(inputs)
    loss = criterion(log_probs, targets)
    loss.backward()
    optimizer.step()
    return loss.item()
