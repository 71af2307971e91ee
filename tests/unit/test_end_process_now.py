"""train.common.faults.entrypoint.end_process_now: from a watchdog thread, the lost-peer line is the process's
last line and its exit status is 3, while the main thread is still blocked (a real child process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import logging, threading, time
    from train.common.faults.entrypoint import end_process_now
    from train.common.faults.lost_peer import LostPeerError, RunProgress
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    progress = RunProgress(phase="step 12", resume_step=10)
    def watchdog():
        time.sleep(0.5)
        end_process_now(LostPeerError(0, "a peer (Horovod cannot tell which)", progress, "collective timeout", None))
    threading.Thread(target=watchdog, daemon=True).start()
    logging.info("blocked in a collective")
    time.sleep(60)   # the main thread never returns by itself
""")


def test_the_line_is_last_and_the_status_is_3_while_the_main_thread_is_blocked():
    result = subprocess.run([sys.executable, "-c", CHILD], cwd=REPOSITORY_ROOT, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == ["blocked in a collective",
                     "error: rank 0: lost a peer (Horovod cannot tell which), which stopped answering "
                     "(collective timeout), during step 12; a restart resumes from the checkpoint of step 10 "
                     "(continuing at step 11)"]
