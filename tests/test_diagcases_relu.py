"""The benchmark oracle's curvature on ReLU networks (benchmarks/diagcases/pwlinear.py, README DECISION 18):
differences of its own frozen-pattern gradient match the exact generalized Hessian (ReLU'' = 0), where plain
differences of the gradient cross a kink; smooth losses keep exactly the old computation; relabel.py rewrites
only the lines whose label changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.diagcases import curvature, limits, pwlinear, relabel
from benchmarks.diagcases.build import CASES
from benchmarks.diagcases.oracle import compact, final_label


def _mlp(hidden, activation="relu", l2=0.0):
    from lrtui.core.losses import build_loss

    return build_loss("mlp", dataset="circles", hidden=hidden, activation=activation, l2=l2, seed=3,
                      n_samples=200, data_seed=5)


def _exact_hessian(loss, w):
    """The reference: lrtui's R-operator (exact Hessian-vector products, ReLU'' = 0), column by column. The
    oracle never uses it; here it only grades the oracle."""
    n = w.size
    hess = loss.hvp(np.repeat(w[None, :], n, axis=0), np.eye(n))
    return 0.5 * (hess + hess.T)


def _next_to_a_kink(loss, w, unit):
    """w with first-layer `unit`'s bias moved so that the pre-activation of the sample nearest its kink is h/4
    above 0: a central difference of step h along that bias crosses the kink (h: curvature.py's step)."""
    w = w.copy()
    first = loss.layers[0]
    x = loss.dataset.x_train
    weights = w[first.weight].reshape(first.fan_out, first.fan_in)
    nearest = int(np.argmin(np.abs(x @ weights[unit] + w[first.bias.start + unit])))
    h = curvature.REL_STEP * max(1.0, float(np.linalg.norm(w)))
    w[first.bias.start + unit] = h / 4.0 - float(weights[unit] @ x[nearest])
    return w


def test_frozen_pattern_gradient_is_lrtuis_gradient_at_the_base_point():
    loss = _mlp([8, 8], l2=1e-3)
    w = loss.start + 0.3 * np.random.default_rng(0).standard_normal(loss.n_params)
    frozen = pwlinear.model_gradient(loss, w)
    assert isinstance(frozen, pwlinear.FrozenReluGradient)
    np.testing.assert_allclose(frozen(w[None])[0], loss.value_and_grad(w[None])[1][0], rtol=1e-10, atol=1e-14)
    # Smooth networks and other losses keep lrtui's own gradient (the old computation, unchanged).
    for smooth in (_mlp([8], "tanh"), _mlp([8], "sigmoid")):
        assert not isinstance(pwlinear.model_gradient(smooth, smooth.start), pwlinear.FrozenReluGradient)


def test_relu_sharpness_next_to_a_kink_matches_the_exact_hessian():
    """42 parameters (the full difference Hessian): plain differences report 3.6 times the sharpness; the
    frozen pattern's agree with the exact one to 1e-6."""
    loss = _mlp([8])
    w = _next_to_a_kink(loss, loss.start, unit=2)
    exact = np.linalg.eigvalsh(_exact_hessian(loss, w))
    plain = lambda p: loss.value_and_grad(np.atleast_2d(p))[1]  # noqa: E731
    lo_plain, hi_plain, _ = curvature.extremes(plain, w)
    assert hi_plain > 3 * exact[-1]  # the failure the frozen pattern fixes: one sample's kink
    lo, hi, method = curvature.extremes(pwlinear.model_gradient(loss, w), w)
    assert method == "fd-full"
    assert hi == pytest.approx(exact[-1], rel=1e-6) and lo == pytest.approx(exact[0], rel=1e-5, abs=1e-8)


def test_relu_preconditioned_lanczos_matches_the_exact_top_eigenvalue():
    """354 parameters (Lanczos), Adagrad-like P^-1 spanning four decades: the cap's s_end, as the oracle
    measures it, against the exact top eigenvalue of P^-1/2 H P^-1/2."""
    loss = _mlp([16, 16])
    w = _next_to_a_kink(loss, loss.start, unit=6)
    inv = 10.0 ** np.random.default_rng(2).uniform(-2, 2, loss.n_params)
    s = np.sqrt(inv)
    exact = np.linalg.eigvalsh(s[:, None] * _exact_hessian(loss, w) * s[None, :])[-1]
    plain = lambda p: loss.value_and_grad(np.atleast_2d(p))[1]  # noqa: E731
    assert limits.s_end_of(plain, w, inv) > 5 * exact  # 11.6x: the kink, stepped along P^-1/2 directions
    assert limits.s_end_of(pwlinear.model_gradient(loss, w), w, inv) == pytest.approx(exact, rel=1e-5)


@pytest.fixture(scope="module")
def stored() -> list[dict]:
    return [json.loads(line) for line in Path(CASES).read_text().splitlines() if line.strip()]


def test_a_smooth_model_case_keeps_its_stored_label(stored):
    """A cheap sigmoid MLP of the stored file, labelled again: same label, clause, G and curvature."""
    item = next(i for i in stored if i["seed"] == 804)
    assert item["case"]["loss"]["activation"] == "sigmoid"
    out = compact(final_label(item["case"]))
    assert (out["label"], out["clause"], out["G"]) == (item["label"], item["clause"], item["G"])
    assert out["s_end"] == item["evidence"]["s_end"] and "relabelled" not in item


def test_relabel_rewrites_only_changed_selected_lines(stored, tmp_path, capsys):
    relu = next(i for i in stored if i["seed"] == 1065)  # a cheap ReLU case
    smooth = next(i for i in stored if i["seed"] == 804)
    assert relabel._is_relu(relu) and not relabel._is_relu(smooth)
    wrong = dict(relu, label="diverged", clause="1:G>4")  # as if an oracle fault had labelled it
    lines = [json.dumps(relu) + "\n", json.dumps(wrong) + "\n", json.dumps(dict(smooth, label="diverged")) + "\n"]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(lines))
    assert relabel.main(["--select", "relu", "--quiet", str(path)]) == 0
    assert capsys.readouterr().out == "1\n"
    after = path.read_text().splitlines(keepends=True)
    assert after[0] == lines[0] and after[2] == lines[2]  # unchanged and unselected lines: byte for byte
    fixed = json.loads(after[1])
    assert (fixed["label"], fixed["clause"]) == (relu["label"], relu["clause"])
    assert fixed["relabelled"] == relabel.REASON and fixed["case"] == relu["case"]
    assert relabel.main(["--select", "relu", str(path)]) == 0  # nothing more to change
    assert "2 selected, 0 rewritten, 0 errors" in capsys.readouterr().out
