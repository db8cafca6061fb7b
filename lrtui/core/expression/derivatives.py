"""Exact symbolic derivatives over the IR: gradients by reverse accumulation,
Hessian-vector products by forward-mode tangents of the gradient graph.

Both rest on one rule, `chain`: the derivative of a node along its i-th
operand, multiplied by an incoming factor `g`. It is linear in `g`, so reverse
mode passes an adjoint as `g` and forward mode passes a tangent.
"""

from __future__ import annotations

from lrtui.core.expression.ir import Graph, Node, reachable


def chain(graph: Graph, node: Node, i: int, g: Node) -> Node:
    """g * d(node)/d(node.args[i]), built from shared nodes."""
    op, args = node.op, node.args
    a = args[0]
    if op == "add":
        return g
    if op == "sub":
        return g if i == 0 else graph.neg(g)
    if op == "mul":
        return graph.mul(g, args[1 - i])
    if op == "div":
        if i == 0:
            return graph.div(g, args[1])
        # d(a/b)/db = -(a/b)/b, reusing the quotient already computed.
        return graph.neg(graph.div(graph.mul(g, node), args[1]))
    if op == "pow":
        return _chain_pow(graph, node, i, g)
    if op == "neg":
        return graph.neg(g)
    return graph.mul(g, _unary_derivative(graph, node))


def _chain_pow(graph: Graph, node: Node, i: int, g: Node) -> Node:
    base, exponent = node.args
    one = graph.const(1.0)
    if i == 0:
        lowered = graph.pow(base, graph.sub(exponent, one))
        return graph.mul(g, graph.mul(exponent, lowered))
    return graph.mul(g, graph.mul(node, graph.call("log", base)))


def _unary_derivative(graph: Graph, node: Node) -> Node:
    op, a = node.op, node.args[0]
    one = graph.const(1.0)
    if op == "sin":
        return graph.call("cos", a)
    if op == "cos":
        return graph.neg(graph.call("sin", a))
    if op == "tan":
        return graph.add(one, graph.mul(node, node))
    if op == "exp":
        return node
    if op == "log":
        return graph.div(one, a)
    if op == "sqrt":
        return graph.div(graph.const(0.5), node)
    if op == "abs":
        return graph.call("sign", a)
    if op == "sign":
        return graph.const(0.0)
    if op == "tanh":
        return graph.sub(one, graph.mul(node, node))
    if op == "sinh":
        return graph.call("cosh", a)
    if op == "cosh":
        return graph.call("sinh", a)
    if op == "arctan":
        return graph.div(one, graph.add(one, graph.mul(a, a)))
    raise KeyError(f"no derivative rule for {op!r}")


def gradient(graph: Graph, output: Node, n_vars: int) -> list[Node]:
    """d(output)/d(var i) for i < n_vars, by reverse accumulation."""
    adjoints: dict[int, Node] = {output.id: graph.const(1.0)}
    for node in reversed(reachable([output])):
        g = adjoints.get(node.id)
        if g is None or g.equals(0.0):
            continue
        for i, operand in enumerate(node.args):
            if operand.is_const:
                continue
            contribution = chain(graph, node, i, g)
            earlier = adjoints.get(operand.id)
            adjoints[operand.id] = contribution if earlier is None else graph.add(earlier, contribution)
    zero = graph.const(0.0)
    return [adjoints.get(graph.var(i).id, zero) for i in range(n_vars)]


def tangents(graph: Graph, outputs: list[Node], n_vars: int) -> list[Node]:
    """Directional derivatives of `outputs` along the vector held in vars n_vars .. 2*n_vars-1."""
    tangent: dict[int, Node] = {}
    for node in reachable(outputs):
        if node.op == "var":
            tangent[node.id] = graph.var(n_vars + node.value)
            continue
        total = None
        for i, operand in enumerate(node.args):
            incoming = tangent.get(operand.id)
            if incoming is None:
                continue
            contribution = chain(graph, node, i, incoming)
            total = contribution if total is None else graph.add(total, contribution)
        if total is not None and not total.equals(0.0):
            tangent[node.id] = total
    zero = graph.const(0.0)
    return [tangent.get(node.id, zero) for node in outputs]
