"""A parameter-server job's ps and worker tasks: serve until the coordinator has come and gone.

A tf.distribute.Server cannot be stopped and `server.join()` never returns, so a ps task would
outlive training forever. Instead the task polls the coordinator's port (train.tensorflow.cluster):
once the coordinator has been reachable and then refuses connections `GONE_CHECKS` times in a row,
training is over (or the coordinator failed: its own exit status says which) and the task exits 0.
A coordinator that never appears within `wait_timeout` seconds is an error (exit 1).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
GONE_CHECKS = 3


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=POLL_SECONDS):
            return True
    except OSError:   # refused, unreachable, or a name that no longer resolves (container gone)
        return False


def wait_for_coordinator(host: str, port: int, wait_timeout: float) -> bool:
    """True once the coordinator has come and gone; False when it never came within `wait_timeout`."""
    deadline = time.monotonic() + wait_timeout
    while not _reachable(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    log.info("coordinator %s:%d is up; serving until it goes away", host, port)
    misses = 0
    while misses < GONE_CHECKS:
        time.sleep(POLL_SECONDS)
        misses = 0 if _reachable(host, port) else misses + 1
    return True


def serve(tf_config: dict, task_type: str, task_index: int, wait_timeout: float) -> int:
    """Run the (task_type, task_index) server of the cluster in `tf_config` (coordinator included)."""
    import tensorflow as tf

    from train.tensorflow.cluster import coordinator_address

    cluster = tf.train.ClusterSpec(tf_config["cluster"])
    # The server must exist before the coordinator connects; it runs on its own threads.
    tf.distribute.Server(cluster, job_name=task_type, task_index=task_index, protocol="grpc", start=True)
    log.info("%s %d serving at %s", task_type, task_index, cluster.task_address(task_type, task_index))
    host, port = coordinator_address(tf_config)
    came_and_went = wait_for_coordinator(host, port, wait_timeout)
    if not came_and_went:
        log.error("coordinator %s:%d did not come up within %.0fs", host, port, wait_timeout)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # The server's threads cannot be joined or stopped: leave without waiting for them.
    os._exit(0 if came_and_went else 1)


def main() -> None:
    """`python -m train.tensorflow.serve`: the worker-0 server, started by the coordinator process."""
    import json

    from train.common.reporting.rank_logging import configure_logging
    from train.launch_env import detect

    launch = detect()
    configure_logging(launch.rank, launch.world_size)
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    config = json.loads(os.environ["TF_CONFIG"])
    serve(config, config["task"]["type"], int(config["task"]["index"]),
          float(os.environ.get("TRAINYARD_COORDINATOR_WAIT", "600")))


if __name__ == "__main__":
    main()
