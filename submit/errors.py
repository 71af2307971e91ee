"""The one error type a user sees: a request that cannot be submitted as given."""


class SubmitError(Exception):
    """A submission request that must change before it can run.

    The message is a single line that names what to change; the command line prints it and
    exits with status 2 (the usual status for a usage error).
    """
