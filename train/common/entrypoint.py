"""How every `python -m train.<framework>` ends a run that the user's input made impossible.

A UsageError (bad flags, data or environment) or a LaunchEnvError (a launcher's variables that
contradict each other) becomes one line on stderr and exit status 2, the status argparse uses for
bad flags, so a job's failure reason is the last line of its log, not a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from train.common.errors import EXIT_USAGE, UsageError
from train.launch_env import LaunchEnvError


def run_main(main: Callable[[], int]) -> int:
    """main()'s exit status, or EXIT_USAGE after one `error: ...` line for a usage error."""
    try:
        return main()
    except (UsageError, LaunchEnvError) as exc:
        logging.shutdown()   # flush the log lines before the error, so it stays the last line
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
