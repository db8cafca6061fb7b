"""Loss tables for the generator: the 2-D test functions with their start windows (some starts next to a
saddle) and the formula templates (`expression` losses with random coefficients and, where known, min_value).

Every draw takes a numpy Generator and returns a loss table for a scenario (with `start`).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def sig(x: float, digits: int = 6) -> float:
    """x rounded to `digits` significant digits: the stored case is exactly what the oracle labels."""
    return float(f"{float(x):.{digits}g}")


def _points(values) -> list[float]:
    return [sig(v) for v in values]


# ---- the 2-D test functions -------------------------------------------------------------------------------
WINDOWS = {  # where random starts are drawn: x_min, x_max, y_min, y_max
    "rosenbrock": (-2.0, 2.0, -1.0, 3.0),
    "beale": (-2.0, 3.5, -2.0, 2.0),
    "himmelblau": (-5.0, 5.0, -5.0, 5.0),
    "rastrigin": (-5.12, 5.12, -5.12, 5.12),
    "six_hump_camel": (-2.0, 2.0, -1.1, 1.1),
    "saddle": (-2.0, 2.0, -1.5, 1.5),
    "ackley": (-4.0, 4.0, -4.0, 4.0),
}
FUNCTIONS = tuple(WINDOWS)


def _hessian_fd(grad, w, h=1e-5):
    n = w.size
    cols = [(grad(w + h * e) - grad(w - h * e)) / (2 * h) for e in np.eye(n)]
    m = np.array(cols)
    return 0.5 * (m + m.T)


def _himmelblau_grad(w):
    x, y = w
    u, v = x * x + y - 11.0, x + y * y - 7.0
    return np.array([4 * x * u + 2 * v, 2 * u + 4 * y * v])


def _camel_grad(w):
    x, y = w
    return np.array([8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3])


@lru_cache(maxsize=None)
def saddles(name: str) -> tuple:
    """Saddle points of a 2-D function, by Newton's method from a grid of starts: ((point, H), ...)."""
    grad = {"himmelblau": _himmelblau_grad, "six_hump_camel": _camel_grad}[name]
    x0, x1, y0, y1 = WINDOWS[name]
    found: list[np.ndarray] = []
    for x in np.linspace(x0, x1, 21):
        for y in np.linspace(y0, y1, 21):
            w = np.array([x, y])
            for _ in range(60):
                h = _hessian_fd(grad, w)
                try:
                    w = w - np.linalg.solve(h, grad(w))
                except np.linalg.LinAlgError:
                    break
                if not np.all(np.isfinite(w)) or np.abs(w).max() > 10:
                    break
            if np.all(np.isfinite(w)) and np.linalg.norm(grad(w)) < 1e-10:
                ev = np.linalg.eigvalsh(_hessian_fd(grad, w))
                if ev[0] < 0 < ev[-1] and not any(np.linalg.norm(w - f) < 1e-6 for f in found):
                    found.append(w)
    found.sort(key=lambda p: (round(p[0], 6), round(p[1], 6)))
    return tuple((p, _hessian_fd(grad, p)) for p in found)


def near_saddle(rng, point: np.ndarray, hess: np.ndarray) -> list[float]:
    """A start on (almost) the stable manifold of a saddle: along its positive-curvature direction, with a tiny
    offset along the negative one, so that gradient descent slides into the saddle and lingers."""
    ev, vec = np.linalg.eigh(hess)
    along = rng.choice([-1, 1]) * rng.uniform(0.1, 0.6)
    off = rng.choice([-1, 1]) * 10 ** rng.uniform(-13, -2)
    return [float(v) for v in point + along * vec[:, 1] + off * vec[:, 0]]  # not rounded: the offset is tiny


def _uniform_start(rng, name: str) -> list[float]:
    x0, x1, y0, y1 = WINDOWS[name]
    return _points([rng.uniform(x0, x1), rng.uniform(y0, y1)])


# Rastrigin and the six-hump camel carry most local minima: drawn more often.
FUNCTION_WEIGHTS = {"rosenbrock": 1.0, "beale": 1.0, "himmelblau": 1.0, "rastrigin": 2.0, "six_hump_camel": 1.5,
                    "saddle": 1.0, "ackley": 1.0}


def function_loss(rng) -> dict:
    p = np.array([FUNCTION_WEIGHTS[n] for n in FUNCTIONS])
    name = FUNCTIONS[rng.choice(len(FUNCTIONS), p=p / p.sum())]
    table: dict = {"type": name}
    if name in ("himmelblau", "six_hump_camel") and rng.random() < 0.5:
        points = saddles(name)
        point, hess = points[rng.integers(len(points))]
        table["start"] = near_saddle(rng, point, hess)
    elif name == "saddle":
        table["a"], table["b"] = sig(rng.uniform(0.5, 4.0), 3), sig(rng.uniform(0.5, 2.0), 3)
        if rng.random() < 0.7:
            y = rng.choice([-1, 1]) * 10 ** rng.uniform(-40, -1)
        else:
            y = rng.uniform(-1.5, 1.5)
        table["start"] = _points([rng.choice([-1, 1]) * rng.uniform(0.3, 2.0), y])
    else:
        if name == "rosenbrock" and rng.random() < 0.3:
            table["b"] = sig(10 ** rng.uniform(1, 2.3), 3)
        if name == "rastrigin" and rng.random() < 0.4:
            table["A"] = sig(rng.uniform(2.0, 10.0), 3)
        table["start"] = _uniform_start(rng, name)
    return table


# ---- formulas -----------------------------------------------------------------------------------------------
def _c(x: float) -> str:
    """A coefficient as text (4 significant digits), and the value the formula really has."""
    return f"{float(f'{x:.4g}'):.4g}"


def _shift(var: str, p: float) -> str:
    """(x - p) written without a double sign: "(x - 0.5)" or "(x + 0.7019)"."""
    return f"({var} - {_c(p)})" if p >= 0 else f"({var} + {_c(-p)})"


def _double_well_min(c: float) -> tuple[float, float, float]:
    """(lowest value, x of the lowest well, x of the middle critical point) of (x^2 - 1)^2 + c x."""
    roots = np.roots([4.0, 0.0, -4.0, c])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    values = (real**2 - 1) ** 2 + c * real
    return float(values.min()), float(real[np.argmin(values)]), float(real[len(real) // 2])


def _double_well(rng):
    c = 0.0 if rng.random() < 0.3 else float(_c(rng.uniform(-0.6, 0.6)))
    k = float(_c(10 ** rng.uniform(-0.5, 1.0)))
    low, _, middle = _double_well_min(c)
    if rng.random() < 0.45:  # next to the saddle (exactly at x = 0 when untilted, else the middle root)
        offset = rng.choice([-1, 1]) * 10 ** rng.uniform(-30 if c == 0 else -14, -3)
        start = [middle + offset, sig(rng.uniform(-1.5, 1.5))]
    else:
        start = [sig(rng.uniform(-2.0, 2.0)), sig(rng.uniform(-1.5, 1.5))]
    tilt = (f" + {_c(c)}*x" if c > 0 else f" - {_c(-c)}*x") if c else ""
    return f"(x**2 - 1)**2{tilt} + {_c(k)}*y**2", ["x", "y"], low, start


def _wells_nd(rng):
    n = int(rng.integers(3, 7))
    names = [f"w{i}" for i in range(n)]
    cs = [float(_c(rng.uniform(-0.5, 0.5))) for _ in range(n)]
    terms = [f"({v}**2 - 1)**2 " + (f"+ {_c(c)}*{v}" if c >= 0 else f"- {_c(-c)}*{v}") for v, c in zip(names, cs)]
    low = sum(_double_well_min(c)[0] for c in cs)
    start = []
    for c in cs:
        middle = _double_well_min(c)[2]
        start.append(middle + 10 ** rng.uniform(-9, -3) if rng.random() < 0.3 else rng.uniform(-2, 2))
    return " + ".join(terms), names, low, start


def _exp_tail(rng):
    k, s = float(_c(10 ** rng.uniform(-0.5, 0.5))), float(_c(10 ** rng.uniform(-0.5, 0.5)))
    u = 10 ** rng.uniform(-0.5, 2.3)  # (x^2 + k y^2) / s at the start: up to ~200, a gradient ~ 1e-85
    angle = rng.uniform(0, 2 * math.pi)
    r = math.sqrt(u * s)
    start = [r * math.cos(angle), r * math.sin(angle) / math.sqrt(k)]
    return f"1 - exp(-(x**2 + {_c(k)}*y**2)/{_c(s)})", ["x", "y"], 0.0, start


def _tanh_well(rng):
    p, q, k = float(_c(rng.uniform(-1, 1))), float(_c(rng.uniform(-1, 1))), float(_c(10 ** rng.uniform(-1, 1)))
    spread = 10 ** rng.uniform(-0.5, 1.0)
    start = [p + spread * rng.standard_normal(), q + spread * rng.standard_normal()]
    return f"tanh({_shift('x', p)}**2 + {_c(k)}*{_shift('y', q)}**2)", ["x", "y"], 0.0, start


def _quartic(rng):
    p, k = float(_c(rng.uniform(-1, 1))), float(_c(10 ** rng.uniform(-1, 1)))
    start = [p + rng.uniform(-2, 2), rng.uniform(-2, 2)]
    return f"{_shift('x', p)}**4 + {_c(k)}*y**2", ["x", "y"], 0.0, start


def _sine_valley(rng):
    k, c = float(_c(10 ** rng.uniform(0.5, 2))), float(_c(10 ** rng.uniform(-2, -0.5)))
    start = [rng.uniform(-3, 3), rng.uniform(-2, 2)]
    return f"{_c(k)}*(y - sin(x))**2 + {_c(c)}*x**2", ["x", "y"], 0.0, start


def _ripple(rng):
    a, k = float(_c(rng.uniform(1, 10))), float(_c(10 ** rng.uniform(-0.5, 1)))
    start = [rng.uniform(-4, 4), rng.uniform(-2, 2)]
    return f"x**2 + {_c(a)}*(1 - cos(2*pi*x)) + {_c(k)}*y**2", ["x", "y"], 0.0, start


def _log_cosh(rng):
    a, c = float(_c(10 ** rng.uniform(0, 1))), float(_c(10 ** rng.uniform(-2, 0)))
    start = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
    return f"log(cosh({_c(a)}*(x - y))) + {_c(c)}*(x + y)**2", ["x", "y"], 0.0, start


def _two_wells(rng):
    """A deep Gaussian well at (2, 0), a shallower one at (-2, 0), flat between and around them."""
    depth, width = float(_c(rng.uniform(0.3, 0.8))), float(_c(rng.uniform(0.4, 1.0)))
    start = [rng.uniform(-4.5, 4.5), rng.uniform(-2.5, 2.5)]
    expr = f"-exp(-((x - 2)**2 + y**2)) - {_c(depth)}*exp(-((x + 2)**2 + y**2)/{_c(width)})"
    # The shallow well adds at most depth * exp(-16 / width) ~ 1e-7 at the deep one; its minimum is found below.
    return expr, ["x", "y"], None, start


TEMPLATES = {"double_well": _double_well, "wells_nd": _wells_nd, "exp_tail": _exp_tail, "tanh_well": _tanh_well,
             "quartic": _quartic, "sine_valley": _sine_valley, "ripple": _ripple, "log_cosh": _log_cosh,
             "two_wells": _two_wells}
WEIGHTS = {"double_well": 3, "wells_nd": 1, "exp_tail": 3, "tanh_well": 1, "quartic": 1, "sine_valley": 1,
           "ripple": 3, "log_cosh": 1, "two_wells": 1}


def expression_loss(rng) -> tuple[dict, str]:
    names = list(TEMPLATES)
    p = np.array([WEIGHTS[n] for n in names], dtype=float)
    name = names[rng.choice(len(names), p=p / p.sum())]
    expr, variables, low, start = TEMPLATES[name](rng)
    # Starts next to a saddle keep every digit (their offset can be 1e-30); the others are rounded.
    exact = name in ("double_well", "wells_nd")
    table = {"type": "expression", "expr": expr, "vars": variables,
             "start": [float(v) for v in start] if exact else _points(start)}
    if low is not None and rng.random() < 0.75:  # a quarter leave min_value out: the floor must be found
        table["min_value"] = float(low)
    return table, name
