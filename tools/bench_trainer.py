"""``helpers.trainer`` against a hand-written loop doing the same work with the same torch calls.

    python -m tools.bench_trainer [ROUNDS [MODEL...]]  # or: make bench BENCH_ARGS="--only trainer"

The hand loop is notebook 04's loop with what the trainer adds per batch: the move to the
model's device and the check for a non-finite loss. Both get the same model (rebuilt from the same
seed before each run), the same loaders (reseeded, so every run sees the same batches), the same
optimizer and epochs, ``patience=None``. Runs are short and interleaved (A B, then B A, ...), so
that a change in the machine's load hits both alike; a garbage collection before each run keeps
one from inheriting the other's garbage. The ratio reported is the median of the per-round ratios
of wall-clock times, with a 95 % bootstrap interval; an A/A row (the hand loop against itself)
shows the noise floor. Target: trainer / hand loop <= 1.05.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import sys
import time

import torch
from torch import nn

from helpers import make_loaders, make_regression, trainer

# name: (hidden layer widths, epochs); each run takes some tens of milliseconds on one core.
MODELS: dict[str, tuple[tuple[int, ...], int]] = {
    "tiny 1-6-1": ((6,), 10),
    "mid 1-256-256-1": ((256, 256), 6),
}
N_SAMPLES, BATCH_SIZE, LR, TARGET = 200, 16, 0.01, 1.05


def hand_loop(model, criterion, optimizer, trainloader, validloader, epochs):
    """What ``trainer(..., patience=None)`` does, written out with the same torch calls."""
    device = next(model.parameters()).device
    train_loss, valid_loss = [], []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for X, y in trainloader:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            value = loss.item()
            if not math.isfinite(value):
                break
            loss.backward()
            optimizer.step()
            total += value * len(y)
            count += len(y)
        train_loss.append(total / count)
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for X, y in validloader:
                X, y = X.to(device), y.to(device)
                loss = criterion(model(X), y)
                total += loss.item() * len(y)
                count += len(y)
        valid_loss.append(total / count)
    model.train()
    return train_loss, valid_loss


def build(hidden: tuple[int, ...]) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    width = 1
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 1))
    return model, torch.optim.Adam(model.parameters(), lr=LR)


def median_interval(values: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval for the median of ``values`` (seeded)."""
    rng = random.Random(0)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def bench_model(name: str, rounds: int) -> dict:
    hidden, epochs = MODELS[name]
    X, y = make_regression(N_SAMPLES, noise=0.2, seed=0)
    trainloader, validloader = make_loaders(X, y.view(-1, 1), batch_size=BATCH_SIZE, seed=0)
    criterion = nn.MSELoss()
    runs = {
        "trainer": lambda *a: trainer(*a, epochs=epochs, patience=None, verbose=False),
        "hand": lambda *a: hand_loop(*a, epochs),
        "hand_again": lambda *a: hand_loop(*a, epochs),  # A/A control
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    histories = {}
    gc.collect()
    gc.freeze()  # what is alive now (torch, the data) leaves the collector's reach
    for r in range(-1, rounds):  # round -1 warms up and is not counted
        order = list(runs)[r % len(runs) :] + list(runs)[: r % len(runs)]
        for key in order:
            model, optimizer = build(hidden)
            trainloader.generator.manual_seed(1)  # every run sees the same shuffles
            gc.collect()
            start = time.perf_counter()
            histories[key] = runs[key](model, criterion, optimizer, trainloader, validloader)
            if r >= 0:
                times[key].append(time.perf_counter() - start)
    gc.unfreeze()
    if histories["trainer"] != histories["hand"]:
        raise RuntimeError("the trainer and the hand loop computed different losses")
    rows = []
    for num, den, what, target in (
        ("trainer", "hand", "trainer / hand loop (patience=None)", TARGET),
        ("hand_again", "hand", "hand loop / hand loop (A/A control: the noise floor)", None),
    ):
        ratios = [a / b for a, b in zip(times[num], times[den], strict=True)]
        diffs = [a - b for a, b in zip(times[num], times[den], strict=True)]
        ratio = statistics.median(ratios)
        rows.append(
            {
                "what": what,
                "median_ratio": round(ratio, 4),
                "median_ratio_ci95": [round(v, 4) for v in median_interval(ratios)],
                "overhead_us_per_epoch": round(statistics.median(diffs) / epochs * 1e6, 1),
                "target_ratio": target,
                "met": None if target is None else ratio <= target,
            }
        )
    return {
        "model": name,
        "epochs": epochs,
        "rounds": rounds,
        "median_ms_per_epoch": {
            k: round(statistics.median(v) / epochs * 1e3, 3) for k, v in times.items()
        },
        "comparisons": rows,
    }


def run(rounds: int = 150, models: list[str] | None = None) -> list[dict]:
    return [bench_model(name, rounds) for name in (models or MODELS)]


if __name__ == "__main__":
    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 30, sys.argv[2:] or None):
        print(result["model"], result["median_ms_per_epoch"])
        for c in result["comparisons"]:
            low, high = c["median_ratio_ci95"]
            print(
                f"  {c['median_ratio']:.3f} (95 % interval {low:.3f}-{high:.3f}; "
                f"{c['overhead_us_per_epoch']:+.1f} µs/epoch)  {c['what']}"
            )
