"""The one error type a user sees: a request that cannot be submitted as given."""


class SubmitError(Exception):
    """A submission request that must change before it can run.

    The message is a single line that names what to change; the command line prints it and
    exits with status 2 (the usual status for a usage error).
    """


class JobDidNotSucceed(Exception):
    """A submitted job that failed, was cancelled, or was left running by Ctrl-C.

    The message is one line with the job's status and studio link; the command line prints it and
    exits with `exit_status` (1, or 130 after Ctrl-C as shells do), never 0.
    """

    def __init__(self, message: str, exit_status: int = 1):
        super().__init__(message)
        self.exit_status = exit_status
