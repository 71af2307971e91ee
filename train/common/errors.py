"""Errors that mean "the user asked for something that cannot work", as opposed to bugs.

Entrypoints turn a UsageError into one line on stderr and exit status 2 (the same status argparse
uses for bad flags), so a job's failure reason is the last line of its log, not a traceback.
"""

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line, the environment or the data directory."""


class NoSpaceError(UsageError):
    """A write failed because its file system is full (or the user's quota is): the message names
    the folder and the bytes the write needed; the entrypoint ends with it in one line, exit 2."""
