"""Checks for the exercises of notebook 04 (training neural networks).

Each check runs the student's function on cases it builds on the spot, compares with a reference,
and either prints one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError`
with a diagnosis: the lecture's stopping rule, a ``best`` that creeps below ``min_delta``, ignored
epochs counted towards patience, the model left in training mode, a plain mean of batch
accuracies, the validation minimum reported as the result, a reshape that mixes the seeds, a
warm-up that starts at 0, a tensor where ``LambdaLR`` needs a float, L2 instead of decoupled
decay, the bias-corrected moments returned as the state, the keep probability instead of the drop
probability.

=======================  =================================================================
check                    exercise
=======================  =================================================================
``check_early_stop``     the standard rule with ``min_delta`` and ``start_from_epoch``,
                         returning the stop epoch and the epoch whose weights come back
``check_accuracy``       an evaluation pass for a classifier: eval mode, no graph, counted
                         over the whole set, mode restored
``check_publish``        choose a hyperparameter and an epoch on validation, report the test
``check_warmup_cosine``  a learning-rate factor: linear warm-up, then cosine decay to 0
``check_adamw_step``     one AdamW step by hand, against ``torch.optim.AdamW``
``check_dropout``        inverted dropout by hand
=======================  =================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_accuracy",
    "check_adamw_step",
    "check_dropout",
    "check_early_stop",
    "check_publish",
    "check_warmup_cosine",
    "reference_early_stop",
]


def _require_function(name: str, answer: object, signature: str) -> None:
    require_filled(name, answer)
    if not callable(answer):
        raise ExerciseError(f"{name} should be a function of {signature}.")


# --- exercise 1: early stopping with min_delta and start_from_epoch ---------------------------


def reference_early_stop(
    valid_loss: Sequence[float], patience: int, min_delta: float = 0.0, start_from_epoch: int = 0
) -> tuple[int | None, int | None]:
    """``(stop, restored)`` by the standard rule, as ``helpers.trainer`` and Keras apply it.

    Epochs count from 1; epochs ``1 .. start_from_epoch`` are ignored (neither best nor counted).
    An epoch *improves* when its loss is below ``best - min_delta``, where ``best`` is the loss of
    the last epoch that improved (it changes only on an improvement). ``stop`` is the epoch that
    makes ``patience`` epochs in a row without improvement (``None`` if none does); ``restored``
    is the last epoch that improved, whose weights come back (also when training never stops).
    """
    return _stop_rule(valid_loss, patience, min_delta, start_from_epoch)


def _stop_rule(
    valid_loss: Sequence[float],
    patience: int,
    min_delta: float,
    start: int,
    *,
    creeping: bool = False,
    ties: bool = False,
    late: int = 0,
    counted: bool = False,
) -> tuple[int | None, int | None]:
    """The standard rule, or one of the typical mistakes (for the diagnoses)."""
    best, restored, waited = math.inf, None, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if epoch <= start:
            if counted:
                waited += 1  # the mistake: the ignored epochs count towards patience
                if waited == patience:
                    return epoch, restored
            continue
        improves = loss <= best - min_delta if ties else loss < best - min_delta
        if improves:
            best, restored, waited = loss, epoch, 0
        else:
            if creeping and loss < best:
                best = loss  # the mistake: best follows every new low
            waited += 1
        if waited == patience + late:
            return epoch, restored
    return None, restored


def _lowest_restored(valid_loss, patience, min_delta, start):
    stop, _ = _stop_rule(valid_loss, patience, min_delta, start)
    seen = list(enumerate(valid_loss, start=1))[start : stop if stop else None]
    return stop, min(seen, key=lambda pair: pair[1])[0]


# (valid_loss, patience, min_delta, start_from_epoch)
_STOP_CASES: tuple[tuple[list[float], int, float, int], ...] = (
    ([1.0, 0.9, 0.95, 0.85, 0.9, 0.8, 0.88, 0.82, 0.9, 0.84, 0.92, 0.86, 0.94], 3, 0.0, 0),
    ([1.0, 0.6, 0.6, 0.6, 0.7, 0.5, 0.7, 0.8, 0.9], 3, 0.0, 0),
    ([1.0, 0.95, 0.91, 0.87, 0.84, 0.80, 0.79, 0.78, 0.77], 3, 0.06, 0),
    ([1.0, 0.7, 0.69, 0.68, 0.67, 0.66, 0.65, 0.64, 0.6, 0.59, 0.58, 0.57], 3, 0.05, 0),
    ([0.5, 0.6, 0.7, 1.1, 1.0, 0.9, 0.95, 0.97, 0.99, 1.0], 3, 0.0, 2),
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2, 0.0, 1),
    ([5.0, 5.0, 5.0, 1.0, 2.0, 3.0], 3, 0.0, 3),  # patience <= start_from_epoch
)


def check_early_stop(early_stop: Callable[..., tuple[int | None, int | None]]) -> None:
    """Check ``early_stop(valid_loss, patience, min_delta=0.0, start_from_epoch=0)``."""
    _require_function(
        "early_stop", early_stop, "(valid_loss, patience, min_delta, start_from_epoch)"
    )
    answers = []
    for valid_loss, patience, min_delta, start in _STOP_CASES:
        got = early_stop(list(valid_loss), patience, min_delta, start)
        require_filled("early_stop(...)", got)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise ExerciseError(
                f"early_stop should return a pair (stop, restored), got {got!r}: the epoch it "
                "stops at (or None) and the epoch whose weights come back."
            )
        answers.append(tuple(got))
    expected = [_stop_rule(*case) for case in _STOP_CASES]
    if answers == expected:
        correct(
            f"early_stop stops and restores as the standard rule on all {len(expected)} curves."
        )
        return
    known = [
        (
            [_stop_rule(*case, creeping=True) for case in _STOP_CASES],
            "your `best` follows every new low, also one that did not improve by more than "
            "min_delta; then small steps never count as improvements. `best` (and the restored "
            "epoch) must change only on an improvement: loss < best - min_delta.",
        ),
        (
            [_stop_rule(*case, ties=True) for case in _STOP_CASES],
            "a loss equal to best - min_delta counts as an improvement in your rule; it must be "
            "strictly lower (loss < best - min_delta).",
        ),
        (
            [_stop_rule(v, p, 0.0, s) for v, p, _, s in _STOP_CASES],
            "min_delta is ignored: an epoch improves only if its loss is below best - min_delta.",
        ),
        (
            [_stop_rule(v, p, d, 0) for v, p, d, _ in _STOP_CASES],
            "start_from_epoch is ignored: epochs 1 to start_from_epoch must neither set the best "
            "nor count towards patience (Keras skips them the same way).",
        ),
        (
            [_stop_rule(*case, counted=True) for case in _STOP_CASES],
            "the ignored epochs 1 to start_from_epoch count towards patience in your rule (with "
            "patience=3 and start_from_epoch=3 it stops at epoch 3, before monitoring began). "
            "Skip them entirely: `continue` before the loss is compared or anything is counted.",
        ),
        (
            [_stop_rule(v, p, d, max(s - 1, 0)) for v, p, d, s in _STOP_CASES],
            "one epoch too few is skipped: with start_from_epoch=2, epochs 1 and 2 are ignored "
            "and monitoring starts at epoch 3.",
        ),
        (
            [_stop_rule(v, p, d, s + 1 if s else 0) for v, p, d, s in _STOP_CASES],
            "one epoch too many is skipped: with start_from_epoch=2, monitoring starts at epoch 3.",
        ),
        (
            [_lowest_restored(*case) for case in _STOP_CASES],
            "restored is the epoch with the lowest loss; with min_delta > 0 the weights that come "
            "back are those of the last epoch that improved by more than min_delta (the best "
            "the rule kept), as in helpers.trainer.",
        ),
        (
            [(s, s if s else r) for s, r in expected],
            "restored is the stopping epoch: that keeps the last weights (the lecture's rule); "
            "the standard rule hands back the last epoch that improved.",
        ),
        (
            [_stop_rule(*case, late=1) for case in _STOP_CASES],
            "stops one epoch late: stop at the epoch whose count of epochs without improvement "
            "reaches `patience` (check the count right after updating it).",
        ),
    ]
    for wrong, why in known:
        if answers == wrong:
            raise ExerciseError(f"early_stop: {why}")
    for case, got, want in zip(_STOP_CASES, answers, expected, strict=True):
        if got == want:
            continue
        valid_loss, patience, min_delta, start = case
        where = (
            f"on valid_loss={valid_loss}, patience={patience}, min_delta={min_delta}, "
            f"start_from_epoch={start}"
        )
        if got[0] == want[0]:
            why = (
                f"the stop epoch is right; the restored epoch should be {want[1]}, got {got[1]!r}."
            )
        elif want[0] is not None and got[0] == want[0] - 1:
            why = "stops one epoch early: epochs count from 1 (enumerate(valid_loss, start=1))."
        else:
            why = f"expected (stop, restored) = {want}, got {got!r}."
        raise ExerciseError(f"early_stop {where}: {why}")
    raise ExerciseError(f"early_stop: expected {expected}, got {answers}.")  # pragma: no cover


# --- exercise 2: accuracy over a loader -------------------------------------------------------


class _Classifier(nn.Module):
    """Three logits per 2-d point, with dropout; records its mode and grad mode at every call."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.hidden = nn.Linear(2, 16)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(16, 3)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator))
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.out(self.drop(torch.relu(self.hidden(x))))


def _classifier_data(model: _Classifier) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of 4, 4 and 2 points; 4/4, 1/4 and 0/2 right, so the plain mean of batch
    accuracies (0.417) differs from the accuracy over the set (0.5)."""
    X = torch.randn(10, 2, generator=torch.Generator().manual_seed(1))
    model.eval()
    with torch.no_grad():
        predicted = model(X).argmax(dim=1)
    model.calls.clear()
    wrong = torch.tensor([False] * 4 + [False, True, True, True] + [True, True])
    labels = torch.where(wrong, (predicted + 1) % 3, predicted)
    return [(X[:4], labels[:4]), (X[4:8], labels[4:8]), (X[8:], labels[8:])]


def check_accuracy(accuracy: Callable[..., float]) -> None:
    """Check ``accuracy(model, loader)``: the fraction of points whose top logit is the label."""
    _require_function("accuracy", accuracy, "(model, loader)")
    model = _Classifier()
    loader = _classifier_data(model)
    model.train()
    try:
        got = accuracy(model, loader)
    except RuntimeError as error:
        raise ExerciseError(
            f"accuracy raised {error!r}. The logits have shape (N, classes): the predicted "
            "class is logits.argmax(dim=1), one per point, of the shape of the labels."
        ) from error
    require_filled("accuracy(...)", got)
    if any(training for training, _ in model.calls):
        raise ExerciseError(
            "model left in training mode: dropout was on, so this is the accuracy of a random "
            "thinned network. Call model.eval() before the loop."
        )
    if any(grad for _, grad in model.calls):
        raise ExerciseError("the forward passes built a graph: wrap the loop in torch.no_grad().")
    if not model.training:
        raise ExerciseError(
            "the model was in training mode before and is left in eval mode: remember "
            "`was_training = model.training` and call model.train(was_training) at the end."
        )
    if isinstance(got, torch.Tensor):
        raise ExerciseError("accuracy should return a Python float: use .item() or float().")
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise ExerciseError(f"accuracy should return a float, got {type(got).__name__}.")
    if math.isclose(got, 0.5, abs_tol=1e-9):
        model.eval()
        accuracy(model, loader)
        if model.training:
            raise ExerciseError(
                "a model that was in eval mode comes back in training mode: restore the mode it "
                "had (model.train(was_training)), not always model.train()."
            )
        correct("accuracy counts 5 right of 10 points (0.5), in eval mode, mode restored.")
        return
    if math.isclose(got, (1 + 0.25 + 0) / 3, abs_tol=1e-9):
        why = (
            "this is the plain mean of the batch accuracies (1, 0.25, 0): with batches of 4, 4 "
            "and 2 points, count the right answers over all points and divide by their number."
        )
    elif math.isclose(got, 5 / 3, abs_tol=1e-9):
        why = (
            "this divides the 5 right answers by len(loader), the number of batches (3): divide "
            "by the number of points, the sum of len(y_batch) over the batches."
        )
    elif math.isclose(got, 5, abs_tol=1e-9):
        why = "this is the number of right answers: divide by the number of points."
    elif math.isclose(got, 50, abs_tol=1e-9):
        why = "this is a percentage: return a fraction between 0 and 1."
    else:
        why = f"expected 0.5 (5 of 10 points right), got {got}."
    raise ExerciseError(f"accuracy: {why}")


# --- exercise 3: the number to publish --------------------------------------------------------


def _publish_data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(4)
    trend = 0.3 + 0.4 * (torch.linspace(-1, 1, 12) ** 2)  # a U-shaped curve over 12 epochs
    shift = torch.tensor([0.05, 0.0, 0.08]).view(3, 1, 1)  # 3 candidates
    valid = trend + shift + 0.05 * torch.randn(3, 4, 12, generator=generator)  # (K, S, E)
    test = trend + shift + 0.05 * torch.randn(3, 4, 12, generator=generator)
    return valid, test


def _reference_publish(valid: torch.Tensor, test: torch.Tensor) -> torch.Tensor:
    k, s, e = valid.shape
    flat = valid.permute(1, 0, 2).reshape(s, k * e)  # per seed, all (candidate, epoch) pairs
    chosen = flat.argmin(dim=1)
    return test.permute(1, 0, 2).reshape(s, k * e)[torch.arange(s), chosen]


def check_publish(publish: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``publish(valid, test)``: per seed, the test loss of the pair chosen on validation."""
    _require_function("publish", publish, "(valid, test)")
    valid, test = _publish_data()
    got = publish(valid.clone(), test.clone())
    require_filled("publish(...)", got)
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"publish should return a tensor, got {type(got).__name__}.")
    k, s, e = valid.shape
    if got.shape != (s,):
        raise ExerciseError(
            f"publish returned shape {tuple(got.shape)}; it should give one number per seed, "
            f"shape ({s},): for each seed choose among all K x E (candidate, epoch) pairs."
        )
    got = got.detach().to(valid.dtype)
    want = _reference_publish(valid, test)
    if torch.allclose(got, want):
        correct("publish reports the test loss of the (candidate, epoch) chosen on validation.")
        return
    per_seed = valid.permute(1, 0, 2).reshape(s, k * e)
    last = valid[:, :, -1].argmin(dim=0)
    diagnoses = [
        (
            per_seed.min(dim=1).values,
            "this is the validation loss of the chosen model: it was chosen *because* it is "
            "low, so it is optimistic (selection bias). Report its test loss.",
        ),
        (
            test.permute(1, 0, 2).reshape(s, k * e).min(dim=1).values,
            "this chooses with the test set (the lowest test loss): then the test set is a "
            "second validation set and its number is optimistic. Choose on validation.",
        ),
        (
            test[last, torch.arange(s), -1],
            "this uses the last epoch only: choose the epoch on validation too (early stopping).",
        ),
        (
            test.reshape(s, k * e)[torch.arange(s), valid.reshape(s, k * e).argmin(dim=1)],
            "valid.reshape(S, K * E) straight from shape (K, S, E) does not group the pairs by "
            "seed: reshape keeps the memory order, so each row mixes the seeds. The seed axis is "
            "dim 1: move it to the front first, valid.permute(1, 0, 2).reshape(S, K * E) (and "
            "the same for test).",
        ),
        (
            test.permute(1, 0, 2).reshape(s, k * e)[:, valid.mean(dim=1).flatten().argmin()],
            "this makes one choice for all seeds (on the mean over seeds): choose per seed, as "
            "each seed is one repetition of the whole procedure.",
        ),
        (
            test[last, torch.arange(s)]
            .gather(1, valid[last, torch.arange(s)].argmin(dim=1, keepdim=True))
            .squeeze(1),
            "this chooses the setting by its last-epoch validation loss, then the epoch within "
            "it: choose the (setting, epoch) pair jointly, the lowest of all K x E validation "
            "losses of the seed.",
        ),
    ]
    for wrong, why in diagnoses:
        if torch.allclose(got, wrong):
            raise ExerciseError(f"publish: {why}")
    raise ExerciseError(
        f"publish: expected {[round(v, 4) for v in want.tolist()]}, got "
        f"{[round(v, 4) for v in got.tolist()]}. For seed s, find the (candidate, epoch) with the "
        "lowest valid[:, s, :] and return test at that same index."
    )


# --- exercise 4: warm-up then cosine -----------------------------------------------------------


def _reference_warmup_cosine(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


_SCHEDULE_CASES = ((5, 20), (1, 10), (10, 60))


def check_warmup_cosine(warmup_cosine: Callable[[int, int, int], float]) -> None:
    """Check ``warmup_cosine(step, warmup, total)``, the factor for ``LambdaLR``."""
    _require_function("warmup_cosine", warmup_cosine, "(step, warmup, total)")
    got_all, want_all = [], []
    for warmup, total in _SCHEDULE_CASES:
        got = [warmup_cosine(step, warmup, total) for step in range(total + 1)]
        for value in got:
            require_filled("warmup_cosine(...)", value)
            if isinstance(value, torch.Tensor):
                raise ExerciseError(
                    "warmup_cosine should return a Python float, got a tensor: LambdaLR "
                    "multiplies the learning rate by it. Use math.cos (not torch.cos) or .item()."
                )
        got_all.append([float(v) for v in got])
        want_all.append([_reference_warmup_cosine(t, warmup, total) for t in range(total + 1)])

    def same(a: list[list[float]], b: list[list[float]]) -> bool:
        return all(
            math.isclose(x, y, abs_tol=1e-9)
            for ra, rb in zip(a, b, strict=True)
            for x, y in zip(ra, rb, strict=True)
        )

    if same(got_all, want_all):
        correct("warmup_cosine ramps up linearly, reaches 1 and decays to 0 at `total`.")
        return
    warmup, total = _SCHEDULE_CASES[0]
    got = got_all[0]
    if math.isclose(got[0], 0.0, abs_tol=1e-9):
        why = (
            "the factor is 0 at step 0, so the first step does nothing: LambdaLR calls it with "
            "step = 0 before the first step; ramp as (step + 1) / warmup."
        )
    elif any(v < -1e-9 for row in got_all for v in row):
        why = "the factor goes negative: cosine decay is 0.5 * (1 + cos(pi * progress))."
    elif not math.isclose(got[warmup], 1.0, abs_tol=1e-9):
        why = (
            f"at step {warmup}, the first step after the warm-up, the factor should be 1 (the "
            f"cosine starts there), got {got[warmup]:.4f}: measure the progress from the end of "
            "the warm-up, (step - warmup) / (total - warmup)."
        )
    elif not math.isclose(got[total], 0.0, abs_tol=1e-9):
        why = f"at step total = {total} the factor should reach 0, got {got[total]:.4f}."
    elif all(
        math.isclose(a, b, abs_tol=1e-9)
        for (w, _), ra, rb in zip(_SCHEDULE_CASES, got_all, want_all, strict=True)
        for a, b in zip(ra[w:], rb[w:], strict=True)
    ):
        first = next(i for i in range(warmup) if not math.isclose(got[i], want_all[0][i]))
        why = (
            f"the cosine part is right, the warm-up is not: step {first} should give "
            f"{want_all[0][first]:.4f}, got {got[first]:.4f}. For step < warmup return "
            "(step + 1) / warmup (a branch of its own, before the cosine)."
        )
    else:
        wrong = [
            (i, a, b)
            for i, (a, b) in enumerate(zip(got, want_all[0], strict=True))
            if not math.isclose(a, b, abs_tol=1e-9)
        ]
        i, a, b = wrong[0]
        why = f"with warmup={warmup}, total={total}: step {i} should give {b:.4f}, got {a:.4f}."
    raise ExerciseError(f"warmup_cosine: {why}")


# --- exercise 5: one AdamW step ----------------------------------------------------------------


def _adam_variant(
    w, grad, m, v, t, lr, weight_decay, *, mode="adamw", betas=(0.9, 0.999), eps=1e-8
):
    beta1, beta2 = betas
    if mode == "l2":
        grad = grad + weight_decay * w
    if mode in ("adamw", "no_bias_correction"):
        w = w * (1 - lr * weight_decay)
    if mode == "no_lr":
        w = w * (1 - weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    if mode == "no_bias_correction":
        step = m / (v.sqrt() + eps)
    else:
        step = (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps)
    w = w - lr * step
    if mode == "after":
        w = w * (1 - lr * weight_decay)
    return w, m, v


def check_adamw_step(
    adamw_step: Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
) -> None:
    """Check ``adamw_step(w, grad, m, v, t, lr, weight_decay)`` against ``torch.optim.AdamW``."""
    _require_function("adamw_step", adamw_step, "(w, grad, m, v, t, lr, weight_decay)")
    generator = torch.Generator().manual_seed(5)
    w0 = torch.randn(6, generator=generator, dtype=torch.float64) * 3
    grads = [torch.randn(6, generator=generator, dtype=torch.float64) for _ in range(3)]
    lr, weight_decay = 0.1, 0.5
    param = w0.clone().requires_grad_()
    optimizer = torch.optim.AdamW([param], lr=lr, weight_decay=weight_decay)
    w, m, v = w0.clone(), torch.zeros(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64)
    runs = {
        mode: (w0.clone(), m.clone(), v.clone())
        for mode in ("l2", "no_lr", "after", "no_bias_correction")
    }
    for t, grad in enumerate(grads, start=1):
        out = adamw_step(w.clone(), grad.clone(), m.clone(), v.clone(), t, lr, weight_decay)
        require_filled("adamw_step(...)", out)
        if not (isinstance(out, tuple) and len(out) == 3):
            raise ExerciseError("adamw_step should return the triple (w, m, v) after the step.")
        for name, value in zip(("w", "m", "v"), out, strict=True):
            require_filled(f"the {name} that adamw_step returns", value)
        previous_m, previous_v = m, v
        w, m, v = (torch.as_tensor(x, dtype=torch.float64).detach() for x in out)
        new_m = 0.9 * previous_m + 0.1 * grad
        new_v = 0.999 * previous_v + 0.001 * grad**2
        if torch.allclose(m, new_m / (1 - 0.9**t)) or torch.allclose(v, new_v / (1 - 0.999**t)):
            raise ExerciseError(
                f"adamw_step at step t = {t}: the m and v it returns are the bias-corrected "
                "m_hat and v_hat. Return the moments m and v themselves: they carry over to the "
                "next step, and the bias correction is applied afresh at every step."
            )
        if torch.equal(m, previous_m) or torch.equal(v, previous_v):
            raise ExerciseError(
                f"adamw_step at step t = {t}: m or v comes back unchanged; return the updated "
                "moments, m = beta1 * m + (1 - beta1) * grad and v = beta2 * v + "
                "(1 - beta2) * grad**2, so that the next step starts from them."
            )
        param.grad = grad.clone()
        optimizer.step()
        runs = {
            mode: _adam_variant(*state[:1], grad, *state[1:], t, lr, weight_decay, mode=mode)
            for mode, state in runs.items()
        }
        if torch.allclose(w, param.detach(), rtol=1e-6, atol=1e-9):
            continue
        where = f"at step t = {t}"
        for mode, why in [
            (
                "l2",
                "you added weight_decay * w to the gradient: that is Adam's L2 penalty, "
                "normalised by sqrt(v_hat) with the rest. AdamW shrinks w directly: "
                "w <- w - lr * weight_decay * w, apart from the Adam step.",
            ),
            (
                "no_lr",
                "the decay is missing the factor lr: PyTorch's AdamW shrinks by "
                "(1 - lr * weight_decay), not (1 - weight_decay).",
            ),
            (
                "after",
                "the decay is applied after the Adam step, to the updated w; AdamW "
                "shrinks the weights from before the step (w * (1 - lr * weight_decay), "
                "then subtract lr * m_hat / (sqrt(v_hat) + eps)).",
            ),
            (
                "no_bias_correction",
                "no bias correction: divide m by (1 - beta1**t) and v by "
                "(1 - beta2**t) before the step (t counts from 1).",
            ),
        ]:
            if torch.allclose(w, runs[mode][0], rtol=1e-6, atol=1e-9):
                raise ExerciseError(f"adamw_step {where}: {why}")
        raise ExerciseError(
            f"adamw_step {where}: w differs from torch.optim.AdamW by up to "
            f"{(w - param.detach()).abs().max().item():.2e}. Check the order: decay, then m and "
            "v, then the bias corrections, then the step."
        )
    correct("three adamw_step calls match torch.optim.AdamW (decoupled decay, times lr).")


# --- exercise 6: inverted dropout ---------------------------------------------------------------


def check_dropout(dropout: Callable[[torch.Tensor, float, bool], torch.Tensor]) -> None:
    """Check ``dropout(x, p, training)``: PyTorch's inverted dropout, ``p`` the drop probability."""
    _require_function("dropout", dropout, "(x, p, training)")
    x = torch.full((200_000,), 2.0)
    original = x.clone()
    p = 0.2
    torch.manual_seed(0)
    out = dropout(x, p, True)
    require_filled("dropout(...)", out)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        raise ExerciseError("dropout should return a tensor of the shape of x.")
    if not torch.equal(x, original):
        raise ExerciseError("dropout changed x in place: build a new tensor (x * mask / ...).")
    zero = (out == 0).float().mean().item()
    survivors = out[out != 0]
    if abs(zero - (1 - p)) < 0.01:
        raise ExerciseError(
            f"{zero:.0%} of the entries are zeroed with p = {p}: p is the *drop* probability in "
            "PyTorch (keep with probability 1 - p)."
        )
    if abs(zero - p) > 0.01:
        raise ExerciseError(
            f"with p = {p}, about {p:.0%} of the entries should be zeroed, got {zero:.1%}."
        )
    if survivors.numel() and torch.allclose(survivors, torch.full_like(survivors, 2.0)):
        raise ExerciseError(
            "the survivors are not rescaled: multiply them by 1 / (1 - p) in training mode, so "
            "that each entry's expectation is unchanged; evaluation mode then returns x "
            "unchanged (PyTorch scales during training, not at evaluation)."
        )
    if survivors.numel() and torch.allclose(survivors, torch.full_like(survivors, 2.0 / p)):
        raise ExerciseError("the survivors are divided by p: divide by the keep probability 1 - p.")
    if not torch.allclose(survivors, torch.full_like(survivors, 2.0 / (1 - p))):
        raise ExerciseError("each survivor should be x / (1 - p).")
    if not torch.equal(dropout(x, p, False), x):
        raise ExerciseError(
            "in evaluation mode (training=False) dropout is the identity: return x."
        )
    if not torch.equal(dropout(x, 0.0, True), x):
        raise ExerciseError("with p = 0 nothing is dropped: the output should equal x.")
    correct(
        f"dropout zeroes {zero:.1%} of the entries with p = {p} and scales survivors by 1/(1-p)."
    )
