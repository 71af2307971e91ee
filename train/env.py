"""``python -m train.env``: print this process's launch environment as one JSON object.

Reads the environment only through `train.launch_env.detect` (each detector's docstring lists its
variables). Prints `LaunchEnv.to_json_dict()` (source, rank, world_size, local_rank,
local_world_size, node_rank, master_addr, master_port, restart_count, tf_config; null where
unknown) on one line and exits 0. A malformed environment prints nothing on stdout, one line
``train.env: error: <message>`` on stderr, and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

from train.launch_env import LaunchEnvError, detect

PROG = "train.env"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Print how this process was launched, as one JSON object."
    )
    parser.parse_args(argv)
    try:
        launch = detect(os.environ if env is None else env)
    except LaunchEnvError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(launch.to_json_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
