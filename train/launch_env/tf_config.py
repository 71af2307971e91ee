"""TensorFlow's TF_CONFIG, as Azure ML's ``distribution: {type: tensorflow}`` sets it.

Reads: TF_CONFIG, and the names of all variables, for the Azure markers ``AZUREML_*`` /
``AZ_BATCH*``.

TF_CONFIG is JSON: ``{"cluster": {"worker": ["host:2222", ...], "ps": [...]}, "task": {"type":
"worker", "index": 0}, "environment": "cloud"}``. Task types recognised: chief, worker, ps,
evaluator; each maps to a list of ``host:port`` (the sparse dict form is not supported).

Source: ``"azureml-tensorflow"`` when ``"environment": "cloud"`` is set or an Azure marker is
present (what Azure produces); ``"tf-config"`` for any other TF_CONFIG (a local or compose run).

Numbers:
- rank: the task's position over the whole cluster in the order chief, worker, ps, evaluator
  (so chief, or worker 0 when there is no chief, is rank 0 and is the one that saves the model).
- world_size: every task in the cluster, parameter servers and evaluator included, so that
  ranks stay unique and below world_size. For Azure's MultiWorkerMirroredStrategy jobs (workers
  only, empty ps) this is the number of workers; replica counts for PS jobs come from tf_config.
- node_rank / local_rank / local_world_size: tasks grouped by host, nodes numbered in order of
  first appearance; several tasks on one host share a node.
- master_addr: the host of rank 0. master_port: None, because TF_CONFIG's ports belong to
  TensorFlow's own servers and reusing one for torch would collide.
restart_count: None (TF_CONFIG carries none).

The normalised config (``LaunchEnv.tf_config``) drops empty task lists: TensorFlow 2.13 and newer
reject the empty ``ps`` list Azure writes for MultiWorkerMirroredStrategy, and an empty list
describes no task, so dropping it changes nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from train.launch_env import _read
from train.launch_env.model import LaunchEnv, LaunchEnvError, Source

VARIABLE = "TF_CONFIG"
TASK_TYPE_ORDER = ("chief", "worker", "ps", "evaluator")
_EXPECTED = (
    'expected {"cluster": {"worker": ["host:port", ...]}, "task": {"type": ..., "index": ...}}'
)


def from_tf_config(env: Mapping[str, str]) -> LaunchEnv | None:
    text = _read.get(env, VARIABLE)
    if text is None:
        return None
    config = _load(text)
    cluster = _read_cluster(config.get("cluster"))
    task_type, task_index = _read_task(config.get("task"), cluster)

    tasks = [
        (kind, index, address)
        for kind in TASK_TYPE_ORDER
        for index, address in enumerate(cluster.get(kind, []))
    ]
    rank = [(kind, index) for kind, index, _ in tasks].index((task_type, task_index))
    hosts = [address[0] for _, _, address in tasks]
    my_host = hosts[rank]
    node_order = list(dict.fromkeys(hosts))  # hosts in order of first appearance

    normalised = dict(config)
    normalised["cluster"] = {
        kind: list(addresses) for kind, addresses in config["cluster"].items() if addresses
    }
    cloud = config.get("environment") == "cloud" or _read.has_azure_markers(env)

    return LaunchEnv(
        source=Source.AZUREML_TENSORFLOW if cloud else Source.TF_CONFIG,
        rank=rank,
        world_size=len(tasks),
        local_rank=hosts[:rank].count(my_host),
        local_world_size=hosts.count(my_host),
        node_rank=node_order.index(my_host),
        master_addr=hosts[0],
        master_port=None,
        restart_count=None,
        tf_config=normalised,
    )


def _load(text: str) -> dict[str, Any]:
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise LaunchEnvError(
            f"{VARIABLE} is not JSON ({error.msg} at char {error.pos}): {_EXPECTED}"
        ) from None
    if not isinstance(config, dict):
        raise LaunchEnvError(
            f"{VARIABLE} is a JSON {type(config).__name__}, not an object: {_EXPECTED}"
        )
    return config


def _read_cluster(cluster: Any) -> dict[str, list[tuple[str, int]]]:
    """Task type -> parsed (host, port) per task, validated."""
    if not isinstance(cluster, dict) or not cluster:
        raise LaunchEnvError(f"{VARIABLE} has no cluster object: {_EXPECTED}")
    parsed: dict[str, list[tuple[str, int]]] = {}
    for kind, addresses in cluster.items():
        if kind not in TASK_TYPE_ORDER:
            raise LaunchEnvError(
                f"{VARIABLE} cluster has task type {kind!r}: "
                f"expected one of {', '.join(TASK_TYPE_ORDER)}"
            )
        if not isinstance(addresses, list):
            raise LaunchEnvError(
                f"{VARIABLE} cluster.{kind} is not a list: expected a list of host:port"
            )
        parsed[kind] = [
            _parse_address(f"{VARIABLE} cluster.{kind}[{index}]", address)
            for index, address in enumerate(addresses)
        ]
    if not any(parsed.values()):
        raise LaunchEnvError(f"{VARIABLE} cluster lists no task: {_EXPECTED}")
    return parsed


def _parse_address(name: str, address: Any) -> tuple[str, int]:
    if not isinstance(address, str):
        raise LaunchEnvError(f"{name}={address!r} is not a string: expected host:port")
    return _read.parse_host_port(name, address)


def _read_task(task: Any, cluster: dict[str, list[tuple[str, int]]]) -> tuple[str, int]:
    if not isinstance(task, dict):
        raise LaunchEnvError(f"{VARIABLE} has no task object: {_EXPECTED}")
    task_type = task.get("type")
    known = ", ".join(kind for kind, addresses in cluster.items() if addresses)
    if not isinstance(task_type, str) or not cluster.get(task_type):
        raise LaunchEnvError(
            f"{VARIABLE} task.type={task_type!r} is not in the cluster: expected one of {known}"
        )
    index = task.get("index")
    if isinstance(index, bool) or not isinstance(index, (int, str)):
        raise LaunchEnvError(
            f"{VARIABLE} task.index={index!r} is not an integer: expected an integer >= 0"
        )
    index = _read.parse_int(f"{VARIABLE} task.index", str(index).strip())
    count = len(cluster[task_type])
    if index >= count:
        raise LaunchEnvError(
            f"{VARIABLE} task.index={index} is out of range: "
            f"expected 0 <= task.index < {count} (the number of {task_type} tasks)"
        )
    return task_type, index
