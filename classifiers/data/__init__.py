"""Data files of the normalizer (slang, lookalike letters, lexicon): reviewed YAML, not code."""
