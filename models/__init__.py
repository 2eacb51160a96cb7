"""The built-in model artifact, its metadata and its card (the files beside this module)."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
