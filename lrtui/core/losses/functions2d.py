"""Classic 2-D optimisation test functions with exact gradients and Hessians.

Each function supplies its value, first and second partial derivatives in
closed form; the base class turns them into batched value/grad/hvp.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import numpy as np

from lrtui.core.losses.base import MAX_PARAMS, Loss, Window, check_count, check_finite


def _start(value, n: int) -> np.ndarray:
    values = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if values is None or len(values) != n:
        raise ValueError(f"start must be a list of {n} numbers, got {value!r}")
    return np.array([check_finite("start", v) for v in values], dtype=np.float64)


class Function2D(Loss):
    """A function of (x, y) given by `_derivatives`, evaluated for R runs at once."""

    n_params = 2
    exact_hessian = True
    default_start: tuple[float, float] = (0.0, 0.0)
    default_window = Window(-3.0, 3.0, -3.0, 3.0)

    def __init__(self, start=None):
        self.start = np.array(self.default_start, dtype=np.float64) if start is None else _start(start, 2)
        self.window = self.default_window

    @abstractmethod
    def _derivatives(self, x, y):
        """Return f, fx, fy, fxx, fxy, fyy as arrays shaped like x."""

    def value_and_grad(self, params, batch=None):
        with np.errstate(all="ignore"):
            x, y = params[:, 0], params[:, 1]
            f, fx, fy = self._first_order(x, y)
            grad = np.empty(params.shape)  # filled by column: cheaper than np.stack on a single run
            grad[:, 0], grad[:, 1] = fx, fy
            return f, grad

    def _first_order(self, x, y):
        f, fx, fy, *_ = self._derivatives(x, y)
        return f, fx, fy

    def hvp(self, params, vectors, batch=None):
        with np.errstate(all="ignore"):
            _, _, _, fxx, fxy, fyy = self._derivatives(params[:, 0], params[:, 1])
            vx, vy = vectors[:, 0], vectors[:, 1]
            return np.stack([fxx * vx + fxy * vy, fxy * vx + fyy * vy], axis=1)


class Rosenbrock(Function2D):
    """(a - x)^2 + b (y - x^2)^2: a long curved valley with its minimum at (a, a^2)."""

    name = "rosenbrock"
    default_start = (-1.5, 2.0)
    default_window = Window(-2.0, 2.0, -1.0, 3.0)

    def __init__(self, a=1.0, b=100.0, start=None):
        super().__init__(start)
        self.a, self.b = check_finite("a", a), check_finite("b", b)
        if not math.isfinite(self.a * self.a):
            raise ValueError(f"a must be below 1e154 in size, so that the minimum (a, a²) is finite, got {a!r}")
        self.minima = np.array([[self.a, self.a * self.a]])
        self.min_value = 0.0

    def _first_order(self, x, y):
        a, b = self.a, self.b
        r = y - x * x
        f = (a - x) ** 2 + b * r * r
        return f, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r

    def _derivatives(self, x, y):
        f, fx, fy = self._first_order(x, y)
        b = self.b
        fxx = 2.0 - 4.0 * b * y + 12.0 * b * x * x
        return f, fx, fy, fxx, -4.0 * b * x, np.full_like(x, 2.0 * b)


class Beale(Function2D):
    """Sum of three squared residuals c_i - x + x y^i; flat plateaus and sharp ridges."""

    name = "beale"
    default_start = (1.0, 1.5)
    default_window = Window(-4.5, 4.5, -4.5, 4.5)
    constants = (1.5, 2.25, 2.625)
    minima = np.array([[3.0, 0.5]])
    min_value = 0.0

    def _derivatives(self, x, y):
        f = fx = fy = fxx = fxy = fyy = 0.0
        for i, c in enumerate(self.constants, start=1):
            u = c - x + x * y**i
            ux, uy = y**i - 1.0, i * x * y ** (i - 1)
            uxy = i * y ** (i - 1)
            uyy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else 0.0
            f = f + u * u
            fx = fx + 2.0 * u * ux
            fy = fy + 2.0 * u * uy
            fxx = fxx + 2.0 * ux * ux
            fxy = fxy + 2.0 * (ux * uy + u * uxy)
            fyy = fyy + 2.0 * (uy * uy + u * uyy)
        return f, fx, fy, fxx, fxy, fyy


class Himmelblau(Function2D):
    """(x^2 + y - 11)^2 + (x + y^2 - 7)^2: four global minima of equal depth."""

    name = "himmelblau"
    default_start = (0.0, 0.0)
    default_window = Window(-5.0, 5.0, -5.0, 5.0)
    # The three irrational minima, polished by Newton's method to float64 precision.
    minima = np.array(
        [
            [3.0, 2.0],
            [-2.805118086952745, 3.131312518250573],
            [-3.779310253377747, -3.283185991286170],
            [3.584428340330492, -1.848126526964404],
        ]
    )
    min_value = 0.0

    def _derivatives(self, x, y):
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        f = u * u + v * v
        fx = 4.0 * x * u + 2.0 * v
        fy = 2.0 * u + 4.0 * y * v
        fxx = 4.0 * u + 8.0 * x * x + 2.0
        fxy = 4.0 * (x + y)
        fyy = 2.0 + 4.0 * v + 8.0 * y * y
        return f, fx, fy, fxx, fxy, fyy


class SixHumpCamel(Function2D):
    """Six local minima, two of them global, near (±0.0898, ∓0.7126)."""

    name = "six_hump_camel"
    default_start = (-1.5, 1.0)
    default_window = Window(-2.2, 2.2, -1.2, 1.2)
    minima = np.array([[0.08984201310031807, -0.7126564030207396], [-0.08984201310031807, 0.7126564030207396]])
    min_value = -1.0316284534898774

    def _derivatives(self, x, y):
        x2, y2 = x * x, y * y
        f = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2
        fx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
        fy = x - 8.0 * y + 16.0 * y2 * y
        fxx = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
        fyy = -8.0 + 48.0 * y2
        return f, fx, fy, fxx, np.ones_like(x), fyy


class Saddle(Function2D):
    """a x^2/2 + b (y^4/4 - y^2/2): a saddle at the origin between minima at (0, ±1).

    The Hessian at the origin is diag(a, -b); gradient descent started near
    y = 0 slides into the saddle along x and escapes only as fast as the
    tiny y offset grows, by a factor (1 + lr*b) per step.
    """

    name = "saddle"
    default_start = (1.5, 1e-4)
    default_window = Window(-2.0, 2.0, -1.6, 1.6)

    def __init__(self, a=1.0, b=1.0, start=None):
        super().__init__(start)
        self.a, self.b = check_finite("a", a), check_finite("b", b)
        self.minima = np.array([[0.0, 1.0], [0.0, -1.0]])
        self.min_value = -self.b / 4.0
        self.saddle_points = np.array([[0.0, 0.0]])

    def _derivatives(self, x, y):
        a, b = self.a, self.b
        y2 = y * y
        f = 0.5 * a * x * x + b * (0.25 * y2 * y2 - 0.5 * y2)
        fx = a * x
        fy = b * (y2 * y - y)
        return f, fx, fy, np.full_like(x, a), np.zeros_like(x), b * (3.0 * y2 - 1.0)


class Ackley(Function2D):
    """A nearly flat outer region riddled with local minima around a sharp central well."""

    name = "ackley"
    default_start = (2.6, -3.2)
    default_window = Window(-4.0, 4.0, -4.0, 4.0)

    def __init__(self, a=20.0, b=0.2, start=None):
        super().__init__(start)
        self.a, self.b = check_finite("a", a), check_finite("b", b)
        self.minima = np.array([[0.0, 0.0]])
        self.min_value = 0.0

    def _derivatives(self, x, y):
        a, b, tau = self.a, self.b, 2.0 * math.pi
        # The cone at the origin has no derivative there; a floor on the radius
        # gives the zero subgradient and a very large (but finite) curvature.
        radius = np.sqrt(0.5 * (x * x + y * y))
        ripple = np.exp(0.5 * (np.cos(tau * x) + np.cos(tau * y)))
        f = -a * np.exp(-b * radius) - ripple + math.e + a
        s = np.maximum(radius, 1e-12)
        envelope = np.exp(-b * s)
        g1 = a * b * envelope  # d/ds of the first term
        g2 = -a * b * b * envelope
        sx, sy = 0.5 * x / s, 0.5 * y / s
        sin_x, sin_y = np.sin(tau * x), np.sin(tau * y)
        fx = g1 * sx + math.pi * ripple * sin_x
        fy = g1 * sy + math.pi * ripple * sin_y
        fxx = g2 * sx * sx + g1 * (0.5 / s - sx * sx / s)
        fyy = g2 * sy * sy + g1 * (0.5 / s - sy * sy / s)
        fxy = g2 * sx * sy - g1 * sx * sy / s
        pi2 = math.pi**2
        fxx = fxx + ripple * (2.0 * pi2 * np.cos(tau * x) - pi2 * sin_x * sin_x)
        fyy = fyy + ripple * (2.0 * pi2 * np.cos(tau * y) - pi2 * sin_y * sin_y)
        fxy = fxy - pi2 * ripple * sin_x * sin_y
        return f, fx, fy, fxx, fxy, fyy


class Rastrigin(Loss):
    """A n + sum(x_i^2 - A cos(2 pi x_i)): a bowl covered in a grid of local minima."""

    name = "rastrigin"
    exact_hessian = True

    def __init__(self, A=10.0, dims=2, start=None):
        self.A = check_finite("A", A)
        self.n_params = check_count("dims", dims, 1, MAX_PARAMS)
        default = np.resize(np.array([3.2, -2.7]), self.n_params)
        self.start = default if start is None else _start(start, self.n_params)
        self.minima = np.zeros((1, self.n_params))
        self.min_value = 0.0
        self.window = Window(-5.12, 5.12, -5.12, 5.12) if self.n_params == 2 else None

    def value_and_grad(self, params, batch=None):
        tau = 2.0 * math.pi
        with np.errstate(all="ignore"):
            f = self.A * self.n_params + np.sum(params * params - self.A * np.cos(tau * params), axis=1)
            g = 2.0 * params + tau * self.A * np.sin(tau * params)
        return f, g

    def hvp(self, params, vectors, batch=None):
        tau = 2.0 * math.pi
        with np.errstate(all="ignore"):
            return (2.0 + tau * tau * self.A * np.cos(tau * params)) * vectors
