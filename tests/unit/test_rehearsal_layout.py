"""Each process of a rehearsal gets exactly the variables the launch contract gives it on Azure."""

import json
from types import SimpleNamespace

import pytest

from submit.rehearsal.layout import job_layout


def job(kind=None, nodes=2, **distribution):
    return SimpleNamespace(distribution=SimpleNamespace(type=kind, **distribution) if kind else None,
                           resources=SimpleNamespace(instance_count=nodes))


def test_pytorch_gives_every_process_its_rank_local_rank_node_rank_and_the_world():
    layout = job_layout(job("pytorch", nodes=2, process_count_per_instance=2))
    seen = [(p.variables["NODE_RANK"], p.variables["RANK"], p.variables["LOCAL_RANK"]) for n in layout.nodes
            for p in n.processes]
    assert seen == [("0", "0", "0"), ("0", "1", "1"), ("1", "2", "0"), ("1", "3", "1")]
    for node in layout.nodes:
        for process in node.processes:
            assert set(process.variables) == {"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "RANK",
                                              "LOCAL_RANK"}
            assert process.variables["WORLD_SIZE"] == "4" and process.variables["MASTER_ADDR"] == "node-0"
    assert [p.log_name for n in layout.nodes for p in n.processes] == [
        "std_log_process_00.txt", "std_log_process_01.txt", "std_log_process_02.txt", "std_log_process_03.txt"]


def test_pytorch_with_one_process_per_node_counts_nodes_in_world_size():
    layout = job_layout(job("pytorch", nodes=3))
    assert [p.variables["WORLD_SIZE"] for n in layout.nodes for p in n.processes] == ["3", "3", "3"]


def test_mpi_processes_carry_none_of_the_pytorch_variables():
    layout = job_layout(job("mpi", nodes=2, process_count_per_instance=2))
    assert layout.world_size == 4 and all(not p.variables for n in layout.nodes for p in n.processes)


def test_tensorflow_gives_each_task_its_tf_config_with_an_empty_ps_list():
    layout = job_layout(job("tensorflow", nodes=2, worker_count=2, parameter_server_count=0))
    configs = [json.loads(p.variables["TF_CONFIG"]) for n in layout.nodes for p in n.processes]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": 0}, {"type": "worker", "index": 1}]
    assert all(c["cluster"] == {"worker": ["node-0:2222", "node-1:2222"], "ps": []} and c["environment"] == "cloud"
               for c in configs)
    assert [p.log_name for n in layout.nodes for p in n.processes] == ["std_log_node_00_worker.txt",
                                                                      "std_log_node_01_worker.txt"]


def test_tensorflow_parameter_servers_take_the_nodes_after_the_workers():
    layout = job_layout(job("tensorflow", nodes=3, worker_count=2, parameter_server_count=1))
    assert [[p.task for p in n.processes] for n in layout.nodes] == [["worker 0"], ["worker 1"], ["ps 0"]]
    cluster = json.loads(layout.nodes[2].processes[0].variables["TF_CONFIG"])["cluster"]
    assert cluster == {"worker": ["node-0:2222", "node-1:2222"], "ps": ["node-2:2222"]}


def test_more_tensorflow_tasks_than_nodes_share_a_node_on_the_next_port():
    layout = job_layout(job("tensorflow", nodes=1, worker_count=1, parameter_server_count=1))
    cluster = json.loads(layout.nodes[0].processes[0].variables["TF_CONFIG"])["cluster"]
    assert cluster == {"worker": ["node-0:2222"], "ps": ["node-0:2223"]}


@pytest.mark.parametrize("nodes", [1, 2])
def test_no_distribution_runs_the_command_once_a_node_with_no_variables(nodes):
    layout = job_layout(job(None, nodes=nodes))
    assert [len(n.processes) for n in layout.nodes] == [1] * nodes
    assert all(p.variables == {} and p.log_name == "std_log.txt" for n in layout.nodes for p in n.processes)
