"""jaga's detection engine: text normalization, rule packs, the trained model and the combined scorer.

Nothing here imports mitmproxy: `jaga classify`, `jaga scan` and the proxy addon all call the same
pure code.
"""
