"""models/MODEL_CARD.md quotes the shipped model's own figures (scripts/model_card_tables.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("model_card_tables",
                                                  REPO / "scripts" / "model_card_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_card_tables_are_the_figures_in_the_model_metadata():
    tables = _generator()
    card = (REPO / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    generated = card.split(tables.BEGIN, 1)[1].split(tables.END, 1)[0]
    assert generated == tables.tables(json.loads(tables.METADATA.read_text(encoding="utf-8"))), \
        "models/MODEL_CARD.md is stale: run scripts/model_card_tables.py --write"


def test_card_tables_change_when_the_figures_do():
    tables = _generator()
    meta = json.loads(tables.METADATA.read_text(encoding="utf-8"))
    before = tables.tables(meta)
    meta["figures"]["test"]["combined"]["f1"] = 0.1234
    assert "12.3%" in tables.tables(meta) and tables.tables(meta) != before
