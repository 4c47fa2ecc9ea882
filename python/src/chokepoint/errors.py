"""The package's exceptions: the command line's errors, with their parts."""

from __future__ import annotations


class ChokepointError(RuntimeError):
    """An error of the model that is not the user's input (the command
    line's exit code 1): a file that cannot be written, a failed worker.

    ``str(error)`` is the command line's message (after ``error:``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        problems: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The file the error names, if any.
        self.file = file
        #: 1-based line and column in ``file``, for a parse error.
        self.line = line
        self.column = column
        #: The field (dotted path) concerned: the first problem's for a
        #: scenario with several problems; the ``--set`` path for an override.
        self.field = field
        #: Every ``(field, message)`` found, for a file with several problems.
        self.problems = list(problems or [])


class InputError(ChokepointError, ValueError):
    """Bad input (the command line's exit code 2): a malformed or invalid
    scenario, run or sweep file, an override that cannot be applied, a
    folder in the way. Carries the same message, file, line, column and
    field as the command line prints."""
