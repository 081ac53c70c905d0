"""The project's exceptions, each carrying the exit code the CLI turns it into."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    OVERDUE = 3
    INTERRUPTED = 130


class CrmError(Exception):
    """A command could not do what was asked; the message is one sentence for the user."""

    exit_code: ExitCode = ExitCode.FAILED


class NotFound(CrmError):
    pass


class Ambiguous(CrmError):
    pass


class IllegalTransition(CrmError):
    pass


class Conflict(CrmError):
    pass


class DatabaseProblem(CrmError):
    pass


class BadInput(CrmError):
    exit_code = ExitCode.BAD_INPUT
