"""The PyTorch half of examples/pytorch-trainer/loop.ts: owns the model and
the optimiser; the engine plays, assigns credit and computes d(loss)/d(logits).

Frames on stdin/stdout: a little-endian uint32 byte count, then float32 data.
Per iteration: read observations [N, 5], answer logits [N, 2]; read
gradLogits [N, 2], backpropagate, step Adam, answer the new parameters
(torch.nn.utils.parameters_to_vector, nn.Linear's [out, in] layout).
"""
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from models import ACTIONS, OBS, mlp  # noqa: E402

torch.set_num_threads(1)
seed, lr = int(sys.argv[1]), float(sys.argv[2])
torch.manual_seed(seed)
model = mlp()
opt = torch.optim.Adam(model.parameters(), lr=lr)
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer


def send(t):
    b = t.detach().numpy().astype(np.float32).tobytes()
    stdout.write(struct.pack("<I", len(b)) + b)
    stdout.flush()


def receive():
    head = stdin.read(4)
    if len(head) < 4:
        return None
    n = struct.unpack("<I", head)[0]
    return torch.from_numpy(np.frombuffer(stdin.read(n), np.float32).copy())


send(torch.nn.utils.parameters_to_vector(model.parameters()))
while (obs := receive()) is not None:
    logits = model(obs.view(-1, OBS))
    send(logits)
    grad = receive().view(-1, ACTIONS)
    opt.zero_grad()
    logits.backward(grad)
    opt.step()
    send(torch.nn.utils.parameters_to_vector(model.parameters()))
