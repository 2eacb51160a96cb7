"""Sigma-like rule conditions: `offer and (secrecy or not shop)` over a rule's selection names.

A tiny recursive-descent parser (no `eval`): names, `and`, `or`, `not`, parentheses. `and` binds
tighter than `or`, but mixing the two at one level without parentheses is reported (`mixed`) so the
linter can refuse it: it is Sigma's most-reported pitfall. The parsed tree compiles to a function
over a bit mask of matched selections (bit i set: selection i matched), built once at load.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# ("sel", name) | ("not", node) | ("and", (node, ...)) | ("or", (node, ...))
Node = tuple

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z_][A-Za-z0-9_.-]*)|(\S))")
_KEYWORDS = {"and", "or", "not"}


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says where."""


@dataclass(slots=True)
class Condition:
    source: str
    tree: Node
    names: set[str] = field(default_factory=set)  # every selection name it mentions
    mixed: bool = False  # `and` and `or` at one level without parentheses


def _tokens(source: str) -> list[str]:
    out: list[str] = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:  # only trailing blanks are left
            break
        if m.group(4):
            raise ConditionError(f"unexpected character {m.group(4)!r} at position {m.start(4) + 1}")
        out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    return out


def parse_condition(source: str) -> Condition:
    """Parse `source`; raises ConditionError with a human message."""
    tokens = _tokens(source)
    if not tokens:
        raise ConditionError("the condition is empty")
    cond = Condition(source, ("or", ()))
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def expr() -> Node:
        # A flat run of terms joined by and/or; precedence applied afterwards, mixing recorded.
        nonlocal pos
        terms = [unary()]
        ops: list[str] = []
        while peek() in ("and", "or"):
            ops.append(tokens[pos].lower())
            pos += 1
            terms.append(unary())
        if "and" in ops and "or" in ops:
            cond.mixed = True
        groups: list[list[Node]] = [[terms[0]]]
        for op, term in zip(ops, terms[1:], strict=True):
            if op == "and":
                groups[-1].append(term)
            else:
                groups.append([term])
        ands = [g[0] if len(g) == 1 else ("and", tuple(g)) for g in groups]
        return ands[0] if len(ands) == 1 else ("or", tuple(ands))

    def unary() -> Node:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise ConditionError("the condition ends too early (a name or '(' is missing)")
        if tok.lower() == "not":
            pos += 1
            return ("not", unary())
        if tok == "(":
            pos += 1
            inner = expr()
            if peek() != ")":
                raise ConditionError("a '(' is not closed")
            pos += 1
            return inner
        if tok == ")" or tok.lower() in _KEYWORDS:
            raise ConditionError(f"expected a selection name or '(', found {tok!r}")
        pos += 1
        cond.names.add(tok)
        return ("sel", tok)

    cond.tree = expr()
    if pos != len(tokens):
        raise ConditionError(f"unexpected {tokens[pos]!r} after a complete condition")
    return cond


def compile_condition(tree: Node, index: dict[str, int]) -> Callable[[int], bool]:
    """A function of the matched-selections bit mask; unknown names never match."""
    kind = tree[0]
    if kind == "sel":
        bit = 1 << index[tree[1]] if tree[1] in index else 0
        return lambda mask: bool(mask & bit)
    if kind == "not":
        inner = compile_condition(tree[1], index)
        return lambda mask: not inner(mask)
    parts = tuple(compile_condition(t, index) for t in tree[1])
    if kind == "and":
        return lambda mask: all(p(mask) for p in parts)
    return lambda mask: any(p(mask) for p in parts)


def any_of_mask(tree: Node, index: dict[str, int]) -> int | None:
    """If `tree` is just `a or b or ...`, the mask of those selections (a fast path), else None."""
    if tree[0] == "sel":
        return 1 << index[tree[1]] if tree[1] in index else None
    if tree[0] == "or":
        mask = 0
        for t in tree[1]:
            m = any_of_mask(t, index)
            if m is None:
                return None
            mask |= m
        return mask
    return None
