"""The built-in rule packs (the YAML files beside this module) and their JSON Schema."""

from pathlib import Path

PACKS_DIR = Path(__file__).resolve().parent
