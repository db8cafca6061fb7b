import ast
import builtins
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrtui.core.expression import FUNCTIONS, ExpressionError, compile_expression
from lrtui.core.expression.ir import Graph
from lrtui.core.losses.base import Loss, Window
from lrtui.core.losses.expression import ExpressionLoss
from lrtui.core.losses.functions2d import Beale, Himmelblau, Rosenbrock

CORPUS = Path(__file__).with_name("injection_corpus.txt")

# (formula, variables, sampling interval). Together they use every operator and function.
FORMULAS = [
    ("(1.5 - x + x*y)**2 + (y - 1)**2", ["x", "y"], (-2, 2)),
    ("sin(x)*cos(y) + tan(x/3)", ["x", "y"], (-2, 2)),
    ("exp(-x**2 - y**2) + log(1 + x**2) + sqrt(1 + y**2)", ["x", "y"], (-2, 2)),
    ("abs(x - 7) + tanh(y)*sinh(x/2) + cosh(y/2)", ["x", "y"], (-2, 2)),
    ("arctan(x*y) + x / (2 + sin(y))", ["x", "y"], (-2, 2)),
    ("x**y + 2**x - y**-1.5", ["x", "y"], (0.5, 2)),
    ("pi*e*y - x + +y - -x*y", ["x", "y"], (-2, 2)),
    ("1 / (1 + (x - y)**2) + (x*x + y*y + 1)**0.5 * x", ["x", "y"], (-2, 2)),
    ("log(x)*exp(y/4) - sqrt(x)*y", ["x", "y"], (0.5, 2)),
    ("x*y*z + sin(x + y + z)**2 - exp(z/3)", ["x", "y", "z"], (-2, 2)),
    ("w1*w2 + w3**3 - w4/(w5 + 3) + tanh(w1*w5) + abs(w2 + 9)", ["w1", "w2", "w3", "w4", "w5"], (-2, 2)),
    ("sinh(x)/cosh(y) + arctan(x)**3 - cos(x*y)/exp(y)", ["x", "y"], (-2, 2)),
    ("t**4 - 3*t**2 + t", ["t"], (-2, 2)),
]


def points(variables, interval, count=20, seed=0):
    return np.random.default_rng(seed).uniform(*interval, size=(count, len(variables)))


def central(fn, p, h):
    out = []
    for j in range(p.shape[1]):
        step = np.zeros(p.shape[1])
        step[j] = h
        out.append((fn(p + step) - fn(p - step)) / (2 * h))
    return np.stack(out, axis=-1)


def rejection(text, variables=("x", "y")):
    with pytest.raises(ExpressionError) as info:
        compile_expression(text, list(variables))
    return info.value


# --- derivatives -----------------------------------------------------------


def test_formulas_cover_every_operator_and_function():
    ops = {type(n.op) for f, _, _ in FORMULAS for n in ast.walk(ast.parse(f, mode="eval")) if hasattr(n, "op")}
    assert {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd} <= ops
    called = {n.func.id for f, _, _ in FORMULAS for n in ast.walk(ast.parse(f, mode="eval")) if isinstance(n, ast.Call)}
    assert called == set(FUNCTIONS)


@pytest.mark.parametrize("formula, variables, interval", FORMULAS)
def test_gradient_matches_central_differences(formula, variables, interval):
    expression = compile_expression(formula, variables)
    p = points(variables, interval)
    value, grad = expression.value_and_grad(p)
    numeric = central(expression.value, p, 1e-6)
    scale = np.maximum(1.0, np.abs(value))[:, None]
    assert np.all(np.isfinite(grad))
    assert np.max(np.abs(grad - numeric) / scale) < 2e-7


@pytest.mark.parametrize("formula, variables, interval", FORMULAS)
def test_hessian_matches_differences_of_the_exact_gradient(formula, variables, interval):
    expression = compile_expression(formula, variables)
    p = points(variables, interval, seed=1)
    hessian = expression.hessian(p)
    numeric = central(lambda q: expression.value_and_grad(q)[1], p, 1e-5)
    scale = np.maximum(1.0, np.abs(hessian).max(axis=(1, 2)))[:, None, None]
    assert np.max(np.abs(hessian - numeric) / scale) < 1e-7
    assert np.max(np.abs(hessian - hessian.transpose(0, 2, 1)) / scale) < 1e-13
    v = np.random.default_rng(2).normal(size=p.shape)
    assert np.allclose(expression.hvp(p, v), np.einsum("rij,rj->ri", hessian, v), rtol=1e-13, atol=1e-13 * scale[:, 0])


def test_polynomial_derivatives_are_exact():
    expression = compile_expression("x**2 + 3*y", ["x", "y"])
    p = points(["x", "y"], (-5, 5))
    value, grad = expression.value_and_grad(p)
    assert np.array_equal(value, p[:, 0] ** 2 + 3 * p[:, 1])
    assert np.array_equal(grad, np.stack([2 * p[:, 0], np.full(len(p), 3.0)], axis=1))
    assert np.array_equal(expression.hessian(p), np.broadcast_to([[2.0, 0.0], [0.0, 0.0]], (len(p), 2, 2)))


def test_transcendental_derivatives_match_hand_derivation():
    expression = compile_expression("sin(x)*exp(y) + log(x*x + 1)", ["x", "y"])
    p = points(["x", "y"], (-2, 2))
    x, y = p[:, 0], p[:, 1]
    grad = np.stack([np.cos(x) * np.exp(y) + 2 * x / (x * x + 1), np.sin(x) * np.exp(y)], axis=1)
    hxx = -np.sin(x) * np.exp(y) + (2 - 2 * x * x) / (x * x + 1) ** 2
    hxy, hyy = np.cos(x) * np.exp(y), np.sin(x) * np.exp(y)
    hessian = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
    np.testing.assert_allclose(expression.value_and_grad(p)[1], grad, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(expression.hessian(p), hessian, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(
    "formula, reference",
    [
        ("(1 - x)**2 + 100*(y - x**2)**2", Rosenbrock()),
        ("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", Beale()),
        ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", Himmelblau()),
    ],
)
def test_agrees_with_the_hand_written_2d_functions(formula, reference):
    loss = ExpressionLoss(formula, ["x", "y"])
    p = points(["x", "y"], (-2, 2), count=50)
    value, grad = loss.value_and_grad(p)
    ref_value, ref_grad = reference.value_and_grad(p)
    np.testing.assert_allclose(value, ref_value, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-13, atol=1e-11)
    np.testing.assert_allclose(loss.hessian(p), reference.hessian(p), rtol=1e-13, atol=1e-11)


@pytest.mark.parametrize("formula, variables, interval", FORMULAS)
def test_batch_equals_separate_runs_bit_for_bit(formula, variables, interval):
    expression = compile_expression(formula, variables)
    p = points(variables, (-3, 3), count=37, seed=3)  # outside the domain too, so some nans
    v = np.random.default_rng(4).normal(size=p.shape)
    value, grad = expression.value_and_grad(p)
    hvp = expression.hvp(p, v)
    for r in range(len(p)):
        one_value, one_grad = expression.value_and_grad(p[r : r + 1])
        assert np.array_equal(one_value, value[r : r + 1], equal_nan=True)
        assert np.array_equal(one_grad, grad[r : r + 1], equal_nan=True)
        assert np.array_equal(expression.hvp(p[r : r + 1], v[r : r + 1]), hvp[r : r + 1], equal_nan=True)
        assert np.array_equal(expression.value(p[r : r + 1]), value[r : r + 1], equal_nan=True)


def test_shared_subexpressions_keep_derivative_programs_small():
    formulas = [
        "+".join(f"sin(x*y + {i})**2" for i in range(40)),
        "*".join(f"(x + {i}*y)" for i in range(60)),
        "sin(" * 60 + "x*y" + ")" * 60,
    ]
    for formula in formulas:
        sizes = compile_expression(formula, ["x", "y"]).sizes()
        assert sizes["gradient"] <= 4 * sizes["value"] and sizes["hvp"] <= 10 * sizes["value"], sizes


def test_graph_shares_nodes_and_simplifies_exactly():
    graph = Graph()
    x, y, zero, one = graph.var(0), graph.var(1), graph.const(0.0), graph.const(1.0)
    assert graph.add(x, y) is graph.add(y, x) and graph.mul(x, y) is graph.mul(y, x)
    assert graph.add(x, zero) is x and graph.mul(one, x) is x and graph.mul(x, zero) is zero
    assert graph.neg(graph.neg(x)) is x and graph.add(x, graph.neg(y)) is graph.sub(x, y)
    assert graph.add(x, x) is graph.mul(graph.const(2.0), x)
    assert graph.mul(graph.const(3.0), graph.mul(graph.const(2.0), x)) is graph.mul(graph.const(6.0), x)
    assert graph.pow(x, one) is x and graph.pow(x, zero) is one
    assert graph.const(-0.0) is not zero and graph.call("sin", zero) is zero


def test_derivative_nodes_are_the_simplified_textbook_ones():
    expression = compile_expression("x**3 + y*y", ["x", "y"])
    graph = expression.graph
    x, y = graph.var(0), graph.var(1)
    grad_x, grad_y = expression.gradient_nodes
    assert grad_x is graph.mul(graph.const(3.0), graph.pow(x, graph.const(2.0)))
    assert grad_y is graph.mul(graph.const(2.0), y)
    assert expression.hvp_nodes[1] is graph.mul(graph.const(2.0), graph.var(3))


def test_constants_are_folded_in_float64():
    expression = compile_expression("x*(2 + 3) + y*0 + sin(pi/2)", ["x", "y"])
    assert expression.sizes()["value"] == 5  # x, 5, x*5, 1, x*5 + 1
    assert expression.value(np.array([[2.0, 7.0]]))[0] == 11.0
    # Python ints would give 1 here and 9007199254740993; float64 gives 0 and ...992.
    assert compile_expression("x*(10**18 + 1 - 10**18)", ["x"]).value(np.array([[1.0]]))[0] == 0.0
    assert compile_expression("9007199254740993*x", ["x"]).value(np.array([[1.0]]))[0] == 9007199254740992.0
    assert compile_expression("e*x + pi", ["x"]).value(np.array([[2.0]]))[0] == math.e * 2.0 + math.pi


def test_bad_numbers_give_nan_or_inf_without_warnings():
    p = np.array([[-1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [800.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = compile_expression("log(x) + y", ["x", "y"]).value_and_grad(p)
        assert np.isnan(value[0]) and value[1] == -np.inf and grad[1, 0] == np.inf
        value, grad = compile_expression("sqrt(x) + y", ["x", "y"]).value_and_grad(p)
        assert value[1] == 0.0 and grad[1, 0] == np.inf and np.isnan(value[0])
        value, grad = compile_expression("exp(x)**2 + y", ["x", "y"]).value_and_grad(p)
        assert value[3] == np.inf and grad[3, 0] == np.inf
        abs_loss = compile_expression("abs(x) + y", ["x", "y"])
        assert abs_loss.value_and_grad(p)[1][:, 0].tolist() == [-1.0, 0.0, 1.0, 1.0]
        assert np.array_equal(abs_loss.hessian(p), np.zeros((4, 2, 2)))
        compile_expression("1/x + y/0", ["x", "y"]).hessian(p)


# --- safety ------------------------------------------------------------------


# The kinds of attempt issue 8 names; the corpus has a section for each.
REQUIRED_CATEGORIES = ("attribute access", "dunder names", "calls to unknown functions", "lambdas", "comprehensions",
                       "imports", "f-strings and string tricks", "huge exponents and numbers", "deep nesting",
                       "over-long formulas")


def corpus_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    # split("\n"), not splitlines(): some formulas hold Unicode line separators on purpose.
    for line in CORPUS.read_text(encoding="utf-8").split("\n"):
        if line.startswith("# category: "):
            current = sections.setdefault(line.removeprefix("# category: ").strip(), [])
        elif line.strip() and not line.startswith("#"):
            current.append(line.replace("<NEWLINE>", "\n"))
    return sections


def corpus_lines():
    return [line for lines in corpus_sections().values() for line in lines]


def test_the_corpus_covers_every_kind_of_attempt_the_issue_names():
    sections = corpus_sections()
    assert {name: len(sections.get(name, [])) >= 5 for name in REQUIRED_CATEGORIES} == dict.fromkeys(
        REQUIRED_CATEGORIES, True)
    lines = corpus_lines()
    assert len(lines) == len(set(lines)) >= 300
    assert any(len(line) > 2000 for line in sections["over-long formulas"])
    assert any(line.count("(") > 64 for line in sections["deep nesting"])
    assert sum("MARKER" in line for line in lines) >= 40  # attempts that would leave the marker file behind


def test_every_line_of_the_injection_corpus_is_rejected_and_nothing_runs(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER"
    monkeypatch.chdir(tmp_path)
    real_compile = builtins.compile
    code_compiles = []

    def ast_only_compile(source, *args, **kwargs):
        flags = kwargs.get("flags", args[2] if len(args) > 2 else 0)
        if not flags & ast.PyCF_ONLY_AST:
            code_compiles.append(source)
            raise AssertionError("compile() to code was called")
        return real_compile(source, *args, **kwargs)

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec was called")

    lines = corpus_lines()
    accepted = []
    with monkeypatch.context() as patched:
        patched.setattr(builtins, "compile", ast_only_compile)
        patched.setattr(builtins, "eval", forbidden)
        patched.setattr(builtins, "exec", forbidden)
        for line in lines:
            for text in (line, line.replace("MARKER", str(marker))):
                try:
                    compile_expression(text, ["x", "y"])
                    accepted.append(text)
                except ExpressionError as exc:
                    assert exc.message and str(exc).startswith(f"{exc.key}: ")
    assert accepted == [] and code_compiles == []
    assert not marker.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x+" * 1500 + "y", "characters long"),
        ("(" * 10_000 + "x+y" + ")" * 10_000, "characters long"),
        ("(" * 900 + "x+y" + ")" * 900, "brackets nested"),
        ("[" * 900 + "x" + "]" * 900, "brackets nested"),
        ("sin(" * 65 + "x+y" + ")" * 65, "brackets nested"),
        ("9**9**9", "exponent"),
        ("x**9**9**9 + y", "exponent"),
        ("x**65 + y", "exponent"),
        ("x**(2**7) + y", "exponent"),
        ("x**(30*pi) + y", "exponent"),
        ("-" * 1500 + "x + y", "nested more than"),
        ("x" + "**x" * 600 + " + y", "nested more than"),
        ("x" + "+x" * 900 + "+y", "nested more than"),
        ("+".join(["*".join(["x"] * 30)] * 30) + "+y", "too large"),
        ("1" * 1999, "too large for float64"),
        ("x + y + 1e400", "too large for float64"),
    ],
    ids=lambda value: value if len(value) < 30 else f"{value[:12]}...({len(value)} chars)",
)
def test_limits_reject_quickly(text, expected):
    start = time.perf_counter()
    error = rejection(text)
    assert time.perf_counter() - start < 0.25
    assert expected in error.message


def test_bracket_depth_is_checked_before_the_python_parser_runs(monkeypatch):
    import lrtui.core.expression.parser as parser_module

    def no_parse(*args, **kwargs):
        raise AssertionError("ast.parse must not see deeply nested text")

    monkeypatch.setattr(parser_module.ast, "parse", no_parse)
    error = rejection("(" * 900 + "x+y" + ")" * 900)
    assert error.column == 64 and "brackets nested more than 64 deep at column 64" in error.message


def test_largest_allowed_formulas_stay_fast():
    formula = "+".join(f"sin(x*{i} + y)*exp(-y**2/{i})" for i in range(1, 45))
    assert len(formula) < 2000
    start = time.perf_counter()
    expression = compile_expression(formula, ["x", "y"])
    p = points(["x", "y"], (-1, 1), count=1024)
    expression.value_and_grad(p)
    expression.hvp(p, p)
    assert time.perf_counter() - start < 1.0


def test_allowed_exponents():
    for text in ("x**64 + y", "x**-64 + y", "x**(-64) + y", "2**x + y", "x**y", "x**(y*100)"):
        compile_expression(text, ["x", "y"])


FORMULA_CHARACTERS = "xyzepisncotaqrlgbh0123456789.+-*/()_ ,^%[]:'\"=<>!@~&|"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.text(alphabet=FORMULA_CHARACTERS, max_size=2100)))
def test_random_text_only_ever_raises_expression_error(text):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            expression = compile_expression(text, ["x", "y"])
        except ExpressionError as exc:
            assert exc.column is None or 0 <= exc.column <= len(text)
        else:
            value, grad = expression.value_and_grad(np.array([[0.5, -1.5], [0.0, 0.0]]))
            assert value.shape == (2,) and grad.shape == (2, 2)
    assert time.perf_counter() - start < 0.5


def _formulas():
    leaves = st.sampled_from(["x", "y", "2", "0.5", "pi", "e", "3e2"])

    def grow(inner):
        binary = st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        power = st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5", "y"])).map(lambda t: f"({t[0]})**{t[1]}")
        call = st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})")
        return st.one_of(binary, power, call, inner.map(lambda s: f"-{s}"))

    return st.recursive(leaves, grow, max_leaves=25).map(lambda f: f"x*y + {f}")


@settings(max_examples=100, deadline=None)
@given(_formulas())
def test_random_formulas_evaluate_per_run_exactly_as_in_a_batch(formula):
    expression = compile_expression(formula, ["x", "y"])
    p = np.array([[0.3, -1.2], [1.7, 0.4], [-2.0, 2.5], [0.0, 0.0]])
    v = np.ones_like(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = expression.value_and_grad(p)
        hvp = expression.hvp(p, v)
        for r in range(len(p)):
            assert np.array_equal(expression.value_and_grad(p[r : r + 1])[1], grad[r : r + 1], equal_nan=True)
            assert np.array_equal(expression.hvp(p[r : r + 1], v[r : r + 1]), hvp[r : r + 1], equal_nan=True)


# --- messages ----------------------------------------------------------------


def test_unknown_function_message_has_column_suggestion_and_choices():
    error = rejection("x**2 + sinn(y)")
    assert error.key == "expr" and error.column == 7
    assert error.message == (
        'unknown function "sinn" at column 7; did you mean "sin"? '
        "(allowed: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan)"
    )
    assert str(error) == "expr: " + error.message and isinstance(error, ValueError)
    assert 'did you mean "log"' in rejection("ln(x) + y").message
    assert 'did you mean "arctan"' in rejection("atan(x) + y").message


def test_names_and_columns():
    error = rejection("x + Y")
    assert error.column == 4 and 'unknown name "Y"' in error.message and 'did you mean "y"' in error.message
    assert "declare every variable in vars" in error.message
    assert rejection("('é') % 2").column == 6  # characters, not UTF-8 bytes
    assert rejection("(x +\n  sinn(y))").column == 7
    assert rejection("x^2 + y").column == 1
    assert rejection("x + (y").message.startswith("the formula is not valid: '(' was never closed at column 4")
    assert rejection("x + y +").message.startswith("the formula is not valid: invalid syntax at the end")


def test_undeclared_and_unused_variables():
    error = rejection("x**2", ["x", "y"])
    assert error.key == "vars" and '"y" is declared but never used' in error.message
    assert "remove it from vars" in error.message
    assert 'unknown name "z"' in rejection("x + y + z").message


@pytest.mark.parametrize(
    "variables, expected",
    [
        ("x", "must be a list of names"),
        ([], "between 1 and 64"),
        (["x"] * 65, "between 1 and 64"),
        (["x", "x"], "listed twice"),
        (["1x"], "not a valid name"),
        (["x-y"], "not a valid name"),
        (["e"], "built-in constant"),
        (["pi"], "built-in constant"),
        (["sin"], "name of a function"),
        (["lambda"], "Python keyword"),
        (["__x"], "reserved"),
        ([3], "must be a name in quotes"),
    ],
)
def test_variable_lists_are_checked(variables, expected):
    with pytest.raises(ExpressionError) as info:
        compile_expression("x", variables)
    assert info.value.key == "vars" and expected in info.value.message


def test_non_string_or_empty_formula():
    assert "must be a formula in quotes" in rejection(3).message
    assert "the formula is empty" in rejection("   ").message


# --- the loss ----------------------------------------------------------------


def test_expression_loss_defaults_and_interface():
    loss = ExpressionLoss("(1.5 - x + x*y)**2 + (y - 1)**2", ["x", "y"])
    assert isinstance(loss, Loss) and loss.name == "expression" and loss.exact_hessian
    assert loss.n_params == 2 and loss.variables == ("x", "y")
    assert np.array_equal(loss.start, [0.0, 0.0]) and loss.window == Window(-3.0, 3.0, -3.0, 3.0)
    assert loss.minima is None and loss.min_value is None
    p = np.array([[1.0, 2.0], [0.5, -1.0]])
    value, grad = loss.value_and_grad(p)
    assert value.tolist() == [7.25, 4.25] and grad.tolist() == [[5.0, 7.0], [-2.0, -3.5]]
    assert np.array_equal(loss.value(p), value) and np.array_equal(loss.grad(p), grad)
    assert loss.hessian(p).tolist() == [[[2.0, 7.0], [7.0, 4.0]], [[8.0, -1.0], [-1.0, 2.5]]]
    assert "(1.5 - x + x*y)**2" in loss.describe()


def test_expression_loss_user_settings():
    formula = "(x - 1)**2 + (y + 2)**2 + z**2"
    loss = ExpressionLoss(formula, ["x", "y", "z"], start=[1, 2, 3], minima=[1, -2, 0], min_value=0)
    assert loss.window is None and loss.start.tolist() == [1.0, 2.0, 3.0]
    assert loss.minima.tolist() == [[1.0, -2.0, 0.0]] and loss.min_value == 0.0
    assert loss.value(loss.minima)[0] == 0.0
    two = ExpressionLoss("x**2 - y**2", ["x", "y"], window=[-1, 1, -2, 2], minima=[[0, 0], [1, 1]])
    assert two.window == Window(-1.0, 1.0, -2.0, 2.0) and two.minima.shape == (2, 2)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"start": [1.0]}, "start must be a list of 2 numbers"),
        ({"start": [1.0, float("nan")]}, "start must be a finite number"),
        ({"window": [1, 0, -1, 1]}, "window must have x_min < x_max"),
        ({"window": [0, 1]}, "window must be [x_min, x_max, y_min, y_max]"),
        ({"minima": [[0.0, 0.0, 0.0]]}, "minima must be a list of 2 numbers"),
        ({"min_value": "low"}, "min_value must be a number"),
    ],
)
def test_expression_loss_rejects_bad_settings(kwargs, expected):
    with pytest.raises(ValueError) as info:
        ExpressionLoss("x**2 + y**2", ["x", "y"], **kwargs)
    assert str(info.value).startswith(expected)


def test_window_only_for_two_variables():
    with pytest.raises(ValueError, match="window is only used to draw 2-variable formulas"):
        ExpressionLoss("x + y + z", ["x", "y", "z"], window=[-1, 1, -1, 1])
