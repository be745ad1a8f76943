"""Weight decay as the PyTorch docs recommend it: the weights in one parameter group with weight_decay, the biases
in another without; Adam's weight_decay is coupled (wd W added to the gradient), the course's L2 with lambd = wd m."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 2))
decay = [p for name, p in model.named_parameters() if name.endswith("weight")]
no_decay = [p for name, p in model.named_parameters() if name.endswith("bias")]
optimizer = torch.optim.Adam([{"params": decay, "weight_decay": 1e-2}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=0.01)
loss_fn = nn.MSELoss()
