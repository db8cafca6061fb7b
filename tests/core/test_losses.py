import numpy as np
import pytest

from lrtui.core.losses import LOSSES, build_loss
from lrtui.core.losses.quadratic import Quadratic

ANALYTIC = ["quadratic", "rosenbrock", "beale", "himmelblau", "rastrigin", "six_hump_camel", "saddle", "ackley"]


def sample_points(loss, count=25, seed=0):
    rng = np.random.default_rng(seed)
    w = loss.window
    if w is None:
        return rng.uniform(-2, 2, size=(count, loss.n_params))
    # Keep off the window's edge so finite differences stay inside a smooth region.
    xs = rng.uniform(w.x_min, w.x_max, count)
    ys = rng.uniform(w.y_min, w.y_max, count)
    return np.stack([xs, ys], axis=1)


def central_gradient(fn, points, h=1e-6):
    out = np.empty_like(points)
    for j in range(points.shape[1]):
        e = np.zeros(points.shape[1])
        e[j] = h
        out[:, j] = (fn(points + e) - fn(points - e)) / (2 * h)
    return out


@pytest.mark.parametrize("name", ANALYTIC)
def test_gradient_matches_finite_differences(name):
    loss = build_loss(name)
    points = sample_points(loss)
    grad = loss.grad(points)
    numeric = central_gradient(loss.value, points)
    scale = np.maximum(1.0, np.abs(grad))
    assert np.all(np.abs(grad - numeric) / scale < 1e-5), name


@pytest.mark.parametrize("name", ANALYTIC)
def test_hessian_matches_finite_differences_of_gradient(name):
    loss = build_loss(name)
    points = sample_points(loss, seed=1)
    hess = loss.hessian(points)
    for j in range(loss.n_params):
        numeric_col = central_gradient(lambda p: loss.grad(p)[:, j], points)
        scale = np.maximum(1.0, np.abs(hess[:, :, j]))
        assert np.all(np.abs(hess[:, j, :] - numeric_col) / scale < 1e-4), (name, j)
    assert np.allclose(hess, np.swapaxes(hess, 1, 2))
    assert loss.exact_hessian


@pytest.mark.parametrize("name", ANALYTIC)
def test_known_minima_are_stationary_and_have_the_stated_value(name):
    loss = build_loss(name)
    assert loss.minima is not None and loss.min_value is not None
    value, grad = loss.value_and_grad(loss.minima)
    np.testing.assert_allclose(value, loss.min_value, atol=1e-12)
    assert np.max(np.abs(grad)) < 1e-9
    assert loss.start.shape == (loss.n_params,)
    if loss.n_params == 2:
        w = loss.window
        assert w.x_min < loss.start[0] < w.x_max and w.y_min < loss.start[1] < w.y_max
        for m in loss.minima:
            assert w.x_min <= m[0] <= w.x_max and w.y_min <= m[1] <= w.y_max


@pytest.mark.parametrize("name", ANALYTIC)
def test_batch_equals_separate_evaluations_bit_for_bit(name):
    loss = build_loss(name)
    points = sample_points(loss, count=7, seed=2)
    value, grad = loss.value_and_grad(points)
    hv = loss.hvp(points, np.ones_like(points))
    for i in range(len(points)):
        v1, g1 = loss.value_and_grad(points[i : i + 1])
        assert v1[0] == value[i] and np.array_equal(g1[0], grad[i])
        assert np.array_equal(loss.hvp(points[i : i + 1], np.ones((1, loss.n_params)))[0], hv[i])


def test_quadratic_spectrum_rotation_and_closed_form():
    q = Quadratic(eigenvalues=[1.0, 50.0], angle=30.0, center=[0.5, -0.25])
    np.testing.assert_allclose(np.linalg.eigvalsh(q.matrix), [1.0, 50.0], rtol=1e-13)
    w = np.array([[1.0, 2.0], [-0.3, 0.7]])
    d = w - q.center
    value, grad = q.value_and_grad(w)
    np.testing.assert_allclose(grad, d @ q.matrix.T, rtol=1e-14)
    np.testing.assert_allclose(value, 0.5 * np.einsum("ri,ij,rj->r", d, q.matrix, d), rtol=1e-14)
    # The first eigenvector is the x axis turned by 30 degrees.
    np.testing.assert_allclose(np.abs(q.eigenvectors[:, 0]), [np.cos(np.pi / 6), np.sin(np.pi / 6)], atol=1e-15)
    assert q.sharpness == 50.0


def test_quadratic_from_condition_number_and_n_dimensions():
    q = Quadratic(condition_number=100.0, dims=5, rotation_seed=3)
    np.testing.assert_allclose(q.eigenvalues, np.geomspace(1, 100, 5))
    np.testing.assert_allclose(np.linalg.eigvalsh(q.matrix), q.eigenvalues, rtol=1e-12)
    assert q.window is None and q.n_params == 5
    with pytest.raises(ValueError, match="condition_number"):
        Quadratic(condition_number=0.5)
    with pytest.raises(ValueError, match="not both"):
        Quadratic(eigenvalues=[1, 2], condition_number=3)


def test_saddle_has_negative_curvature_at_the_origin():
    loss = build_loss("saddle")
    np.testing.assert_allclose(loss.hessian(np.zeros((1, 2)))[0], [[1.0, 0.0], [0.0, -1.0]])


def test_unknown_loss_gets_a_did_you_mean():
    with pytest.raises(ValueError, match='did you mean "rosenbrock"'):
        build_loss("rosenbrok")


def test_every_registered_loss_takes_keyword_parameters_with_a_start():
    import inspect

    for name, cls in LOSSES.items():
        assert cls.name == name
        params = inspect.signature(cls.__init__).parameters
        assert not any(p.kind is p.VAR_KEYWORD for p in params.values()), name
        if not getattr(cls, "is_model", False):
            assert "start" in params, name
