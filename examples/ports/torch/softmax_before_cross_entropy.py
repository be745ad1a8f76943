"""The classic port slip: a Softmax at the end of the model, kept from a Keras model that ended in
Dense(3, activation="softmax"), while CrossEntropyLoss applies log-softmax itself."""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(4, 8),
    nn.Tanh(),
    nn.Linear(8, 3),
    nn.Softmax(dim=1),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

for _ in range(10):
    optimizer.zero_grad()
    loss = criterion(model(torch.randn(16, 4)), torch.randint(0, 3, (16,)))
    loss.backward()
    optimizer.step()
