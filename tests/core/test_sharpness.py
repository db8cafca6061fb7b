import numpy as np

from lrtui.core.losses import build_loss
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.sharpness import extreme_eigenvalues


def test_exact_spectrum_of_a_quadratic():
    q = Quadratic(eigenvalues=[0.5, 80.0], angle=20.0)
    spec = extreme_eigenvalues(q, np.zeros((3, 2)))
    np.testing.assert_allclose(spec.top, 80.0, rtol=1e-13)
    np.testing.assert_allclose(spec.bottom, 0.5, rtol=1e-12)


def test_power_iteration_on_a_large_quadratic_finds_both_ends():
    lam = np.linspace(-3.0, 40.0, 40)
    q = Quadratic(eigenvalues=lam, rotation_seed=1)
    spec = extreme_eigenvalues(q, np.zeros((2, 40)), iterations=40)
    np.testing.assert_allclose(spec.top, 40.0, rtol=1e-9)
    np.testing.assert_allclose(spec.bottom, -3.0, rtol=1e-9)
    # The returned vector is the top eigenvector: H v = 40 v.
    v = spec.vector
    np.testing.assert_allclose(q.hvp(np.zeros((2, 40)), v), 40.0 * v, atol=1e-3)


def test_negative_dominant_eigenvalue_still_reports_the_top():
    q = Quadratic(eigenvalues=np.r_[-50.0, np.linspace(1.0, 2.0, 19)], rotation_seed=2)
    spec = extreme_eigenvalues(q, np.zeros((1, 20)), iterations=40)
    np.testing.assert_allclose(spec.top, 2.0, rtol=1e-9)
    np.testing.assert_allclose(spec.bottom, -50.0, rtol=1e-9)


def test_saddle_point_has_a_negative_bottom_eigenvalue():
    spec = extreme_eigenvalues(build_loss("saddle"), np.zeros((1, 2)))
    assert spec.top[0] == 1.0 and spec.bottom[0] == -1.0


def test_preconditioned_spectrum_equals_that_of_p_inverse_h():
    q = Quadratic(eigenvalues=[1.0, 100.0], angle=35.0)
    p = np.array([[2.0, 50.0]])
    spec = extreme_eigenvalues(q, np.zeros((1, 2)), preconditioner=p)
    expected = np.sort(np.linalg.eigvals(np.diag(1 / p[0]) @ q.matrix).real)
    np.testing.assert_allclose([spec.bottom[0], spec.top[0]], expected, rtol=1e-12)


def test_non_finite_points_give_nan_not_errors():
    spec = extreme_eigenvalues(build_loss("rosenbrock"), np.array([[np.inf, 0.0], [1.0, 1.0]]))
    assert np.isnan(spec.top[0]) and np.isfinite(spec.top[1])


def test_few_lanczos_steps_give_the_top_of_a_large_spectrum():
    lam = np.r_[np.linspace(0.1, 10.0, 298), 30.0, 50.0]
    q = Quadratic(eigenvalues=lam, rotation_seed=4)
    spec = extreme_eigenvalues(q, np.zeros((1, 300)), iterations=20)
    np.testing.assert_allclose(spec.top, 50.0, rtol=1e-8)
    # A warm start from the previous vector converges at least as well.
    again = extreme_eigenvalues(q, np.zeros((1, 300)), warm_start=spec.vector, iterations=6)
    np.testing.assert_allclose(again.top, 50.0, rtol=1e-6)
