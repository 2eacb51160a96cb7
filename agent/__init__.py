"""jaga's agent: the command line, the conversation tracker, the proxy addon, the alert store and
delivery. Detection itself lives in `classifiers`."""

__version__ = "0.1.0"
