"""The checks of notebook 04's exercises pass a right answer and diagnose each typical mistake."""

from __future__ import annotations

import math

import pytest
import torch

from helpers.checks import ExerciseError
from helpers.checks.training import (
    check_accuracy,
    check_adamw_step,
    check_dropout,
    check_early_stop,
    check_publish,
    check_warmup_cosine,
    reference_early_stop,
)

# --- exercise 1: early stopping with min_delta and start_from_epoch ---------------------------


def early_stop(valid_loss, patience, min_delta=0.0, start_from_epoch=0):
    best, restored, waited = math.inf, None, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if epoch <= start_from_epoch:
            continue
        if loss < best - min_delta:
            best, restored, waited = loss, epoch, 0
        else:
            waited += 1
        if waited == patience:
            return epoch, restored
    return None, restored


def _variant(**changes):
    def answer(valid_loss, patience, min_delta=0.0, start_from_epoch=0):
        start = changes.get("start", lambda s: s)(start_from_epoch)
        delta = changes.get("delta", lambda d: d)(min_delta)
        best, restored, waited = math.inf, None, 0
        for epoch, loss in enumerate(valid_loss, start=1):
            if epoch <= start:
                if changes.get("counted"):
                    waited += 1
                    if waited == patience:
                        return epoch, restored
                continue
            improves = loss <= best - delta if changes.get("ties") else loss < best - delta
            if improves:
                best, restored, waited = loss, epoch, 0
            else:
                if changes.get("creeping") and loss < best:
                    best = loss
                waited += 1
            if waited == patience + changes.get("late", 0):
                return epoch, epoch if changes.get("keep_last") else restored
        return None, restored

    return answer


def stop_lecture_like(valid_loss, patience, min_delta=0.0, start_from_epoch=0):
    return (5, 5)


def stop_single_number(valid_loss, patience, min_delta=0.0, start_from_epoch=0):
    return early_stop(valid_loss, patience, min_delta, start_from_epoch)[0]


def stop_unfilled(valid_loss, patience, min_delta=0.0, start_from_epoch=0): ...


def test_the_reference_rule_passes_and_matches_the_student_example(capsys):
    check_early_stop(early_stop)
    assert capsys.readouterr().out.startswith("Correct:")
    curve = [1.0, 0.95, 0.91, 0.87, 0.84, 0.80, 0.79, 0.78, 0.77]
    assert reference_early_stop(curve, 3, 0.06) == (8, 5)
    assert _variant(creeping=True)(curve, 3, 0.06) == (4, 1)
    # the ignored epochs neither count towards patience nor set the best (the student's case)
    assert reference_early_stop([5, 5, 5, 1, 2, 3], 3, 0.0, 3) == (None, 4)
    assert _variant(counted=True)([5, 5, 5, 1, 2, 3], 3, 0.0, 3) == (3, None)


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (_variant(creeping=True), "follows every new low"),
        (_variant(ties=True), "strictly lower"),
        (_variant(delta=lambda d: 0.0), "min_delta is ignored"),
        (_variant(start=lambda s: 0), "start_from_epoch is ignored"),
        (_variant(start=lambda s: max(s - 1, 0)), "one epoch too few"),
        (_variant(start=lambda s: s + 1 if s else 0), "one epoch too many"),
        (_variant(keep_last=True), "keeps the last weights"),
        (_variant(late=1), "one epoch late"),
        (_variant(counted=True), "ignored epochs 1 to start_from_epoch count towards patience"),
        (stop_lecture_like, "expected \\(stop, restored\\)"),
        (stop_single_number, "pair \\(stop, restored\\)"),
        (stop_unfilled, "not filled in"),
        (..., "not filled in"),
    ],
)
def test_wrong_stopping_rules_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_early_stop(answer)


# --- exercise 2: accuracy over a loader --------------------------------------------------------


def accuracy(model, loader):
    was_training = model.training
    model.eval()
    right, count = 0, 0
    with torch.no_grad():
        for X_batch, y_batch in loader:
            right += (model(X_batch).argmax(dim=1) == y_batch).sum().item()
            count += len(y_batch)
    model.train(was_training)
    return right / count


def accuracy_in_training_mode(model, loader):
    with torch.no_grad():
        return sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader) / 10


def accuracy_with_graph(model, loader):
    model.eval()
    value = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader) / 10
    model.train()
    return value


def accuracy_plain_mean(model, loader):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        values = [(model(x).argmax(dim=1) == y).float().mean().item() for x, y in loader]
    model.train(was_training)
    return sum(values) / len(values)


def accuracy_per_batch_count(model, loader):
    return accuracy(model, loader) * 10 / len(loader)


def accuracy_count(model, loader):
    return accuracy(model, loader) * 10


def accuracy_left_in_eval(model, loader):
    value = accuracy(model, loader)
    model.eval()
    return value


def accuracy_always_train(model, loader):
    value = accuracy(model, loader)
    model.train()
    return value


def accuracy_wrong_dim(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(dim=0) == y).sum().item() for x, y in loader) / 10


def accuracy_tensor(model, loader):
    return torch.tensor(accuracy(model, loader))


def test_the_reference_accuracy_passes(capsys):
    check_accuracy(accuracy)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (accuracy_in_training_mode, "training mode"),
        (accuracy_with_graph, "built a graph"),
        (accuracy_plain_mean, "plain mean of the batch accuracies"),
        (accuracy_count, "number of right answers"),
        (accuracy_per_batch_count, "len\\(loader\\), the number of batches"),
        (accuracy_left_in_eval, "left in eval mode"),
        (accuracy_always_train, "not always model.train"),
        (accuracy_wrong_dim, "argmax\\(dim=1\\)"),
        (accuracy_tensor, "Python float"),
        (lambda model, loader: None, "not filled in"),
    ],
)
def test_wrong_accuracies_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_accuracy(answer)


# --- exercise 3: the number to publish ---------------------------------------------------------


def publish(valid, test):
    k, s, e = valid.shape
    flat_valid = valid.permute(1, 0, 2).reshape(s, k * e)
    flat_test = test.permute(1, 0, 2).reshape(s, k * e)
    return flat_test[torch.arange(s), flat_valid.argmin(dim=1)]


def publish_validation(valid, test):
    return valid.permute(1, 0, 2).flatten(1).min(dim=1).values


def publish_test_minimum(valid, test):
    return test.permute(1, 0, 2).flatten(1).min(dim=1).values


def publish_last_epoch(valid, test):
    chosen = valid[:, :, -1].argmin(dim=0)
    return test[chosen, torch.arange(valid.shape[1]), -1]


def publish_reshape_without_permute(valid, test):
    k, s, e = valid.shape
    chosen = valid.reshape(s, k * e).argmin(dim=1)
    return test.reshape(s, k * e)[torch.arange(s), chosen]


def publish_one_choice(valid, test):
    k, s, e = valid.shape
    pair = valid.mean(dim=1).flatten().argmin()
    return test.permute(1, 0, 2).reshape(s, k * e)[:, pair]


def publish_setting_then_epoch(valid, test):
    seeds = torch.arange(valid.shape[1])
    setting = valid[:, :, -1].argmin(dim=0)
    epoch = valid[setting, seeds].argmin(dim=1)
    return test[setting, seeds, epoch]


def publish_mean(valid, test):
    return publish(valid, test).mean()


def test_the_reference_publish_passes(capsys):
    check_publish(publish)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (publish_validation, "selection bias"),
        (publish_test_minimum, "chooses with the test set"),
        (publish_last_epoch, "last epoch only"),
        (publish_reshape_without_permute, "permute\\(1, 0, 2\\)"),
        (publish_one_choice, "one choice for all seeds"),
        (publish_setting_then_epoch, "then the epoch within it"),
        (publish_mean, "one number per seed"),
        (lambda valid, test: test[0, :, 0], "expected"),
        (lambda valid, test: ..., "not filled in"),
    ],
)
def test_wrong_reports_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_publish(answer)


# --- exercise 4: warm-up then cosine -----------------------------------------------------------


def warmup_cosine(step, warmup, total):
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def test_the_reference_schedule_passes_and_drives_lambda_lr(capsys):
    check_warmup_cosine(warmup_cosine)
    assert capsys.readouterr().out.startswith("Correct:")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: warmup_cosine(t, 4, 10))
    seen = []
    for _ in range(10):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert math.isclose(seen[0], 0.025) and math.isclose(seen[3], 0.1) and seen[-1] < 0.01


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (lambda t, w, n: t / w if t < w else warmup_cosine(t, w, n), "0 at step 0"),
        (
            lambda t, w, n: (
                warmup_cosine(t, w, n) if t < w else math.cos(math.pi * (t - w) / (n - w))
            ),
            "goes negative",
        ),
        (
            lambda t, w, n: (
                warmup_cosine(t, w, n) if t < w else 0.5 * (1 + math.cos(math.pi * t / n))
            ),
            "from the end of the warm-up",
        ),
        (
            lambda t, w, n: (
                warmup_cosine(t, w, n) if t < w else 0.5 * (1 + math.cos(math.pi * (t - w) / n))
            ),
            "reach 0",
        ),
        (lambda t, w, n: min(1.0, (t + 1) / w) if t < n else 0.0, "should reach 0|should give"),
        (lambda t, w, n: torch.tensor(warmup_cosine(t, w, n)), "Python float, got a tensor"),
        (
            lambda t, w, n: 0.5 * (1 + math.cos(math.pi * (t - w) / (n - w))),
            "the warm-up is not",
        ),
        (lambda t, w, n: None, "not filled in"),
    ],
)
def test_wrong_schedules_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_warmup_cosine(answer)


# --- exercise 5: one AdamW step ----------------------------------------------------------------


def adamw_step(w, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8, *, mode="right"):
    beta1, beta2 = betas
    m_in, v_in = m, v
    if mode == "l2":
        grad = grad + weight_decay * w
    elif mode == "no_lr":
        w = w * (1 - weight_decay)
    elif mode != "after":
        w = w * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    if mode == "no_bias_correction":
        w = w - lr * m / (v.sqrt() + eps)
    else:
        w = w - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps)
    if mode == "after":
        w = w * (1 - lr * weight_decay)
    if mode == "stale_moments":
        return w, m_in, v_in
    if mode == "bias_corrected_moments":
        return w, m / (1 - beta1**t), v / (1 - beta2**t)
    return w, m, v


def test_the_reference_adamw_step_passes(capsys):
    check_adamw_step(adamw_step)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("mode", "diagnosis"),
    [
        ("l2", "Adam's L2 penalty"),
        ("no_lr", "missing the factor lr"),
        ("after", "after the Adam step"),
        ("no_bias_correction", "no bias correction"),
        ("stale_moments", "comes back unchanged"),
        ("bias_corrected_moments", "bias-corrected m_hat and v_hat"),
    ],
)
def test_wrong_adamw_steps_are_diagnosed(mode, diagnosis):
    def answer(w, grad, m, v, t, lr, weight_decay):
        return adamw_step(w, grad, m, v, t, lr, weight_decay, mode=mode)

    with pytest.raises(ExerciseError, match=diagnosis):
        check_adamw_step(answer)


def test_unfilled_or_malformed_adamw_steps_are_diagnosed():
    with pytest.raises(ExerciseError, match="not filled in"):
        check_adamw_step(lambda w, grad, m, v, t, lr, weight_decay: None)
    with pytest.raises(ExerciseError, match="triple"):
        check_adamw_step(lambda w, grad, m, v, t, lr, weight_decay: w)
    with pytest.raises(ExerciseError, match=r"adamw_step\(\.\.\.\) is not filled in"):
        check_adamw_step(lambda w, grad, m, v, t, lr, weight_decay: (..., ..., ...))
    with pytest.raises(ExerciseError, match="the v that adamw_step returns is not filled in"):
        check_adamw_step(lambda w, grad, m, v, t, lr, weight_decay: (w, m, ...))


# --- exercise 6: inverted dropout --------------------------------------------------------------


def dropout(x, p, training):
    if not training or p == 0:
        return x
    keep = (torch.rand(x.shape) >= p).float()
    return x * keep / (1 - p)


def dropout_keep_convention(x, p, training):
    return dropout(x, 1 - p, training) if training else x


def dropout_no_rescale(x, p, training):
    return dropout(x, p, training) * (1 - p) if training else x


def dropout_divided_by_p(x, p, training):
    return dropout(x, p, training) * (1 - p) / p if training and p else x


def dropout_scaled_at_eval(x, p, training):
    return dropout(x, p, True) * (1 - p) if training else x * (1 - p)


def dropout_in_eval(x, p, training):
    return dropout(x, p, True)


def dropout_in_place(x, p, training):
    x.mul_(1.0)
    x[0] = 0.0
    return dropout(x, p, training)


def test_the_reference_dropout_passes(capsys):
    check_dropout(dropout)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (dropout_keep_convention, "drop\\* probability"),
        (dropout_no_rescale, "not rescaled"),
        (dropout_scaled_at_eval, "not rescaled.*evaluation mode then returns x"),
        (dropout_divided_by_p, "divided by p"),
        (dropout_in_eval, "identity"),
        (dropout_in_place, "in place"),
        (lambda x, p, training: x * 0, "should be zeroed"),
        (lambda x, p, training: None, "not filled in"),
    ],
)
def test_wrong_dropouts_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_dropout(answer)
