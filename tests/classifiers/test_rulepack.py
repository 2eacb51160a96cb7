"""classifiers/rulepack.py: strict loading, every problem with file:line:rule, all in one pass."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from classifiers.rulepack import PackError, Problem, builtin_pack_files, load_packs, read_pack

PACKS = Path(__file__).parent / "packs"
SCHEMA = Path(__file__).resolve().parents[2] / "rules" / "schema.json"

HEADER = "version: 1\npack: {id: p, title: P, lang: id}\nrules:\n"
RULE = """\
  - id: r.one
    title: One
    status: test
    level: low
    categories: [offer_credit]
    falsepositives: [x]
    selections:
      s: {phrases: [kasih pulsa]}
    condition: s
    weight: 0.4
"""


def pack_text(rule: str = RULE, header: str = HEADER) -> str:
    return header + rule


def problems_of(source: str) -> list[Problem]:
    return read_pack("p.yaml", source)[1]


def codes_and_lines(source: str) -> list[tuple[str, int]]:
    return [(p.code, p.line) for p in problems_of(source)]


# --- a valid pack loads into rules -----------------------------------------------------------


def test_valid_pack_loads_every_field():
    pack, problems = read_pack(PACKS / "small.yaml")
    assert problems == []
    assert pack is not None and pack.id == "test-small" and pack.lang == "id"
    offer = pack.rules[0]
    assert offer.id == "t.offer.pulsa" and offer.direction == "to_child"
    phrases = offer.selections["offer"].phrases
    assert [p.text for p in phrases] == ["kasih pulsa", "kirim pulsa", "isiin pulsa"]
    assert offer.selections["offer"].phrases[2].prefix is True
    assert offer.selections["amount"].patterns[0].regex is not None
    assert offer.condition is not None and offer.condition.names == {"offer", "amount", "shop"}
    assert offer.context is not None and offer.context.window == 3 and offer.context.boost.weight == 0.2
    assert [e.expect for e in offer.examples] == ["match", "match", "no-match", "no-match", "todo-match"]
    assert offer.examples[3].direction == "from_child"
    combo = pack.rules[3]
    assert combo.combine == [["offer_credit", "offer_money"], ["secrecy"]]
    assert pack.rules[4].weight == -0.5 and pack.rules[4].categories == []


def test_condition_defaults_to_any_selection():
    pack, problems = read_pack("p.yaml", pack_text(RULE.replace("    condition: s\n", "")))
    assert problems == []
    assert pack.rules[0].condition.names == {"s"}


# --- bad input: one problem each, naming the line and the rule ------------------------------

BAD_RULES = [
    # (what, replace this, with this, expected code, expected line)
    ("unknown key", "    weight: 0.4\n", "    weight: 0.4\n    wieght: 1\n", "unknown-key", 14),
    ("wrong type for weight", "weight: 0.4", "weight: heavy", "schema", 13),
    ("text where a list is needed", "falsepositives: [x]", "falsepositives: {a: b}", "schema", 9),
    ("unknown category", "[offer_credit]", "[offer_credits]", "unknown-category", 8),
    ("status not allowed", "status: test", "status: final", "schema", 6),
    ("direction not allowed", "level: low", "level: low\n    direction: both", "schema", 8),
    ("required key missing", "    title: One\n", "", "schema", 4),
    ("invalid pattern", "{phrases: [kasih pulsa]}", "{patterns: ['pulsa (']}", "invalid-pattern", 11),
    ("back-reference needs backtracking", "{phrases: [kasih pulsa]}", "{patterns: ['(a)\\1']}",
     "unsafe-pattern", 11),
    ("look-ahead needs backtracking", "{phrases: [kasih pulsa]}", "{patterns: ['pulsa(?=x)']}",
     "unsafe-pattern", 11),
    ("pattern too long", "{phrases: [kasih pulsa]}", "{patterns: ['" + "a" * 201 + "']}",
     "unsafe-pattern", 11),
    ("pattern over RE2's memory cap", "{phrases: [kasih pulsa]}",
     "{patterns: ['\\pL{1000}\\pL{1000}\\pL{1000}']}", "unsafe-pattern", 11),
    ("condition syntax", "condition: s", "condition: s and (", "condition-syntax", 12),
    ("condition names an unknown selection", "condition: s", "condition: s or t", "unknown-selection", 12),
    ("star inside a phrase", "[kasih pulsa]", "['kasih * pulsa']", "schema", 11),
    ("neither selections nor combine",
     "    selections:\n      s: {phrases: [kasih pulsa]}\n    condition: s\n", "", "schema", 4),
    ("combine and selections together", "    weight: 0.4\n", "    weight: 0.4\n    combine: [[secrecy]]\n",
     "schema", 14),
    ("example expect not allowed", "    weight: 0.4\n",
     "    weight: 0.4\n    examples:\n      - {text: hai, expect: nomatch}\n", "schema", 15),
    ("example text not text", "    weight: 0.4\n",
     "    weight: 0.4\n    examples:\n      - {text: 12, expect: match}\n", "schema", 15),
    ("context weight out of range", "    weight: 0.4\n",
     "    weight: 0.4\n    context: {boost: {words: [om], weight: 2}}\n", "weight-range", 14),
]


@pytest.mark.parametrize("what, old, new, code, line", BAD_RULES, ids=[b[0] for b in BAD_RULES])
def test_bad_rule_is_one_problem_with_its_line_and_rule_id(what, old, new, code, line):
    assert old in RULE
    problems = problems_of(pack_text(RULE.replace(old, new)))
    assert [(p.code, p.line) for p in problems] == [(code, line)]
    assert problems[0].rule == "r.one" and problems[0].severity == "error"
    assert problems[0].fix  # every problem says how to fix it
    assert str(problems[0]).startswith(f"p.yaml:{line}: error r.one: ")


BAD_PACKS = [
    ("not YAML", "version: 1\npack: [\n", "yaml", 3),
    ("empty file", "", "schema", 1),
    ("no version", "pack: {id: p, title: P, lang: id}\nrules: []\n", "schema", 1),
    ("version 2", "version: 2\npack: {id: p, title: P, lang: id}\nrules: []\n", "schema", 1),
    ("unknown top-level key", HEADER.replace("rules:", "rulez: []\nrules:") + RULE, "unknown-key", 3),
    ("unknown language", HEADER.replace("lang: id", "lang: xx") + RULE, "schema", 2),
    ("rules not a list", "version: 1\npack: {id: p, title: P, lang: id}\nrules: {a: 1}\n", "schema", 3),
    ("duplicate rule id in one pack", HEADER + RULE + RULE, "duplicate-id", 14),
]


@pytest.mark.parametrize("what, source, code, line", BAD_PACKS, ids=[b[0] for b in BAD_PACKS])
def test_bad_pack_is_reported_with_its_line(what, source, code, line):
    assert codes_and_lines(source) == [(code, line)]


def test_every_problem_of_a_pack_is_reported_in_one_pass():
    rule = (RULE.replace("weight: 0.4", "weight: heavy").replace("[offer_credit]", "[nope]")
            .replace("condition: s", "condition: s or t") + "    colour: red\n")
    second = RULE.replace("r.one", "r.two").replace("status: test", "status: done")
    found = codes_and_lines(pack_text(rule + second))
    assert sorted(found) == [("schema", 13), ("schema", 17), ("unknown-category", 8),
                             ("unknown-key", 14), ("unknown-selection", 12)]


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    pack, problems = read_pack(tmp_path / "nope.yaml")
    assert pack is None and [p.code for p in problems] == ["missing-pack"]


def test_file_that_is_not_utf8_is_a_problem(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\n# caf\xe9\n")
    assert [p.code for p in read_pack(path)[1]] == ["unreadable-pack"]


@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system [echo hi]",
    "!!python/name:os.system",
    "!custom text",
])
def test_yaml_tags_that_would_construct_objects_are_refused(tagged):
    source = pack_text(RULE.replace("title: One", f"title: {tagged}"))
    assert [(p.code, p.line) for p in problems_of(source)] == [("yaml", 5)]


# --- load_packs: bad packs are left out, the others load ----------------------------------------


def test_load_packs_keeps_good_packs_and_reports_the_bad_one(tmp_path):
    (tmp_path / "a_good.yaml").write_text(pack_text(), encoding="utf-8")
    (tmp_path / "b_bad.yaml").write_text(pack_text(RULE.replace("r.one", "r.two").replace("0.4", "x"))
                                         .replace("id: p,", "id: q,"), encoding="utf-8")
    packs, problems = load_packs([tmp_path, tmp_path / "missing.yaml"])
    assert [p.id for p in packs] == ["p"]
    assert [(Path(p.file).name, p.code) for p in problems] == [("b_bad.yaml", "schema"),
                                                               ("missing.yaml", "missing-pack")]


def test_load_packs_refuses_a_rule_id_already_loaded(tmp_path):
    (tmp_path / "a.yaml").write_text(pack_text(), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(pack_text().replace("id: p,", "id: q,"), encoding="utf-8")
    packs, problems = load_packs([tmp_path])
    assert [p.id for p in packs] == ["p"]
    assert [(p.code, p.rule) for p in problems] == [("duplicate-id", "r.one")]


def test_pack_error_lists_every_problem():
    bad = RULE.replace("weight: 0.4", "weight: x").replace("[offer_credit]", "[y]")
    problems = problems_of(pack_text(bad))
    message = str(PackError(problems))
    assert message.startswith("2 problems in rule packs") and "p.yaml:13" in message and "p.yaml:8" in message


# --- the JSON Schema says the same as the loader ------------------------------------------------


def test_schema_accepts_the_test_pack_and_the_shipped_packs():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in [PACKS / "small.yaml", *builtin_pack_files()]:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


SCHEMA_CASES = [b for b in BAD_RULES if b[3] in ("unknown-key", "schema", "weight-range")]


@pytest.mark.parametrize("what, old, new, code, line", SCHEMA_CASES, ids=[b[0] for b in SCHEMA_CASES])
def test_schema_rejects_what_the_loader_rejects(what, old, new, code, line):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = yaml.safe_load(pack_text(RULE.replace(old, new)))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def readme_yaml_blocks() -> list[str]:
    readme = (Path(__file__).resolve().parents[2] / "rules" / "README.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in readme.split("```yaml\n")[1:]]


def test_readme_format_block_first_rule_is_valid():
    # The format block's pack header and first rule are complete and valid as written.
    block = next(b for b in readme_yaml_blocks() if b.startswith("version: 1"))
    first_rule = block.split("\n\n  #", 1)[0]
    pack, problems = read_pack("README.md", first_rule)
    assert problems == [] and pack is not None and pack.rules[0].id == "id.offer.pulsa"


def test_readme_tutorial_rule_lints_clean_and_passes_its_examples():
    from classifiers.lint import lint_packs
    from classifiers.ruletest import run_examples

    tutorial = next(b for b in readme_yaml_blocks() if "id.offer.diamond_gratis" in b)
    rule = textwrap.indent(textwrap.dedent(tutorial), "  ")  # the block sits in a numbered list
    pack, problems = read_pack("README.md", "version: 1\npack: {id: t, title: T, lang: id}\nrules:\n" + rule)
    assert problems == [] and pack is not None
    assert lint_packs([(pack, problems)]).problems == []
    assert run_examples([pack]).summary() == "2 passed, 0 failed, 0 todo"
