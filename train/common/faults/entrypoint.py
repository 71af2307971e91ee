"""How every `python -m train.<framework>` ends a run that did not end normally, in one line.

- A UsageError (bad flags, data or environment) or a LaunchEnvError (a launcher's variables that
  contradict each other): `error: ...` on stderr and exit status 2, the status argparse uses for
  bad flags.
- A LostPeerError (a peer of a distributed job died or went silent): `error: ...` and exit status 3;
  the traceback is in the debug log the line names (train.common.faults.lost_peer).
- StoppedBySignal (SIGTERM, after the checkpoint was written): one line and exit status 143, as if
  SIGTERM had ended the process, which is what launchers expect (train.common.faults.stop_signal).

Either way a job's outcome is the last line of its log, not a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from train.common.errors import EXIT_USAGE, UsageError
from train.common.faults.lost_peer import EXIT_LOST_PEER, LostPeerError
from train.common.faults.stop_signal import EXIT_STOPPED, StoppedBySignal
from train.launch_env import LaunchEnvError


def _last_line(line: str, status: int) -> int:
    logging.shutdown()   # flush the log lines before this one, so it stays the last line
    # ... and none after it: a framework's threads may still log while the process ends (TensorFlow's
    # cluster coordinator logs every closure it cancels once a parameter server is gone).
    logging.disable(logging.CRITICAL)
    print(line, file=sys.stderr, flush=True)
    return status


def end_process_now(error: LostPeerError) -> NoReturn:
    """The lost-peer line and exit status 3 at once, from a watchdog thread while the main thread is
    stuck in a collective that no Python code can interrupt (os._exit: nothing waits for that thread)."""
    status = _last_line(f"error: {error}", EXIT_LOST_PEER)
    sys.stdout.flush()
    os._exit(status)


def run_main(main: Callable[[], int]) -> int:
    """main()'s exit status, or the status of how it ended after one line (see the module's docstring)."""
    try:
        return main()
    except (UsageError, LaunchEnvError) as exc:
        return _last_line(f"error: {exc}", EXIT_USAGE)
    except LostPeerError as exc:
        return _last_line(f"error: {exc}", EXIT_LOST_PEER)
    except StoppedBySignal as exc:
        return _last_line(str(exc), EXIT_STOPPED)
