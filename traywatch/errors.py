"""Errors meant for people: each has a short title and a message that says what to do."""

from __future__ import annotations

from pathlib import Path

# Exit statuses of the command line (docs/check-json.md); ``traywatch check`` uses all five.
EXIT_ALL_CLEAR = 0
EXIT_THEM = 1
EXIT_USAGE = 2
EXIT_YOU = 3
EXIT_INTERNAL = 4


class TraywatchError(Exception):
    """An error a person will read; ``title`` fits a dialog title, ``message`` the body."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message


class ConfigError(TraywatchError):
    """A config or catalog file that cannot be used, with where and what was expected."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        self.path = Path(path)
        self.where = where
        self.problem = problem
        location = f"{self.path}: {where}" if where else str(self.path)
        super().__init__("Invalid configuration", f"{location}: {problem}")


def ending(exc: Exception) -> tuple[str, int]:
    """How a command ends on an error: the line it prints, and its exit status. An error meant
    for people is said as it is; any other is named by its type only (its text could quote a
    URL with credentials), with where to learn more."""
    if isinstance(exc, TraywatchError):
        return f"traywatch: {exc.message}", EXIT_USAGE
    return f"traywatch: internal error ({type(exc).__name__}); run with --verbose for details", EXIT_INTERNAL
