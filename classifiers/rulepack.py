"""Loading rule packs (rules/README.md): YAML in, validated `Pack`s out, every problem with file:line.

The YAML is read with the safe loader's node composer (never full object construction), so each
value keeps its line. Validation is strict and complete in one pass: an unknown key, a wrong type,
an invalid or unsafe pattern or an unparsable condition is a `Problem` naming the file, the line
and the rule, and the loader goes on to find the next one. A pack with any error is not used
(`load_packs` returns the good packs and the problems, so the running agent keeps the others);
the linter (classifiers/lint.py) adds the quality checks on top of these. The records it builds
are in classifiers/packmodel.py (re-exported here).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import re2
import yaml

from classifiers.categories import CATEGORIES
from classifiers.condition import Condition, ConditionError, parse_condition
from classifiers.packmodel import (
    DEFAULT_WINDOW,
    EXPECTS,
    FORMAT_VERSION,
    LEVELS,
    MAX_PATTERN_CHARS,
    PACK_LANGS,
    RULE_DIRECTIONS,
    STATUSES,
    Context,
    ContextWords,
    Example,
    Pack,
    PackError,
    Pattern,
    Phrase,
    Problem,
    Rule,
    Selection,
)

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_WINDOW", "EXPECTS", "FORMAT_VERSION", "LEVELS", "MAX_PATTERN_CHARS", "PACK_LANGS",
    "RULE_DIRECTIONS", "STATUSES", "Context", "ContextWords", "Example", "Pack", "PackError",
    "Pattern", "Phrase", "Problem", "Rule", "Selection", "builtin_pack_files", "load_packs",
    "pack_files", "read_pack",
]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # we report the error ourselves, with file:line
_RE2_OPTIONS.max_mem = 4 << 20  # a pattern whose program needs more is refused as unsafe


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


_SCALAR_TYPES = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "nothing",
}
_constructor = yaml.constructor.SafeConstructor()


def _value(node: yaml.ScalarNode) -> Any:
    # The constructor remembers every node it built a value for (for YAML anchors, which a
    # scalar never needs): forgotten at once, or every pack's nodes and marks would stay in
    # memory for good (~15,000 nodes for the shipped packs), and be walked by each full
    # garbage collection of the running agent.
    try:
        return _constructor.construct_object(node, deep=True)
    finally:
        _constructor.constructed_objects.pop(node, None)


class _PackReader:
    """Walks one pack's YAML nodes, building the Pack and collecting every problem."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.rule_id: str | None = None  # the rule being read, for messages

    def error(self, node: yaml.Node | int, code: str, message: str, fix: str = "") -> None:
        line = node if isinstance(node, int) else _line(node)
        self.problems.append(Problem(self.file, line, self.rule_id, "error", code, message, fix))

    # --- typed getters: each returns None (after reporting) when the value is not usable ---

    def mapping(self, node: yaml.Node, what: str, known: Iterable[str],
                required: Iterable[str] = ()) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "schema", f"{what}: expected a mapping of keys", "indent the keys under it")
            return None
        known = tuple(known)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in known:
                self.error(key_node, "unknown-key", f"{what}: unknown key {key!r}",
                           f"remove it or correct the spelling; allowed here: {', '.join(known)}")
            elif key in out:
                self.error(key_node, "schema", f"{what}: key {key!r} is given twice", "keep one")
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.error(node, "schema", f"{what}: missing required key {key!r}", f"add '{key}:'")
        return out

    def scalar(self, node: yaml.Node, what: str, kinds: tuple[type, ...], fix: str = "") -> Any:
        if node.tag.startswith("!") or node.tag.startswith("tag:yaml.org,2002:python/"):
            self.error(node, "yaml", f"{what}: the YAML tag {node.tag!r} is not allowed in a rule pack",
                       "remove the tag; write plain text, numbers and lists")
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                value = _value(node)
            except yaml.YAMLError as e:  # e.g. an unknown tag the safe constructor refuses
                self.error(node, "yaml", f"{what}: {getattr(e, 'problem', None) or e}",
                           "write plain text, numbers and lists")
                return None
            if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
                return value
            got = _SCALAR_TYPES.get(node.tag, "a value")
            got = f"{got} {node.value!r}" if node.value else got
        else:
            got = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        want = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
        wanted = " or ".join(dict.fromkeys(want[k] for k in kinds))
        if not fix:
            quotable = str in kinds and isinstance(node, yaml.ScalarNode)
            fix = "put it in quotes" if quotable else f"write {wanted}"
        self.error(node, "schema", f"{what}: expected {wanted}, got {got}", fix)
        return None

    def text(self, node: yaml.Node, what: str) -> str | None:
        return self.scalar(node, what, (str,))

    def number(self, node: yaml.Node, what: str) -> float | None:
        value = self.scalar(node, what, (int, float))
        return None if value is None else float(value)

    def choice(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in allowed:
            self.error(node, "schema", f"{what}: {value!r} is not one of {', '.join(allowed)}",
                       f"use one of {', '.join(allowed)}")
            return None
        return value

    def items(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.error(node, "schema", f"{what}: expected a list", "write it as [a, b] or one '- item' per line")
        return []

    def texts(self, node: yaml.Node, what: str) -> list[tuple[str, int]]:
        out = []
        for item in self.items(node, what):
            value = self.text(item, f"{what} item")
            if value is not None:
                out.append((value, _line(item)))
        return out

    # --- the pack ---

    def read(self, root: yaml.Node | None) -> Pack | None:
        if root is None:
            self.error(1, "schema", "the file is empty", "start it with 'version: 1', 'pack:' and 'rules:'")
            return None
        top = self.mapping(root, "top level", ("version", "pack", "rules"), ("version", "pack", "rules"))
        if top is None:
            return None
        if "version" in top:
            version = self.scalar(top["version"], "version", (int,))
            if version is not None and version != FORMAT_VERSION:
                self.error(top["version"], "schema", f"unsupported version {version} (this jaga reads 1)",
                           "write 'version: 1'")
        pack = Pack(id="", file=self.file)
        if "pack" in top:
            pack.line = _line(top["pack"])
            self.read_header(top["pack"], pack)
        if "rules" in top:
            for node in self.items(top["rules"], "rules"):
                rule = self.read_rule(node)
                if rule is not None:
                    pack.rules.append(rule)
        self.rule_id = None
        seen: dict[str, Rule] = {}
        for rule in pack.rules:
            if rule.id in seen:
                self.rule_id = rule.id
                self.error(rule.line, "duplicate-id",
                           f"rule id {rule.id!r} is already used on line {seen[rule.id].line}",
                           "give each rule its own id")
            seen.setdefault(rule.id, rule)
        self.rule_id = None
        return pack

    def read_header(self, node: yaml.Node, pack: Pack) -> None:
        keys = self.mapping(node, "pack", ("id", "title", "lang", "description", "author"),
                            ("id", "title", "lang"))
        if keys is None:
            return
        for key in ("id", "title", "description", "author"):
            if key in keys:
                setattr(pack, key, self.text(keys[key], f"pack.{key}") or "")
        if "lang" in keys:
            pack.lang = self.choice(keys["lang"], "pack.lang", PACK_LANGS) or ""
        if "id" in keys and pack.id and not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", pack.id):
            self.error(keys["id"], "schema",
                       f"pack.id {pack.id!r}: use lower-case letters, digits, '-', '_', '.'",
                       "rename it, e.g. 'id-informal'")

    # --- one rule ---

    RULE_KEYS = ("id", "title", "status", "description", "author", "references", "level", "categories",
                 "direction", "falsepositives", "selections", "condition", "combine", "weight", "context",
                 "examples")

    def read_rule(self, node: yaml.Node) -> Rule | None:
        self.rule_id = None
        if isinstance(node, yaml.MappingNode):  # name the rule in every message, even the first
            for k, v in node.value:
                if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode):
                    self.rule_id = str(v.value)
        keys = self.mapping(node, "rule", self.RULE_KEYS,
                            ("id", "title", "status", "level", "categories", "weight"))
        if keys is None:
            return None
        rule_id = self.text(keys["id"], "id") if "id" in keys else None
        if not rule_id:
            return None
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", rule_id):
            self.error(keys["id"], "schema",
                       f"rule id {rule_id!r}: use lower-case letters, digits, '-', '_', '.'",
                       "write it as <lang>.<category>.<name>, e.g. id.offer.pulsa")
        rule = Rule(id=rule_id, file=self.file, line=_line(node))
        rule.lines = {k.value: _line(k) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        for key in ("title", "description", "author"):
            if key in keys:
                setattr(rule, key, self.text(keys[key], key) or "")
        if "status" in keys:
            rule.status = self.choice(keys["status"], "status", STATUSES) or rule.status
        if "level" in keys:
            rule.level = self.choice(keys["level"], "level", LEVELS) or rule.level
        if "direction" in keys:
            rule.direction = self.choice(keys["direction"], "direction", RULE_DIRECTIONS) or rule.direction
        if "references" in keys:
            rule.references = [t for t, _ in self.texts(keys["references"], "references")]
        if "falsepositives" in keys:
            if isinstance(keys["falsepositives"], yaml.ScalarNode) and keys["falsepositives"].value == "":
                rule.falsepositives = []
            else:
                rule.falsepositives = [t for t, _ in self.texts(keys["falsepositives"], "falsepositives")]
        if "categories" in keys:
            rule.categories = self.categories(keys["categories"], "categories")
        if "weight" in keys:
            weight = self.number(keys["weight"], "weight")
            rule.weight = weight if weight is not None else 0.0
        if "selections" in keys:
            rule.selections = self.read_selections(keys["selections"])
        if "combine" in keys:
            rule.combine = self.read_combine(keys["combine"])
        if "condition" in keys:
            rule.condition = self.read_condition(keys["condition"], rule)
        elif rule.selections:
            rule.condition = parse_condition(" or ".join(rule.selections))  # default: any selection
        if rule.combine is not None and ("selections" in keys or "condition" in keys):
            self.error(keys["combine"], "schema", "a rule has either 'combine' or 'selections', not both",
                       "split it into a selection rule and a combination rule")
        elif rule.combine is None and "selections" not in keys:
            self.error(node, "schema", "the rule has neither 'selections' nor 'combine'",
                       "add 'selections:' with phrases or patterns, and a 'condition:'")
        if "context" in keys:
            rule.context = self.read_context(keys["context"])
        if "examples" in keys:
            rule.examples = self.read_examples(keys["examples"])
        return rule

    def categories(self, node: yaml.Node, what: str) -> list[str]:
        out = []
        for name, line in self.texts(node, what):
            if name not in CATEGORIES:
                self.error(line, "unknown-category", f"{what}: unknown category {name!r}",
                           f"use the taxonomy's ids: {', '.join(CATEGORIES)}")
            else:
                out.append(name)
        return out

    def read_selections(self, node: yaml.Node) -> dict[str, Selection]:
        out: dict[str, Selection] = {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "schema", "selections: expected a mapping of named selections",
                       "write 'selections:' then 'name:' with 'phrases:' or 'patterns:' under it")
            return out
        for key_node, value_node in node.value:
            name = self.text(key_node, "selection name")
            if name is None:
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) or name.lower() in ("and", "or", "not"):
                self.error(key_node, "schema", f"selection name {name!r} cannot be used in a condition",
                           "use letters, digits and '_' only, and not and/or/not")
            if name in out:
                self.error(key_node, "schema", f"selection {name!r} is given twice", "merge the two")
                continue
            sel = Selection(name, _line(key_node))
            out[name] = sel
            keys = self.mapping(value_node, f"selection {name!r}", ("phrases", "patterns"))
            if keys is None:
                continue
            if "phrases" in keys:
                for text, line in self.texts(keys["phrases"], f"selection {name!r} phrases"):
                    phrase = self.phrase(text, line, f"selection {name!r}")
                    if phrase is not None:
                        sel.phrases.append(phrase)
            if "patterns" in keys:
                for text, line in self.texts(keys["patterns"], f"selection {name!r} patterns"):
                    sel.patterns.append(self.pattern(text, line))
        return out

    def phrase(self, text: str, line: int, where: str) -> Phrase | None:
        stripped = text.strip()
        prefix = stripped.endswith("*")
        body = stripped[:-1].rstrip() if prefix else stripped
        if "*" in body:
            self.error(line, "schema", f"{where}: phrase {text!r} has '*' inside it",
                       "'*' is only allowed at the end of a phrase (a word ending); use a pattern otherwise")
            return None
        return Phrase(body, prefix, line)

    def pattern(self, source: str, line: int) -> Pattern:
        pat = Pattern(source, line)
        if len(source) > MAX_PATTERN_CHARS:
            self.error(line, "unsafe-pattern",
                       f"pattern is {len(source)} characters long (at most {MAX_PATTERN_CHARS})",
                       "split it into several patterns or use phrases")
            return pat
        try:
            pat.regex = re2.compile(source, _RE2_OPTIONS)
        except re2.error as e:
            reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
            if "too large" in reason or "repetition size" in reason:
                self.error(line, "unsafe-pattern", f"pattern {source!r} is too big to run safely ({reason})",
                           "use smaller repetition counts, or phrases")
                return pat
            try:
                re.compile(source)
            except re.error:
                self.error(line, "invalid-pattern",
                           f"pattern {source!r} is not a valid regular expression: {reason}",
                           "check brackets and escapes (single-quote patterns in YAML)")
            else:
                self.error(line, "unsafe-pattern",
                           f"pattern {source!r} needs a backtracking engine ({reason}); only RE2 syntax runs",
                           "remove back-references and look-arounds; use two selections and a condition")
        return pat

    def read_condition(self, node: yaml.Node, rule: Rule) -> Condition | None:
        source = self.text(node, "condition")
        if source is None:
            return None
        try:
            cond = parse_condition(source)
        except ConditionError as e:
            self.error(node, "condition-syntax", f"condition {source!r}: {e}",
                       "use selection names with and, or, not and parentheses")
            return None
        for name in sorted(cond.names - set(rule.selections)):
            self.error(node, "unknown-selection",
                       f"condition names {name!r}, which is not a selection of this rule",
                       f"use one of: {', '.join(rule.selections) or '(no selections)'}")
        return cond

    def read_combine(self, node: yaml.Node) -> list[list[str]] | None:
        groups = []
        for item in self.items(node, "combine"):
            group = self.categories(item, "combine group")
            if isinstance(item, yaml.SequenceNode) and not item.value:
                self.error(item, "schema", "combine: an empty group never matches", "list categories in it")
            groups.append(group)
        return groups

    def read_context(self, node: yaml.Node) -> Context | None:
        keys = self.mapping(node, "context", ("window", "boost", "reduce"))
        if keys is None:
            return None
        ctx = Context(_line(node))
        if "window" in keys:
            window = self.scalar(keys["window"], "context.window", (int,))
            if window is not None and not 1 <= window <= 50:
                self.error(keys["window"], "schema", f"context.window {window} is outside 1..50",
                           "use e.g. 6")
            elif window is not None:
                ctx.window = window
        for kind in ("boost", "reduce"):
            if kind not in keys:
                continue
            sub = self.mapping(keys[kind], f"context.{kind}", ("words", "weight"), ("words", "weight"))
            if sub is None or "words" not in sub or "weight" not in sub:
                continue
            words = [p for t, line in self.texts(sub["words"], f"context.{kind}.words")
                     if (p := self.phrase(t, line, f"context.{kind}")) is not None]
            weight = self.number(sub["weight"], f"context.{kind}.weight")
            if weight is not None and not 0 < weight <= 1:
                self.error(sub["weight"], "weight-range", f"context.{kind}.weight {weight} is outside (0, 1]",
                           f"give a positive number up to 1; {kind} says the direction")
                weight = None
            if weight is not None:
                setattr(ctx, kind, ContextWords(words, weight, _line(keys[kind])))
        return ctx

    def read_examples(self, node: yaml.Node) -> list[Example]:
        out = []
        for item in self.items(node, "examples"):
            keys = self.mapping(item, "example", ("text", "expect", "direction"), ("text", "expect"))
            if keys is None or "text" not in keys or "expect" not in keys:
                continue
            text = self.text(keys["text"], "example text")
            expect = self.choice(keys["expect"], "example expect", EXPECTS)
            direction = "to_child"
            if "direction" in keys:
                direction = self.choice(keys["direction"], "example direction",
                                        ("to_child", "from_child")) or ""
            if text is not None and expect is not None and direction:
                out.append(Example(text, expect, _line(item), direction))
        return out


def read_pack(path: str | Path, source: str | None = None) -> tuple[Pack | None, list[Problem]]:
    """The pack in `path` as far as it could be read (for the linter), and every problem found.

    The pack is returned even when it has errors, so that lint can go on checking it; use
    `load_packs` for packs to match with."""
    file = str(path)
    if source is None:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, [Problem(file, 0, None, "error", "missing-pack", "no such rule pack",
                                  "check the path (a .yaml file or a folder of them)")]
        except (OSError, UnicodeDecodeError) as e:
            return None, [Problem(file, 0, None, "error", "unreadable-pack", f"cannot read: {e}",
                                  "save it as UTF-8 text and check its permissions")]
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else 0
        what = getattr(e, "problem", None) or str(e)
        return None, [Problem(file, line, None, "error", "yaml", f"not valid YAML: {what}",
                              "check the indentation and quote text containing ': ' or '#'")]
    reader = _PackReader(file)
    pack = reader.read(root)
    return pack, reader.problems


def pack_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each path as is, or the *.yaml/*.yml files of a folder in name order."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
        else:
            yield p


def builtin_pack_files() -> list[Path]:
    from rules import PACKS_DIR

    return list(pack_files([PACKS_DIR]))


def load_packs(paths: Iterable[str | Path]) -> tuple[list[Pack], list[Problem]]:
    """The usable packs among `paths` and every problem found.

    A pack with an error is left out as a whole (its problems say why), and so is a pack whose
    id or rule ids repeat those of a pack loaded before it; the others load."""
    packs: list[Pack] = []
    problems: list[Problem] = []
    rule_ids: dict[str, Rule] = {}
    pack_ids: dict[str, Pack] = {}
    for path in pack_files(paths):
        pack, found = read_pack(path)
        problems.extend(found)
        if pack is None or any(p.severity == "error" for p in found):
            continue
        clashes = []
        if pack.id in pack_ids:
            clashes.append(Problem(pack.file, pack.line, None, "error", "duplicate-id",
                                   f"pack id {pack.id!r} is already used by {pack_ids[pack.id].file}",
                                   "give each pack its own id"))
        for rule in pack.rules:
            if rule.id in rule_ids:
                other = rule_ids[rule.id]
                clashes.append(Problem(pack.file, rule.line, rule.id, "error", "duplicate-id",
                                       f"rule id {rule.id!r} is already used in {other.file}:{other.line}",
                                       "give each rule its own id (<lang>.<category>.<name>)"))
        problems.extend(clashes)
        if clashes:
            continue
        pack_ids[pack.id] = pack
        rule_ids.update((r.id, r) for r in pack.rules)
        packs.append(pack)
    for p in problems:
        if p.severity == "error":
            log.debug("rule pack problem: %s", p)
    return packs, problems
