"""The curve-only rules on synthetic curves: each failure is found at its step, and mini-batch
noise on a healthy run never raises a warning."""

import re
from pathlib import Path

import numpy as np
import pytest

from lrtui.core.diagnostics import curve
from lrtui.core.diagnostics.curve import diagnose_curve
from lrtui.core.diagnostics.types import HEALTHY, VERDICTS
from lrtui.core.smoothing import debiased_ema

N = 1000
T = np.linspace(0.0, 1.0, N)


def noisy(clean, sigma, seed=0, heavy=False):
    """Multiplicative mini-batch noise: log-normal, or Student-t(3) tails when heavy."""
    rng = np.random.default_rng(seed)
    z = rng.standard_t(3, clean.size) / 1.7 if heavy else rng.standard_normal(clean.size)
    return clean * np.exp(sigma * z)


def alarms(report):
    return [d for d in report.diagnoses if d.severity != "info"]


@pytest.mark.parametrize("sigma", [0.05, 0.2, 0.5, 1.0])
def test_noisy_exponential_decay_is_healthy_at_every_noise_level(sigma):
    for seed in range(6):
        for clean in (2.3 * np.exp(-5 * T), 0.05 + 2.25 * np.exp(-10 * T), 2.3 * (1 + 100 * T) ** -0.5):
            report = diagnose_curve(noisy(clean, sigma, seed, heavy=seed % 2 == 1))
            assert report.verdict in HEALTHY, (sigma, seed, report.diagnoses[0].message)
            assert not alarms(report), [d.message for d in alarms(report)]


def test_noise_alone_never_looks_like_oscillation():
    for seed in range(40):
        n = (60, 200, 1000, 3000)[seed % 4]
        t = np.linspace(0.0, 1.0, n)
        report = diagnose_curve(noisy(0.02 + 2.3 * np.exp(-30 * t), 1.0, seed, heavy=seed % 3 == 0))
        assert report.verdict != "oscillating"
        assert not alarms(report), report.diagnoses[0].message


def test_a_bounce_on_a_falling_curve_is_not_oscillating():
    # Edge of stability: the loss bounces step to step but keeps falling over the long run.
    bounce = 0.2 * (-1.0) ** np.arange(N)
    report = diagnose_curve(2.3 * np.exp(-3 * T) * np.exp(bounce + 0.05 * np.random.default_rng(1).standard_normal(N)))
    assert report.verdict == "improving"


def test_blow_up_is_diverged_from_the_step_it_left_its_best():
    clean = 2.3 * np.exp(-5 * T)
    clean[600:] = clean[600] * 1.05 ** np.arange(400)  # 4x its best by step 628
    report = diagnose_curve(noisy(clean, 0.1))
    assert report.verdict == "diverged"
    main = report.diagnoses[0]
    assert main.severity == "error" and 610 <= main.step <= 660
    assert main.suggestion == {"optimizer.lr_factor": 0.1}


def test_nan_is_diverged_at_the_nan_step_in_the_logs_own_units():
    loss = noisy(2.3 * np.exp(-3 * T), 0.1)
    loss[437:] = np.nan
    report = diagnose_curve(loss, steps=10 * np.arange(N) + 5, lr=np.full(N, 0.3))
    assert report.verdict == "diverged"
    assert report.diagnoses[0].step == 4375
    assert "nan" in report.diagnoses[0].message
    assert report.diagnoses[0].suggestion == {"optimizer.lr": 0.03}


def test_an_infinite_first_value_is_diverged_at_once():
    report = diagnose_curve([np.inf, np.inf])
    assert report.verdict == "diverged" and report.diagnoses[0].step == 0


@pytest.mark.parametrize("sigma", [0.0, 0.02, 0.05])
def test_slow_linear_creep_is_too_slow(sigma):
    report = diagnose_curve(noisy(2.3 - 0.3 * T, sigma, seed=2), lr=np.full(N, 1e-4))
    assert report.verdict == "too_slow"
    assert report.diagnoses[0].suggestion == {"optimizer.lr": 0.001}
    assert "more steps" in report.diagnoses[0].message


@pytest.mark.parametrize("sigma", [0.0, 0.1, 0.5])
def test_flat_high_is_a_plateau(sigma):
    report = diagnose_curve(noisy(np.full(N, 2.3), sigma, seed=3))
    assert report.verdict == "plateau"
    assert report.diagnoses[0].step == 0
    # Flat from the first step at its initial value: the LR too low, or a model that is not learning.
    assert report.diagnoses[0].fix == {"optimizer.lr_factor": 10.0}
    assert "too low" in report.diagnoses[0].message and "not learning" in report.diagnoses[0].message


def test_a_plateau_after_an_early_rise_points_to_a_too_high_lr():
    clean = np.concatenate([np.linspace(2.3, 9.0, 10), np.linspace(9.0, 2.31, 20), np.full(N - 30, 2.31)])
    report = diagnose_curve(noisy(clean, 0.03, seed=4), lr=np.full(N, 0.1))
    assert report.verdict == "plateau"
    assert report.diagnoses[0].suggestion == {"optimizer.lr": 0.01}


@pytest.mark.parametrize("sigma", [0.0, 0.1, 0.4])
def test_decay_then_flat_is_converged(sigma):
    report = diagnose_curve(noisy(0.08 + 2.2 * np.exp(-25 * T), sigma, seed=5))
    assert report.verdict == "converged"
    assert report.diagnoses[0].step < 600  # flat since well before the end


@pytest.mark.parametrize("sigma", [0.0, 0.05, 0.1])
def test_period_two_bounce_at_a_high_level_is_oscillating(sigma):
    clean = np.where(T < 0.05, 20.0 - 330 * T, 3.6 + 0.6 * (-1.0) ** np.arange(N))
    report = diagnose_curve(noisy(clean, sigma, seed=6), lr=np.full(N, 0.025))
    assert report.verdict == "oscillating"
    main = report.diagnoses[0]
    assert main.severity == "warning" and 30 <= main.step <= 80
    assert main.suggestion == {"optimizer.lr": 0.012}
    assert "alternate" in main.explanation


def test_a_loss_that_rises_and_stays_up_is_unstable():
    clean = (0.05 + 2.25 * np.exp(-20 * T)) * np.where(T < 0.5, 1.0, 3.0)
    report = diagnose_curve(noisy(clean, 0.1, seed=7))
    assert report.verdict == "oscillating"
    assert report.diagnoses[0].message.startswith("unstable")


def test_a_spike_that_recovers_is_information_not_divergence():
    clean = 2.3 * np.exp(-4 * T)
    clean[500:520] *= 30.0
    report = diagnose_curve(noisy(clean, 0.05, seed=8))
    assert report.verdict in HEALTHY
    spikes = [d for d in report.diagnoses if d.code == "loss_spike"]
    assert len(spikes) == 1 and spikes[0].severity == "info" and 495 <= spikes[0].step <= 505


def test_lr_cut_1000x_early_with_the_loss_freezing_is_a_too_aggressive_schedule():
    lr = np.where(T < 0.1, 0.1, 1e-4)
    clean = np.where(T < 0.1, 2.3 * np.exp(-10 * T), 2.3 * np.exp(-1.0) * np.exp(-0.01 * (T - 0.1)))
    report = diagnose_curve(noisy(clean, 0.05, seed=9), lr=lr)
    assert report.verdict == "schedule_too_aggressive"
    assert 95 <= report.diagnoses[0].step <= 105
    assert report.diagnoses[0].suggestion["schedule.type"] == "cosine"


def test_planned_decays_are_not_called_too_aggressive():
    step_decay = np.where(T < 0.5, 0.1, np.where(T < 0.75, 0.01, 0.001))
    cosine = 1e-3 * 0.5 * (1 + np.cos(np.pi * T))
    for lr in (step_decay, cosine):
        clean = 0.3 + 2.0 * np.exp(-6 * T) - 0.15 * (T >= 0.5)
        report = diagnose_curve(noisy(clean, 0.1, seed=10), lr=lr)
        assert report.verdict in HEALTHY, report.diagnoses[0].message
    # Without the LR column the same frozen curve is only a plateau-or-converged question.
    report = diagnose_curve(np.where(T < 0.1, 2.3 * np.exp(-10 * T), 2.3 * np.exp(-1.0)))
    assert report.verdict == "converged"


def test_val_loss_turning_up_is_overfitting_but_not_a_verdict():
    train = noisy(2.3 * np.exp(-5 * T), 0.2, seed=11)
    val = 0.6 + np.exp(-4 * T) + 1.5 * np.maximum(T - 0.5, 0) ** 2
    val_steps = np.arange(49, N, 50)
    report = diagnose_curve(train, val_loss=val[val_steps], val_steps=val_steps)
    assert report.verdict == "improving"
    found = [d for d in report.diagnoses if d.code == "overfitting"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert 500 <= found[0].step <= 750 and found[0].suggestion == {"steps": found[0].step}


@pytest.mark.parametrize("every", [1, 10, 50])
def test_a_noisy_val_loss_that_levels_off_is_not_overfitting(every):
    # A noisy evaluation wanders around its level; only a sustained climb is overfitting.
    for seed in range(12):
        val = noisy(0.3 + 2 * np.exp(-8 * T), (0.03, 0.2, 0.4)[seed % 3], seed=100 + seed)
        val_aligned = np.where(np.arange(N) % every == every - 1, val, np.nan)
        report = diagnose_curve(noisy(2.3 * np.exp(-5 * T), 0.3, seed=seed), val_loss=val_aligned)
        assert all(d.code != "overfitting" for d in report.diagnoses), (every, seed)


def test_the_same_curve_gets_the_same_verdict_whatever_the_step_units():
    loss = noisy(2.3 - 0.3 * T, 0.02, seed=2)
    verdicts = {diagnose_curve(loss, steps=scale * np.arange(N)).verdict for scale in (1, 7, 1000)}
    assert verdicts == {"too_slow"}


def test_a_loss_that_goes_negative_is_judged_too():
    report = diagnose_curve(noisy(2.3 * np.exp(-5 * T), 0.1, seed=13) - 0.25)
    assert report.verdict in HEALTHY


def test_a_short_log_is_not_judged_beyond_divergence():
    report = diagnose_curve([2.3, 2.0, 1.8, 1.7])
    assert report.verdict == "improving" and "too few points" in report.diagnoses[0].message
    assert diagnose_curve([2.3, 50.0, 3e3, 1e6]).verdict == "diverged"


def test_local_minimum_is_never_a_curve_only_verdict():
    shapes = [np.full(N, 2.3), 0.08 + 2.2 * np.exp(-25 * T), 2.3 - 0.3 * T,
              np.where(T < 0.3, 2.3 * np.exp(-10 * T), 0.3)]
    for clean in shapes:
        report = diagnose_curve(noisy(clean, 0.1, seed=14))
        assert report.verdict in VERDICTS and report.verdict != "local_minimum"


def test_the_report_carries_the_smoothing_it_used_and_says_curve_only():
    loss = noisy(2.3 * np.exp(-5 * T), 0.3, seed=15)
    report = diagnose_curve(loss)
    assert report.rules == "curve-only"
    assert 0.6 <= report.smoothing_weight <= 0.99
    np.testing.assert_allclose(report.smoothed, debiased_ema(loss, report.smoothing_weight))
    data = report.as_dict()
    assert set(data) == {"verdict", "diagnoses", "rules"} and data["rules"] == "curve-only"
    assert set(data["diagnoses"][0]) >= {"code", "step", "severity", "message", "explanation", "fix", "tried"}


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(loss=[]), "loss is empty"),
    (dict(loss=[1.0, 2.0], steps=[0]), "steps must have one entry"),
    (dict(loss=[1.0, 2.0], steps=[3, 1]), "non-decreasing"),
    (dict(loss=[1.0, 2.0], lr=[0.1]), "lr must have one entry"),
    (dict(loss=[1.0, 2.0], val_loss=[1.0]), "val_loss must have one entry"),
])
def test_bad_arguments_are_explained(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        diagnose_curve(**kwargs)


def test_every_threshold_and_setting_is_documented():
    from lrtui.core.diagnostics import curve_evidence, curve_lr, curve_schedule

    doc = (Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md").read_text()
    names = [name for module in (curve, curve_evidence, curve_lr, curve_schedule) for name, value in vars(module).items()
             if re.fullmatch(r"[A-Z][A-Z0-9_]+", name) and isinstance(value, (int, float))]
    assert len(names) >= 30
    missing = [name for name in names if f"`{name}`" not in doc]
    assert not missing, missing


# -- the cases issue 14 found ------------------------------------------------------------------------------------

def test_a_blow_up_that_goes_flat_far_above_its_start_is_diverged():
    # The digits MLP at lr 20: 2.3, then 4,147, then flat near 25 -- 10x its start, not "converged".
    loss = np.concatenate([[2.3, 4147.0, 300.0], noisy(np.full(57, 25.0), 0.03, seed=20)])
    report = diagnose_curve(loss)
    assert report.verdict == "diverged" and report.diagnoses[0].severity == "error"
    main = report.diagnoses[0]
    assert "where it started (2.3)" in main.message and main.fix == {"optimizer.lr_factor": 0.1}
    assert "was 2.3 at its best (step 0)" in main.explanation


def test_the_best_is_the_lowest_level_not_a_blown_up_window():
    loss = np.array([12.5 * 8.0 ** s for s in range(12)] + [np.nan, np.nan])
    report = diagnose_curve(loss)
    assert report.verdict == "diverged"
    assert "was 12.5 at its best (step 0)" in report.diagnoses[0].explanation


def test_swings_well_above_the_best_are_too_high():
    # Down to 0.22, then swinging between 0.57 and 1.25 for the rest of the run: "the LR is likely too high".
    rng = np.random.default_rng(21)
    first = 2.3 * np.exp(-np.linspace(0, 2.35, 300))
    swings = rng.uniform(0.57, 1.25, N - 300)
    report = diagnose_curve(np.concatenate([first, swings]), lr=np.full(N, 1.0))
    assert report.verdict == "oscillating"
    main = report.diagnoses[0]
    assert "the LR is likely too high" in main.message and main.fix["optimizer.lr"] < 1.0


def test_an_early_blow_up_after_three_good_points_is_diverged():
    loss = np.concatenate([[2.3, 2.2, 2.1], noisy(np.full(60, 2.1 * 25), 0.05, seed=22)])
    report = diagnose_curve(loss)
    assert report.verdict == "diverged", report.diagnoses[0].message


def test_validation_loss_tripling_over_19_noisy_epochs_is_overfitting():
    rng = np.random.default_rng(23)
    epochs = np.arange(1, 20)
    train = (0.03 + 0.04 * np.exp(-0.4 * (epochs - 1))) * np.exp(0.05 * rng.standard_normal(19))
    val = 0.0766 * (1 + 0.12 * np.maximum(epochs - 3, 0)) * np.exp(0.12 * rng.standard_normal(19))
    assert val[-3:].mean() > 2.5 * val[:3].mean()
    report = diagnose_curve(train, epochs, val_loss=val)
    found = [d for d in report.diagnoses if d.code == "overfitting"]
    assert len(found) == 1 and found[0].step <= 5 and found[0].fix == {"steps": found[0].step}


def test_the_explanation_says_what_the_lr_was_doing():
    # A linear warmup to 3e-3 over 100 steps: the loss falls, then blows up once the LR reaches its peak.
    steps = np.arange(N)
    lr = 3e-3 * np.minimum(1.0, (steps + 1) / 100)
    clean = np.where(steps < 100, 2.3 * np.exp(-steps / 80), 2.3 * np.exp(-100 / 80) * 1.08 ** (steps - 100))
    loss = noisy(clean, 0.02, seed=24)
    loss[loss > 1e30] = np.inf
    report = diagnose_curve(loss, steps, lr)
    main = report.diagnoses[0]
    assert report.verdict == "diverged"
    text = " ".join(main.explanation.split())
    assert "when the warmup reached its peak of 0.003" in text
    assert "lower the peak (about tenfold, to 0.0003) or lengthen the warmup" in text
    assert main.fix == {"optimizer.lr": 0.0003}


def test_a_decaying_schedule_does_not_hide_a_too_low_peak_lr():
    # Cosine decay over the run: the loss was still falling steadily, far from low, when the LR left its peak.
    lr = 1e-4 * 0.5 * (1 + np.cos(np.pi * T))
    progress = np.cumsum(lr) / np.sum(lr)
    report = diagnose_curve(noisy(2.3 * np.exp(-1.2 * progress), 0.02, seed=25), lr=lr)
    assert report.verdict == "too_slow"
    assert "when the schedule took the LR below half its peak" in report.diagnoses[0].message
    assert report.diagnoses[0].fix == {"optimizer.lr": 0.001}


def test_the_rules_are_one_ordered_table_over_typed_evidence():
    from dataclasses import fields

    from lrtui.core.diagnostics import curve_evidence
    from lrtui.core.diagnostics.rule_table import Rule, RuleTable

    assert isinstance(curve.TABLE, RuleTable) and all(isinstance(r, Rule) for r in curve.TABLE.entries)
    assert curve.TABLE.codes[0] == "diverged" and curve.TABLE.fallback.code == "improving"
    assert all(isinstance(r, Rule) for r in curve.FINDINGS)
    source = Path(curve.__file__).read_text() + Path(curve_evidence.__file__).read_text()
    assert "globals()" not in source and "SimpleNamespace" not in source
    names = {f.name for f in fields(curve_evidence.Thresholds)}
    assert {"diverge", "rise", "stalled", "slow_gap", "steady"} <= names


def test_thresholds_are_passed_not_read_from_globals():
    from lrtui.core.diagnostics.curve_evidence import Thresholds

    loss = noisy(np.full(N, 2.3), 0.01, seed=26) * np.where(T < 0.5, 1.0, 3.0)
    assert diagnose_curve(loss).verdict == "oscillating"  # 3x its start: below DIVERGE = 4, so unstable
    assert diagnose_curve(loss, thresholds=Thresholds(diverge=2.5)).verdict == "diverged"


def test_every_verdict_names_its_evidence_in_numbers():
    shapes = [np.full(N, 2.3), 0.08 + 2.2 * np.exp(-25 * T), 2.3 - 0.3 * T, 2.3 * np.exp(-5 * T)]
    for clean in shapes:
        for d in diagnose_curve(noisy(clean, 0.1, seed=27)).diagnoses:
            assert re.search(r"\d", d.explanation) and d.tried is None


def test_a_blow_up_at_the_second_step_does_not_move_the_start():
    # 0.7 at step 0, then steps at a huge LR throw it to 2-13 and it swings there (circles at lr 10): the start
    # is the first value, not the mean of the first two, so the verdict lowers the LR and never raises it.
    rng = np.random.default_rng(31)
    loss = np.concatenate([[0.705, 2.15, 12.8, 0.69, 0.705], 2.2 * np.exp(0.6 * rng.standard_normal(400))])
    report = diagnose_curve(loss)
    assert report.evidence["start_value"] == pytest.approx(0.705)
    assert report.verdict in ("diverged", "plateau", "oscillating"), report.diagnoses[0].message
    assert report.evidence["lr_factor"] < 1, report.diagnoses[0].message


def test_a_loss_that_falls_then_climbs_back_to_its_start_points_to_a_too_high_lr():
    # Down from 2.3 to about 1.2 in the first fifth, then back up to about 2.05 and flat: not "stayed near its
    # initial value" (which would raise the LR), but a plateau the LR caused.
    fall = 2.3 * np.exp(-np.linspace(0, 0.65, 200))
    back = 1.2 + 0.85 * (1 - np.exp(-np.linspace(0, 8, 100)))
    loss = noisy(np.concatenate([fall, back, np.full(N - 300, 2.05)]), 0.05, seed=32)
    report = diagnose_curve(loss, lr=np.full(N, 1.0))
    main = report.diagnoses[0]
    assert report.verdict == "plateau" and "climbed back" in main.message, main.message
    assert "too high" in main.message and main.fix["optimizer.lr"] < 1.0
    # ...while a loss that never left its start is still "stayed near its initial value", with a larger LR.
    flat = diagnose_curve(noisy(np.full(N, 2.3) * (1 - 0.02 * T), 0.05, seed=33), lr=np.full(N, 1e-5))
    assert "initial value" in flat.diagnoses[0].message and flat.evidence["lr_factor"] > 1


# -- phase 4 ------------------------------------------------------------------------------------------------------

def test_a_loss_thrown_up_at_the_first_step_starts_at_its_first_value():
    # 0.65 before any step, then 5-20 at once, swinging there (circles at lr 30): the first points agree within
    # their huge noise, but their median is 25x the first value, so the start is the first value and the run,
    # ending about 10x above it, is diverged, not "stayed near its initial value".
    rng = np.random.default_rng(41)
    loss = np.concatenate([[0.65, 17.8, 16.6, 0.9, 21.7], 7.0 * np.exp(0.8 * rng.standard_normal(500))])
    report = diagnose_curve(loss)
    assert report.evidence["start_value"] == pytest.approx(0.65)
    assert report.verdict == "diverged", report.diagnoses[0].message


@pytest.mark.parametrize("sigma", [0.5, 1.0])
def test_a_noisy_first_value_alone_does_not_become_the_start(sigma, monkeypatch):
    # Healthy noise up to a factor e per batch: a low first draw is no blow-up (the test allows for 2 deviations
    # of the noise), so the start stays the median of the agreeing first points, as without the test.
    from lrtui.core.diagnostics import curve_evidence

    curves = [noisy(2.3 * np.exp(-5.0 * T) + 0.05, sigma, seed=seed) for seed in range(40)]
    starts = [diagnose_curve(c).evidence["start_value"] for c in curves]
    monkeypatch.setattr(curve_evidence, "START_JUMP", float("inf"))
    assert starts == [diagnose_curve(c).evidence["start_value"] for c in curves]


def _cosine_run(gap_floor, seed, sigma=0.05):
    lr = 3e-3 * 0.5 * (1 + np.cos(np.pi * T))
    progress = np.cumsum(lr) / np.sum(lr)
    return noisy(2.3 * (gap_floor + (1 - gap_floor) * np.exp(-7.0 * progress)), sigma, seed=seed), lr


def test_a_loss_the_cosine_decay_barely_lowered_points_to_a_too_low_peak():
    # Still falling at 11% of its start when the cosine took the LR below half its peak, then only 1.3x lower
    # by the end, and flat there: the LR held nothing up; the loss stopped where the LR ran out.
    loss, lr = _cosine_run(0.085, seed=42, sigma=0.15)
    report = diagnose_curve(loss, lr=lr)
    assert report.verdict == "too_slow", report.diagnoses[0].message
    assert report.evidence["anneal_gain"] < 1.5
    assert report.diagnoses[0].fix == {"optimizer.lr": 0.03}


def test_a_loss_the_cosine_decay_lowered_well_is_healthy():
    # The same run reaching 1% of its start: well below DECAY_LOW when the LR halved.
    loss, lr = _cosine_run(0.005, seed=42, sigma=0.15)
    report = diagnose_curve(loss, lr=lr)
    assert not alarms(report), report.diagnoses[0].message


# -- phase 5 ------------------------------------------------------------------------------------------------------

def test_a_loss_thrown_far_up_by_the_first_steps_is_too_high_even_once_it_falls():
    # Full-batch Adam at lr 0.3 on the spiral: 0.7 before any step, 7x that for the next few steps, then a slow
    # recovery that ends at 40% of the start and is still falling. Not "improving": the first steps overshot.
    t = np.arange(N)
    clean = np.where(t < 1, 0.7, 0.7 * (0.4 + 6.6 * np.exp(-t / 4.0) + 0.6 * np.exp(-t / 300.0)))
    report = diagnose_curve(noisy(clean, 0.01, seed=51), lr=np.full(N, 0.3))
    main = report.diagnoses[0]
    assert report.verdict == "oscillating" and main.message.startswith("unstable: the loss shot up"), main.message
    assert report.evidence["lr_factor"] < 1 and main.fix == {"optimizer.lr": 0.09}
    # ...while the same jump of the healthy LR of that sweep (2.5x, not past THROWN) is left alone.
    healthy = np.where(t < 1, 0.7, 0.7 * (0.01 + 1.5 * np.exp(-t / 4.0) + 1.0 * np.exp(-t / 150.0)))
    assert diagnose_curve(noisy(healthy, 0.01, seed=52)).verdict in HEALTHY


def test_one_wild_early_batch_is_not_a_loss_thrown_up():
    # A single batch 10x up in the first steps (heavy-tailed noise has those) is a spike, not a thrown-up run.
    loss = noisy(0.1 + 2.2 * np.exp(-4 * T), 0.05, seed=53)
    loss[3] *= 10
    assert diagnose_curve(loss).verdict in HEALTHY


def test_a_first_value_below_every_noisy_point_after_it_is_the_start():
    # Circles at lr 10: 0.7 before any step, then mini-batch losses around 2.1 swinging by a factor 1.8, none
    # of the next 5% below 0.7. The swings hide the jump from the median test; being below all of them does not.
    rng = np.random.default_rng(54)
    rest = 2.1 * np.exp(0.6 * rng.standard_normal(499))
    loss = np.concatenate([[0.7], np.maximum(rest, 0.75)])
    report = diagnose_curve(loss)
    assert report.evidence["start_value"] == pytest.approx(0.7)
    assert report.evidence["lr_factor"] < 1, report.diagnoses[0].message


def _warmup_cosine(peak_fall, decay_fall, seed, sigma=0.1):
    """A warmup of 10% to the peak, then a cosine: the loss falls to 25% of its start during the warmup,
    `peak_fall` x more while the LR is above half its peak, and `decay_fall` x more over the decay."""
    steps = np.arange(N)
    lr = np.where(steps < 100, 3e-3 * (steps + 1) / 100, 3e-3 * 0.5 * (1 + np.cos(np.pi * (steps - 100) / 900)))
    half = int(np.flatnonzero(lr >= 1.5e-3)[-1])
    log_level = np.interp(steps, [0, 100, half, N - 1],
                          np.log([2.3, 0.575, 0.575 / peak_fall, 0.575 / peak_fall / decay_fall]))
    return noisy(np.exp(log_level), sigma, seed=seed), lr


def test_a_loss_that_falls_only_once_the_lr_decays_points_to_a_too_high_peak():
    # Adam at 0.3 under warmup and cosine: at the peak the loss fell 1.8x, then 4x over the decay.
    loss, lr = _warmup_cosine(1.8, 4.0, seed=55)
    report = diagnose_curve(loss, lr=lr)
    main = report.diagnoses[0]
    assert report.verdict == "oscillating" and "at its peak LR" in main.message, main.message
    assert report.evidence["peak_fall"] < 3 and report.evidence["decay_fall"] > 1.5
    assert main.fix == {"optimizer.lr": 0.0009}


@pytest.mark.parametrize("peak_fall, decay_fall", [(10.0, 5.0), (5.0, 1.2), (1.3, 1.1)])
def test_a_loss_that_falls_at_the_peak_or_not_at_the_decay_is_not_held_up(peak_fall, decay_fall):
    # A good peak drives the loss down while the LR is high; a loss that the decay did not lower was not held up.
    loss, lr = _warmup_cosine(peak_fall, decay_fall, seed=56)
    assert not diagnose_curve(loss, lr=lr).evidence["held_up"]


def test_a_validation_loss_back_near_its_best_at_the_last_evaluation_is_not_overfitting():
    # A bump of 15% that the last evaluation gave back (Adam on the spiral at lr 0.1): a wander, not a climb.
    val = np.array([0.71, 0.67, 0.59, 0.48, 0.32, 0.20, 0.192, 0.196, 0.193, 0.194, 0.195, 0.195, 0.195, 0.193,
                    0.188, 0.186, 0.179, 0.144, 0.137, 0.135, 0.134, 0.138, 0.147, 0.155, 0.153, 0.141])
    val_steps = np.linspace(0, N - 1, val.size).round()
    report = diagnose_curve(noisy(0.01 + 0.7 * np.exp(-6 * T), 0.1, seed=57), val_loss=val, val_steps=val_steps)
    assert all(d.code != "overfitting" for d in report.diagnoses)
    # ...and the same bump still up at the last evaluation is.
    val[-1] = 0.158
    report = diagnose_curve(noisy(0.01 + 0.7 * np.exp(-6 * T), 0.1, seed=57), val_loss=val, val_steps=val_steps)
    assert any(d.code == "overfitting" for d in report.diagnoses)
