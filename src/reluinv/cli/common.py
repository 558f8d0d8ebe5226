"""Helpers shared by the subcommands: error lines and small formatting."""

from __future__ import annotations

import os

from reluinv.errors import DimacsError


def error_line(path: str, exc: BaseException) -> str:
    """One line naming the input, the place and the rule (no traceback)."""
    if isinstance(exc, DimacsError):
        return f"reluinv: error: {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"reluinv: error: {path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"reluinv: error: {path}: is a directory"
    if isinstance(exc, PermissionError):
        return f"reluinv: error: {path}: permission denied"
    if isinstance(exc, OSError):
        return f"reluinv: error: {path}: {exc.strerror or exc}"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if message.startswith(os.fspath(path)):
        return f"reluinv: error: {message}"
    return f"reluinv: error: {path}: {message}"


def format_histogram(histogram: dict[int, int]) -> str:
    """``{1: 2, 3: 10}`` -> ``"1:2 3:10"`` (``"none"`` when empty)."""
    if not histogram:
        return "none"
    return " ".join(f"{length}:{count}" for length, count in histogram.items())
