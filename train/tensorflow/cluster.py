"""The parameter-server cluster as every task must see it, coordinator included. No tensorflow.

Azure's `tensorflow` distribution with parameter servers writes TF_CONFIG with `worker` and `ps`
tasks only, but ParameterServerStrategy drives training from a separate coordinator task (`chief`).
So the worker-0 process also runs the coordinator, at `chief` = worker 0's host and the first port
above worker 0's that no task on that host uses. Every task derives the same address from the same
TF_CONFIG, so all servers share one cluster spec without talking first. A TF_CONFIG that already
has a `chief` is used as is.

Servers stop when the coordinator goes away: they poll its port (`coordinator_address`) and exit
once it has been up and then refuses connections (see train.tensorflow.serve).
"""

from __future__ import annotations

import copy
import json
from typing import Any


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def with_coordinator(tf_config: dict[str, Any]) -> dict[str, Any]:
    """`tf_config` (normalised: no empty lists) with a `chief` task added when it has none."""
    config = copy.deepcopy(tf_config)
    cluster = config["cluster"]
    if cluster.get("chief"):
        return config
    host, port = _split(cluster["worker"][0])
    used = {_split(address)[1] for addresses in cluster.values() for address in addresses
            if _split(address)[0] == host}
    port += 1
    while port in used:
        port += 1
    cluster["chief"] = [f"{host}:{port}"]
    return config


def coordinator_address(tf_config: dict[str, Any]) -> tuple[str, int]:
    return _split(with_coordinator(tf_config)["cluster"]["chief"][0])


def as_task(tf_config: dict[str, Any], task_type: str, index: int) -> str:
    """TF_CONFIG JSON for the same cluster, as task (`task_type`, `index`)."""
    config = copy.deepcopy(tf_config)
    config["task"] = {"type": task_type, "index": index}
    return json.dumps(config, sort_keys=True)
