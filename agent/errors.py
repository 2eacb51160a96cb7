"""Errors that the command line turns into exit statuses (../shared/spec/contracts.md).

A `UsageError` (exit 2) is a bad command line or configuration: one clear line on stderr, no
traceback. Bad *input* found while working is reported where it is found and gives exit 1.
"""

from __future__ import annotations


class UsageError(Exception):
    """A usage or configuration error: exit status 2, one line on stderr."""

    exit_status = 2
