"""`helpers.trainer` against a minimal hand-written loop and against the lecture's trainer.

Every contestant gets the same model (rebuilt from the same seed before each run), the same
DataLoaders, the same optimizer and the same number of epochs, with a validation pass every
epoch; the training loader's shuffling generator is reseeded before each run, so every run sees
the same batches. Runs are interleaved (A B C, then B C A, ...) so that a change in the
machine's load hits every contestant alike; a garbage collection before each run keeps one
contestant from always inheriting the collections that the one before it set up. The ratio
reported is the median of the per-round ratios of wall-clock times; the same ratio of the
thread's CPU time is kept as a cross-check that is less sensitive to other processes on the
machine. The overhead per epoch is the median of the per-round differences divided by the
number of epochs. The ratio of the two fastest runs is a second cross-check: on a shared
machine whose speed drifts from second to second (per-round ratios of 0.8-1.4 were seen), the
fastest run of each contestant is the one least slowed down.

Each run is short (about 50 ms) and there are many rounds (150), so that the runs compared sit
close together in time and the drift cancels: with runs of 0.2-0.3 s and 45 rounds, the A/A
control's 95 % interval was about +-3 %; with these, +-0.4-0.9 %. Every ratio comes with that
interval, a bootstrap of the median over the rounds: a ratio whose interval holds 1.00 is a tie
at this machine's resolution.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from helpers import make_loaders, make_regression, trainer

# name: (hidden layer widths, epochs); each run takes about 50 ms on one core.
MODELS: dict[str, tuple[tuple[int, ...], int]] = {
    "tiny 1-6-1": ((6,), 10),
    "mid 1-256-256-1": ((256, 256), 6),
}
N_SAMPLES, BATCH_SIZE, LR = 200, 16, 0.01


def lecture_trainer(model, criterion, optimizer, trainloader, validloader, epochs=5, patience=5):
    """The lecture's trainer (lecture notes, "PyTorch Trainer Code"), verbatim but for one line:
    ``consec_increases`` is initialised before the loop, so it can never raise a NameError."""

    train_loss = []
    valid_loss = []
    consec_increases = 0  # the one fix: initialised before it is read

    for epoch in range(epochs):  # for each epoch
        train_batch_loss = 0
        valid_batch_loss = 0

        # Training
        for X, y in trainloader:
            optimizer.zero_grad()  # Zero all the gradients w.r.t. parameters

            y_hat = model(X).flatten()  # Forward pass to get output
            loss = criterion(y_hat, y)  # Calculate loss based on output
            loss.backward()  # Calculate gradients w.r.t. parameters
            optimizer.step()  # Update parameters

            train_batch_loss += loss.item()  # Add loss for this batch to running total

        train_loss.append(train_batch_loss / len(trainloader))

        # Validation
        with torch.no_grad():
            for X_valid, y_valid in validloader:
                y_hat = model(X_valid).flatten()  # Forward pass to get output
                loss = criterion(y_hat, y_valid)  # Calculate loss based on output

                valid_batch_loss += loss.item()

        valid_loss.append(valid_batch_loss / len(validloader))

        # Early stopping
        if epoch > 0 and valid_loss[-1] > valid_loss[-2]:
            consec_increases += 1
        else:
            consec_increases = 0
        if consec_increases == patience:
            print(
                f"Stopped early at epoch {epoch + 1} - val loss increased for "
                f"{consec_increases} consecutive epochs!"
            )
            break

    return train_loss, valid_loss


def hand_loop(model, criterion, optimizer, trainloader, validloader, epochs, restore_best):
    """Exactly the work ``trainer(..., patience=None, restore_best=restore_best)`` does, written
    out by hand: train mode, zero_grad / forward / loss / backward / step, losses weighted by
    batch size, then a validation pass in eval mode under no_grad; with ``restore_best`` it also
    copies the best weights and loads them at the end."""
    train_loss, valid_loss = [], []
    best, best_state = math.inf, None
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for X, y in trainloader:
            optimizer.zero_grad()
            loss = criterion(model(X).squeeze(-1), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
        train_loss.append(total / count)
        model.eval()
        with torch.no_grad():
            total, count = 0.0, 0
            for X, y in validloader:
                loss = criterion(model(X).squeeze(-1), y)
                total += loss.item() * len(y)
                count += len(y)
        valid_loss.append(total / count)
        if restore_best and valid_loss[-1] < best:
            best = valid_loss[-1]
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
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


def contestants(epochs: int) -> dict[str, Callable]:
    def run_trainer(restore_best):
        return lambda m, c, o, tl, vl: trainer(
            m, c, o, tl, vl, epochs=epochs, patience=None, restore_best=restore_best, verbose=False
        )

    def run_hand(restore_best):
        return lambda m, c, o, tl, vl: hand_loop(m, c, o, tl, vl, epochs, restore_best)

    return {
        "trainer": run_trainer(False),
        "hand": run_hand(False),
        "hand_again": run_hand(False),  # A/A control: how far two identical runs differ
        "trainer_restore": run_trainer(True),
        "hand_restore": run_hand(True),
        # patience > epochs: the lecture's rule never stops, so it runs every epoch too
        "lecture": lambda m, c, o, tl, vl: lecture_trainer(
            m, c, o, tl, vl, epochs=epochs, patience=epochs + 1
        ),
    }


# (numerator, denominator, what it checks, target ratio)
COMPARISONS = [
    ("trainer", "hand", "trainer / hand loop (patience=None, restore_best=False)", 1.05),
    (
        "trainer_restore",
        "hand_restore",
        "trainer / hand loop (patience=None, restore_best=True)",
        1.05,
    ),
    ("trainer", "lecture", "trainer / lecture trainer (patience=None, restore_best=False)", 1.00),
    # what the correct work alone costs (eval mode and back, weighted sums), whoever writes it
    ("hand", "lecture", "hand loop / lecture trainer (the same work as trainer)", None),
    ("hand_again", "hand", "hand loop / hand loop (A/A control: the noise floor)", None),
]


def bench_model(name: str, repeats: int) -> dict:
    hidden, epochs = MODELS[name]
    X, y = make_regression(N_SAMPLES, noise=0.2, seed=0)
    trainloader, validloader = make_loaders(X, y, batch_size=BATCH_SIZE, seed=0)
    criterion = nn.MSELoss()
    runs = contestants(epochs)
    names = list(runs)
    times: dict[str, list[float]] = {k: [] for k in names}  # wall clock
    cpu: dict[str, list[float]] = {k: [] for k in names}  # this thread's CPU time
    results: dict[str, tuple] = {}
    # Objects alive now (torch, the data) move out of the collector's reach: a full collection
    # before each run then costs microseconds instead of 60 ms.
    gc.collect()
    gc.freeze()
    for r in range(-1, repeats):  # round -1 warms up every contestant and is not counted
        order = names[r % len(names) :] + names[: r % len(names)] if r >= 0 else names
        for key in order:
            model, optimizer = build(hidden)
            trainloader.generator.manual_seed(1)  # every run sees the same shuffles
            gc.collect()  # each run starts with the collector's counts at zero, not mid-cycle
            start, start_cpu = time.perf_counter(), time.thread_time()
            history = runs[key](model, criterion, optimizer, trainloader, validloader)
            seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - start_cpu
            if r >= 0:
                times[key].append(seconds)
                cpu[key].append(cpu_seconds)
            results[key] = history
    gc.unfreeze()
    # Same work: the trainer's and the hand loop's histories agree (float32 vs float64 sums).
    for a, b in (("trainer", "hand"), ("trainer_restore", "hand_restore")):
        if not len(results[a][0]) == len(results[b][0]) == epochs:
            raise RuntimeError(f"{a} and {b} ran different numbers of epochs")
        for got, want in zip(results[a][1], results[b][1], strict=True):
            if not math.isclose(got, want, rel_tol=1e-4):
                raise RuntimeError(f"{a} and {b} differ: validation loss {got} != {want}")
    comparisons = []
    for num, den, what, target in COMPARISONS:
        ratios = [a / b for a, b in zip(times[num], times[den], strict=True)]
        diffs = [a - b for a, b in zip(times[num], times[den], strict=True)]
        ratio = statistics.median(ratios)
        low, high = median_interval(ratios)
        cpu_ratio = statistics.median(a / b for a, b in zip(cpu[num], cpu[den], strict=True))
        comparisons.append(
            {
                "what": what,
                "numerator": num,
                "denominator": den,
                "median_ratio": round(ratio, 4),
                "median_ratio_ci95": [round(low, 4), round(high, 4)],
                "min_ratio": round(min(ratios), 4),
                "max_ratio": round(max(ratios), 4),
                "overhead_us_per_epoch": round(statistics.median(diffs) / epochs * 1e6, 1),
                "cpu_time_median_ratio": round(cpu_ratio, 4),
                # timeit's advice: the fastest run is the one least slowed by the machine
                "fastest_ratio": round(min(times[num]) / min(times[den]), 4),
                "target_ratio": target,
                "met": None if target is None else ratio <= target,
            }
        )
    n_train = len(trainloader.dataset)
    return {
        "model": name,
        "hidden": list(hidden),
        "epochs": epochs,
        "batches_per_epoch": len(trainloader) + len(validloader),
        "train_samples": n_train,
        "valid_samples": len(validloader.dataset),
        "batch_size": BATCH_SIZE,
        "repeats": repeats,
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "median_ms_per_epoch": {
            k: round(statistics.median(v) / epochs * 1e3, 3) for k, v in times.items()
        },
        "cpu_median_ms_per_epoch": {
            k: round(statistics.median(v) / epochs * 1e3, 3) for k, v in cpu.items()
        },
        "comparisons": comparisons,
    }


def median_interval(values: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval for the median of ``values`` (seeded: the same values give the
    same interval)."""
    rng = random.Random(0)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def run(repeats: int = 150, models: list[str] | None = None) -> list[dict]:
    return [bench_model(name, repeats) for name in (models or MODELS)]


if __name__ == "__main__":  # python tools/bench_trainer.py [REPEATS [MODEL...]]
    import json
    import sys

    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 3, sys.argv[2:] or None):
        print(result["model"], json.dumps(result["median_ms_per_epoch"]))
        for c in result["comparisons"]:
            print(
                f"  {c['median_ratio']:.3f} (cpu {c['cpu_time_median_ratio']:.3f})"
                f"  {c['overhead_us_per_epoch']:8.1f} us  {c['what']}"
            )
