"""Check that helpers.trainer runs on a CUDA GPU and agrees with the CPU.

    python -m tools.gpu_check

The notebooks run on the CPU (that is what their stored outputs are); this script is for an
instructor with a GPU: it trains the same seeded model once on the CPU and once on the GPU, with
the data left on the CPU so that the trainer has to move every batch, and compares the curves,
the early stop and the restored weights. It exits 0 with "SKIP" when no GPU is present.
"""

from __future__ import annotations

import sys

import torch
from torch import nn

from helpers import make_loaders, make_regression, trainer


def run(device: str) -> tuple[list[float], list[float], dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 1))
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    X, y = make_regression(200, noise=0.3, seed=1)
    trainloader, validloader = make_loaders(X, y.view(-1, 1), batch_size=32, seed=1)
    train_loss, valid_loss = trainer(
        model, nn.MSELoss(), optimizer, trainloader, validloader, epochs=300, patience=10
    )
    assert all(p.device.type == torch.device(device).type for p in model.parameters())
    return train_loss, valid_loss, {k: v.cpu() for k, v in model.state_dict().items()}


def main() -> int:
    if not torch.cuda.is_available():
        print("SKIP: no CUDA device")
        return 0
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    cpu_train, cpu_valid, cpu_state = run("cpu")
    gpu_train, gpu_valid, gpu_state = run("cuda")
    epochs = min(len(cpu_valid), len(gpu_valid), 20)
    gap = max(
        abs(a - b) / abs(a) for a, b in zip(cpu_valid[:epochs], gpu_valid[:epochs], strict=True)
    )
    print(
        f"epochs run: CPU {len(cpu_valid)}, GPU {len(gpu_valid)}; largest relative gap in "
        f"validation loss over the first {epochs} epochs: {gap:.2e}"
    )
    assert gap < 1e-3, "CPU and GPU curves disagree"
    best_cpu, best_gpu = min(cpu_valid), min(gpu_valid)
    print(f"best validation loss: CPU {best_cpu:.5f}, GPU {best_gpu:.5f}")
    assert abs(best_cpu - best_gpu) / best_cpu < 1e-2, "CPU and GPU runs disagree"
    weight_gap = max((cpu_state[k] - gpu_state[k]).abs().max().item() for k in cpu_state)
    print(f"largest difference between restored weights: {weight_gap:.2e}")
    assert weight_gap < 1e-3, "the restored CPU and GPU weights disagree"
    print("OK: trainer runs on CUDA and agrees with the CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
