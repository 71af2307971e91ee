"""`python -m train.tensorflow`: parse flags, pick the mode from the launch, train; usage errors exit 2.

Modes (train.tensorflow.roles): MultiWorkerMirroredStrategy for TF_CONFIG without parameter servers
(and for a single local process), ParameterServerStrategy for TF_CONFIG with them, Horovod under
mpirun. The shared flags are train.common.common_flags'; ours are --strategy and the two timeouts.
"""

from __future__ import annotations

import logging
import os
import sys

from train.common.common_flags import build_parser, config_from_args
from train.common.faults.entrypoint import run_main
from train.common.faults.lost_peer import EXIT_LOST_PEER

log = logging.getLogger(__name__)


def _parser():
    from train.tensorflow.roles import STRATEGIES

    parser = build_parser("python -m train.tensorflow",
                          "Train a small model with TensorFlow: MultiWorkerMirrored or parameter-server "
                          "strategy from TF_CONFIG, or Horovod under mpirun.")
    parser.add_argument("--strategy", choices=STRATEGIES, default="auto",
                        help="auto: ps when TF_CONFIG lists parameter servers, mwms for other TF_CONFIG "
                             "or a single process, horovod under mpirun")
    parser.add_argument("--collective-timeout", type=float, default=600.0,
                        help="seconds a MultiWorkerMirrored collective may wait for a peer before failing")
    parser.add_argument("--coordinator-timeout", type=float, default=600.0,
                        help="parameter-server jobs: seconds to wait for the coordinator / the other tasks")
    return parser


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)   # exits 2 on bad flags
    config = config_from_args(args)
    return run_main(lambda: _main(config, args.strategy, args.collective_timeout, args.coordinator_timeout))


def _main(config, strategy: str, collective_timeout: float, coordinator_timeout: float) -> int:
    from train.common.data import load_dataset
    from train.common.reporting.rank_logging import configure_logging
    from train.launch_env import detect
    from train.tensorflow.roles import choose_mode
    from train.tensorflow.threads import limit_cpu_threads

    launch = detect()
    configure_logging(launch.rank, launch.world_size)
    # TensorFlow's own INFO lines (collective set-up, sharding timings) drown the progress lines.
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mode = choose_mode(launch, strategy)
    log.info("%s", limit_cpu_threads(launch.local_world_size).describe())

    def load():
        return load_dataset(config.dataset, config.data_dir, config.seed)

    # TensorFlow is imported only now: --help and usage errors stay fast.
    if mode == "ps":
        from train.tensorflow import parameter_server
        return parameter_server.run(config, load, launch, coordinator_timeout)
    if mode == "horovod":
        from train.tensorflow import horovod
        return horovod.train(config, load())
    from train.tensorflow import mwms
    return mwms.train(config, load(), launch, collective_timeout)


def _exit(status: int) -> None:
    if status == EXIT_LOST_PEER:
        # TensorFlow's teardown of a context whose remote tasks are gone logs a page of gRPC errors
        # from C++ ("Failed to remove function remotely") after the line that says what happened;
        # there is nothing left to save, so skip it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    _exit(run())
