"""The intermediate representation: a hash-consed DAG of float64 operations.

Every node is created through a `Graph`, which returns the existing node when
the same operation on the same operands was built before. Derivative graphs
therefore share subexpressions with the formula and with each other, which is
what keeps them small. The builders also fold constants and apply only
simplifications that are exact in IEEE arithmetic for finite operands
(0 + a, 1 * a, -(-a), a + (-b) = a - b, ...), plus merging constant factors.

Node ids increase with creation and operands always exist before the node
that uses them, so sorting nodes by id is a topological order.
"""

from __future__ import annotations

from lrtui.core.expression.kernels import UNARY, fold

COMMUTATIVE = frozenset({"add", "mul"})


class Node:
    """One operation. `value` is the number of a "const" node or the input index of a "var" node."""

    __slots__ = ("op", "args", "value", "id")

    def __init__(self, op: str, args: tuple[Node, ...], value, node_id: int):
        self.op = op
        self.args = args
        self.value = value
        self.id = node_id

    @property
    def is_const(self) -> bool:
        return self.op == "const"

    def equals(self, number: float) -> bool:
        return self.op == "const" and self.value == number

    def __repr__(self) -> str:
        if self.op in ("const", "var"):
            return f"<{self.op} {self.value!r}>"
        return f"<{self.op} #{self.id}({', '.join(f'#{a.id}' for a in self.args)})>"


class Graph:
    """Builds and interns nodes; all derivative nodes of a formula live in the same graph."""

    def __init__(self):
        self._table: dict[tuple, Node] = {}
        self.size = 0

    def _intern(self, op: str, args: tuple[Node, ...] = (), value=None) -> Node:
        if op in COMMUTATIVE:
            args = tuple(sorted(args, key=lambda node: node.id))
        key = (op, tuple(a.id for a in args), value)
        node = self._table.get(key)
        if node is None:
            node = Node(op, args, value, self.size)
            self.size += 1
            self._table[key] = node
        return node

    def const(self, number: float) -> Node:
        number = float(number)
        # The hex form tells 0.0 from -0.0, which == and hash() do not.
        key = ("const", (), number.hex())
        node = self._table.get(key)
        if node is None:
            node = Node("const", (), number, self.size)
            self.size += 1
            self._table[key] = node
        return node

    def var(self, index: int) -> Node:
        return self._intern("var", (), index)

    def _folded(self, op: str, *args: Node) -> Node | None:
        if all(a.is_const for a in args):
            return self.const(fold(op, tuple(a.value for a in args)))
        return None

    def add(self, a: Node, b: Node) -> Node:
        if (done := self._folded("add", a, b)) is not None:
            return done
        if a.equals(0.0):
            return b
        if b.equals(0.0):
            return a
        if b.op == "neg":
            return self.sub(a, b.args[0])
        if a.op == "neg":
            return self.sub(b, a.args[0])
        if a is b:
            return self.mul(self.const(2.0), a)
        return self._intern("add", (a, b))

    def sub(self, a: Node, b: Node) -> Node:
        if (done := self._folded("sub", a, b)) is not None:
            return done
        if b.equals(0.0):
            return a
        if a.equals(0.0):
            return self.neg(b)
        if b.op == "neg":
            return self.add(a, b.args[0])
        return self._intern("sub", (a, b))

    def mul(self, a: Node, b: Node) -> Node:
        if (done := self._folded("mul", a, b)) is not None:
            return done
        if b.is_const:
            a, b = b, a
        if a.is_const:
            if a.value == 0.0:
                return a
            if a.value == 1.0:
                return b
            if a.value == -1.0:
                return self.neg(b)
            if b.op == "neg":
                return self.mul(self.const(-a.value), b.args[0])
            if (split := constant_factor(b)) is not None:
                factor, rest = split
                return self.mul(self.const(fold("mul", (a.value, factor))), rest)
        if a.op == "neg" and b.op == "neg":
            return self.mul(a.args[0], b.args[0])
        if a.op == "neg":
            return self.neg(self.mul(a.args[0], b))
        if b.op == "neg":
            return self.neg(self.mul(a, b.args[0]))
        return self._intern("mul", (a, b))

    def div(self, a: Node, b: Node) -> Node:
        if (done := self._folded("div", a, b)) is not None:
            return done
        if b.equals(1.0):
            return a
        if a.equals(0.0):
            return a
        if a.op == "neg":
            return self.neg(self.div(a.args[0], b))
        if b.op == "neg":
            return self.neg(self.div(a, b.args[0]))
        return self._intern("div", (a, b))

    def neg(self, a: Node) -> Node:
        if (done := self._folded("neg", a)) is not None:
            return done
        if a.op == "neg":
            return a.args[0]
        if a.op == "sub":
            return self.sub(a.args[1], a.args[0])
        if (split := constant_factor(a)) is not None:
            return self.mul(self.const(-split[0]), split[1])
        return self._intern("neg", (a,))

    def pow(self, base: Node, exponent: Node) -> Node:
        if (done := self._folded("pow", base, exponent)) is not None:
            return done
        if exponent.equals(1.0):
            return base
        if exponent.equals(0.0):
            return self.const(1.0)
        return self._intern("pow", (base, exponent))

    def call(self, function: str, a: Node) -> Node:
        if function not in UNARY or function == "neg":
            raise KeyError(function)
        if (done := self._folded(function, a)) is not None:
            return done
        return self._intern(function, (a,))


def constant_factor(node: Node) -> tuple[float, Node] | None:
    """(c, rest) when node is c * rest with a constant c, else None."""
    if node.op != "mul":
        return None
    first, second = node.args
    if first.is_const:
        return first.value, second
    if second.is_const:
        return second.value, first
    return None


def reachable(outputs) -> list[Node]:
    """All nodes the outputs depend on, operands before users."""
    seen: dict[int, Node] = {}
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if node.id not in seen:
            seen[node.id] = node
            stack.extend(node.args)
    return [seen[i] for i in sorted(seen)]
