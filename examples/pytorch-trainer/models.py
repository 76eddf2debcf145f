"""PyTorch policies for the engine, and the committed test models made from them.

    python3 examples/pytorch-trainer/models.py test/fixtures/pytorch

exports each model with torch.onnx.export, has the engine roll every one out
(dump-rollouts.ts), and stores PyTorch's own log-probabilities of the actions
the engine sampled, so that test/pytorch.test.ts checks the engine against
PyTorch without needing torch.
"""
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

OBS, ACTIONS, HIDDEN = 5, 2, 8  # the iterated prisoner's dilemma


def mlp(hidden=16):
    """The trainer's policy: nn.Sequential of Linear/Tanh; the engine's trainableMlp has the same math."""
    return nn.Sequential(nn.Linear(OBS, hidden), nn.Tanh(), nn.Linear(hidden, ACTIONS))


class GruCellPolicy(nn.Module):
    """Explicit state [batch, hidden] in and out."""

    def __init__(self):
        super().__init__()
        self.cell, self.out = nn.GRUCell(OBS, HIDDEN), nn.Linear(HIDDEN, ACTIONS)

    def forward(self, obs, h):
        h = self.cell(obs, h)
        return self.out(h), h


class GruPolicy(nn.Module):
    """nn.GRU with its own state shape [layers = 1, batch, hidden]."""

    def __init__(self):
        super().__init__()
        self.gru, self.out = nn.GRU(OBS, HIDDEN), nn.Linear(HIDDEN, ACTIONS)

    def forward(self, obs, h):
        y, h = self.gru(obs.unsqueeze(0), h)
        return self.out(y[0]), h


class WithStateFirst(nn.Module):
    """A GRUCell policy whose outputs are (state, logits), with no output named 'logits'."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, obs, h):
        z, h = self.inner(obs, h)
        return h, z


def export(model, args, path, inputs, outputs, dynamic):
    torch.onnx.export(model, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic, opset_version=17)


def make(folder):
    torch.manual_seed(0)
    os.makedirs(folder, exist_ok=True)
    obs = torch.zeros(3, OBS)
    batch = {"obs": {0: "batch"}, "logits": {0: "batch"}}
    m = mlp()
    export(m, (obs,), f"{folder}/mlp.onnx", ["obs"], ["logits"], batch)
    export(m, (obs[:1],), f"{folder}/mlp-fixed-batch.onnx", ["obs"], ["logits"], None)
    export(m.double(), (obs[:1].double(),), f"{folder}/mlp-float64.onnx", ["obs"], ["logits"], batch)
    m.float()
    cell = GruCellPolicy()
    export(cell, (obs, torch.zeros(3, HIDDEN)), f"{folder}/gru-cell.onnx", ["obs", "h"], ["logits", "h_out"],
           {**batch, "h": {0: "batch"}, "h_out": {0: "batch"}})
    gru = GruPolicy()
    export(gru, (obs, torch.zeros(1, 3, HIDDEN)), f"{folder}/gru.onnx", ["obs", "h"], ["logits", "h_out"],
           {**batch, "h": {1: "batch"}, "h_out": {1: "batch"}})
    # The weights in a side file, as torch >= 2.9's exporter writes them by default.
    import onnx
    proto = onnx.load(f"{folder}/mlp.onnx")
    onnx.save_model(proto, f"{folder}/mlp-external.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="mlp-external.onnx.data", size_threshold=0)
    # Same architectures, other weights: setWeights with these must give their log-probabilities.
    torch.manual_seed(1)
    m_alt, gru_alt, cell_alt = mlp(), GruPolicy(), GruCellPolicy()
    export(m_alt, (obs,), f"{folder}/mlp-alt.onnx", ["obs"], ["logits"], batch)
    export(gru_alt, (obs, torch.zeros(1, 3, HIDDEN)), f"{folder}/gru-alt.onnx", ["obs", "h"], ["logits", "h_out"],
           {**batch, "h": {1: "batch"}, "h_out": {1: "batch"}})
    export(cell_alt, (obs, torch.zeros(3, HIDDEN)), f"{folder}/gru-cell-alt.onnx", ["obs", "h"], ["logits", "h_out"],
           {**batch, "h": {0: "batch"}, "h_out": {0: "batch"}})
    # A fixed batch of 3 with nn.GRU's state: the engine runs it in chunks of 3 rows, padding the last.
    export(gru, (obs, torch.zeros(1, 3, HIDDEN)), f"{folder}/gru-fixed-batch.onnx", ["obs", "h"], ["logits", "h_out"], None)
    # Logits found by shape: neither named 'logits' nor first.
    export(WithStateFirst(cell), (obs, torch.zeros(3, HIDDEN)), f"{folder}/gru-cell-unnamed.onnx", ["obs", "h"],
           ["h_out", "out"], {"obs": {0: "batch"}, "h": {0: "batch"}, "h_out": {0: "batch"}, "out": {0: "batch"}})
    models = {"mlp": m, "gru-cell": cell, "gru": gru, "mlp-external": m, "mlp-alt": m_alt, "gru-alt": gru_alt,
              "gru-cell-alt": cell_alt}
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["node", "--import", "tsx", f"{here}/dump-rollouts.ts", folder, *models], check=True)
    for name, model in models.items():
        observations = np.load(f"{folder}/{name}.observations.npy")  # [B, T, A, O]
        actions = np.load(f"{folder}/{name}.actions.npy")  # [B, T, A], -1 on padding
        B, T, A, _ = observations.shape
        logp = np.zeros((B, T, A), np.float32)
        with torch.no_grad():
            for a in range(A):
                h = torch.zeros(1, B, HIDDEN) if name in ("gru", "gru-alt") else torch.zeros(B, HIDDEN)
                for t in range(T):
                    x = torch.from_numpy(observations[:, t, a].copy())
                    z = model(x) if name.startswith("mlp") else None
                    if z is None:
                        z, h = model(x, h)
                    lp = torch.log_softmax(z, dim=1)
                    act = torch.from_numpy(np.maximum(actions[:, t, a], 0)).long()
                    logp[:, t, a] = lp.gather(1, act[:, None])[:, 0].numpy() * (actions[:, t, a] >= 0)
        np.save(f"{folder}/{name}.torch-logp.npy", logp)
        os.remove(f"{folder}/{name}.observations.npy")
    print(f"wrote {folder}")


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/pytorch")
