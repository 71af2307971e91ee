"""from_tf_config: TF_CONFIG as Azure's tensorflow distribution writes it, and malformed ones.

Azure's shape per the contract ("environment": "cloud", possibly an empty ps list); TensorFlow
2.13+ rejecting an empty ps list for MultiWorkerMirroredStrategy is also from the contract.
"""

import json

import pytest

from train.launch_env import LaunchEnv, LaunchEnvError, from_tf_config


def tf_env(cluster, task_type="worker", index=0, **extra):
    return {
        "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": task_type, "index": index}, **extra}
        )
    }


AZURE_WORKERS = {"worker": ["host0:2222", "host1:2222"], "ps": []}


def test_reads_azure_worker_job():
    launch = from_tf_config(tf_env(AZURE_WORKERS, index=1, environment="cloud"))
    assert launch == LaunchEnv(
        source="azureml-tensorflow",
        rank=1,
        world_size=2,
        local_rank=0,
        local_world_size=1,
        node_rank=1,
        master_addr="host0",
        master_port=None,
        restart_count=None,
        tf_config={
            "cluster": {"worker": ["host0:2222", "host1:2222"]},
            "task": {"type": "worker", "index": 1},
            "environment": "cloud",
        },
    )


def test_empty_ps_list_is_dropped():
    assert "ps" not in from_tf_config(tf_env(AZURE_WORKERS)).tf_config["cluster"]


def test_non_empty_ps_list_is_kept():
    cluster = {"worker": ["w0:2222"], "ps": ["p0:2222"]}
    assert from_tf_config(tf_env(cluster)).tf_config["cluster"] == cluster


def test_without_cloud_or_azure_marker_source_is_tf_config():
    assert from_tf_config(tf_env(AZURE_WORKERS)).source == "tf-config"


def test_azure_marker_alone_makes_it_azure():
    env = tf_env(AZURE_WORKERS) | {"AZUREML_RUN_ID": "run-1"}
    assert from_tf_config(env).source == "azureml-tensorflow"


def test_declines_without_tf_config():
    assert from_tf_config({"RANK": "0"}) is None


@pytest.mark.parametrize(
    ("task_type", "index", "rank"),
    [
        ("chief", 0, 0),
        ("worker", 0, 1),
        ("worker", 1, 2),
        ("ps", 0, 3),
        ("ps", 1, 4),
        ("evaluator", 0, 5),
    ],
)
def test_rank_counts_over_chief_worker_ps_evaluator(task_type, index, rank):
    # Deliberately listed out of order: the order comes from the task type, not from the JSON.
    cluster = {
        "evaluator": ["e:1"],
        "ps": ["p0:1", "p1:1"],
        "worker": ["w0:1", "w1:1"],
        "chief": ["c:1"],
    }
    launch = from_tf_config(tf_env(cluster, task_type, index))
    assert (launch.rank, launch.world_size) == (rank, 6)


def test_tasks_sharing_a_host_share_a_node():
    cluster = {"worker": ["a:1", "a:2", "b:1", "a:3"]}
    launches = [from_tf_config(tf_env(cluster, index=i)) for i in range(4)]
    assert [(x.node_rank, x.local_rank, x.local_world_size) for x in launches] == [
        (0, 0, 3),
        (0, 1, 3),
        (1, 0, 1),
        (0, 2, 3),
    ]


def test_index_may_be_a_numeric_string():
    assert from_tf_config(tf_env(AZURE_WORKERS, index="1")).rank == 1


@pytest.mark.parametrize(
    ("tf_config", "message"),
    [
        ("{not json", r"^TF_CONFIG is not JSON"),
        ("[1, 2]", r"^TF_CONFIG is a JSON list, not an object"),
        ('"worker"', r"^TF_CONFIG is a JSON str, not an object"),
        ('{"task": {"type": "worker", "index": 0}}', r"^TF_CONFIG has no cluster object"),
        (
            '{"cluster": {}, "task": {"type": "worker", "index": 0}}',
            r"^TF_CONFIG has no cluster object",
        ),
        (
            '{"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}',
            r"^TF_CONFIG cluster lists no task",
        ),
        ('{"cluster": {"worker": ["a:1"]}}', r"^TF_CONFIG has no task object"),
        ('{"cluster": {"worker": ["a:1"]}, "task": "worker"}', r"^TF_CONFIG has no task object"),
    ],
)
def test_malformed_document_is_an_error(tf_config, message):
    with pytest.raises(LaunchEnvError, match=message):
        from_tf_config({"TF_CONFIG": tf_config})


@pytest.mark.parametrize(
    ("cluster", "task_type", "index", "message"),
    [
        (
            AZURE_WORKERS,
            "ps",
            0,
            r"^TF_CONFIG task.type='ps' is not in the cluster: expected one of worker$",
        ),
        (AZURE_WORKERS, "chief", 0, r"^TF_CONFIG task.type='chief' is not in the cluster"),
        (AZURE_WORKERS, ["worker"], 0, r"^TF_CONFIG task.type=\['worker'\] is not in the cluster"),
        (
            AZURE_WORKERS,
            "worker",
            2,
            r"^TF_CONFIG task.index=2 is out of range: expected 0 <= task.index < 2",
        ),
        (AZURE_WORKERS, "worker", -1, r"^TF_CONFIG task.index=-1 is out of range"),
        (AZURE_WORKERS, "worker", None, r"^TF_CONFIG task.index=None is not an integer"),
        (AZURE_WORKERS, "worker", True, r"^TF_CONFIG task.index=True is not an integer"),
        (AZURE_WORKERS, "worker", 0.5, r"^TF_CONFIG task.index=0.5 is not an integer"),
        (
            {"worker": ["a:1"], "master": ["m:1"]},
            "worker",
            0,
            r"^TF_CONFIG cluster has task type 'master'",
        ),
        ({"worker": {"0": "a:1"}}, "worker", 0, r"^TF_CONFIG cluster.worker is not a list"),
        (
            {"worker": ["a:1", "b"]},
            "worker",
            0,
            r"^TF_CONFIG cluster.worker\[1\]='b' is not host:port",
        ),
        (
            {"worker": ["a:1", "b:70000"]},
            "worker",
            0,
            r"^TF_CONFIG cluster.worker\[1\]='b:70000' has no valid port",
        ),
        (
            {"worker": ["a:1", 2222]},
            "worker",
            0,
            r"^TF_CONFIG cluster.worker\[1\]=2222 is not a string",
        ),
    ],
)
def test_malformed_cluster_or_task_is_an_error(cluster, task_type, index, message):
    with pytest.raises(LaunchEnvError, match=message):
        from_tf_config(tf_env(cluster, task_type, index))
