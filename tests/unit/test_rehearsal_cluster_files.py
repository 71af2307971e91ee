"""The files a rehearsal runs: one compose service a node, and launch scripts that give each process its variables."""

import json
import subprocess
from types import SimpleNamespace

import yaml

from submit.rehearsal.cluster_files import ClusterSpec, compose_file, job_environment_script, mpi_rank_script, node_script
from submit.rehearsal.inputs import Mount
from submit.rehearsal.layout import job_layout

WD = "/mnt/azureml/cr/j/abc/exe/wd"


def layout(kind, nodes=2, **distribution):
    return job_layout(SimpleNamespace(distribution=SimpleNamespace(type=kind, **distribution),
                                      resources=SimpleNamespace(instance_count=nodes)))


def spec(the_layout, gpus=False):
    return ClusterSpec(project="rehearse-x", image="trainyard/pytorch:latest", layout=the_layout, working_dir=WD,
                       node_working_dirs=[f"/host/nodes/node-{n}/wd" for n in range(len(the_layout.nodes))],
                       host_control_dir="/host/rehearsal", host_user_logs_dir="/host/user_logs",
                       host_mlflow_dir="/host/mlruns", data_mounts=[Mount("/data", "/mnt/in", True)],
                       shm_size="2g", node_cpus="1.00", gpus=gpus, mpi_entry_dir="/repo/docker/mpi")


def test_a_node_script_starts_each_process_with_its_own_ranks_and_is_valid_bash():
    the_layout = layout("pytorch", process_count_per_instance=2)
    script = node_script(the_layout, the_layout.nodes[1], WD)
    assert "start_process 2 std_log_process_02.txt 'rank 2' MASTER_ADDR=node-0 MASTER_PORT=29500 WORLD_SIZE=4 " \
           "NODE_RANK=1 RANK=2 LOCAL_RANK=0" in script
    assert "start_process 3 std_log_process_03.txt" in script
    assert subprocess.run(["bash", "-n"], input=script, text=True, timeout=30).returncode == 0


def test_a_tensorflow_node_script_quotes_its_tf_config():
    the_layout = layout("tensorflow", worker_count=2)
    script = node_script(the_layout, the_layout.nodes[0], WD)
    assert "'TF_CONFIG={\"cluster\": {\"worker\": [\"node-0:2222\", \"node-1:2222\"], \"ps\": []}" in script
    assert subprocess.run(["bash", "-n"], input=script, text=True, timeout=30).returncode == 0


def test_the_compose_file_gives_each_node_its_working_dir_and_the_data_mounts():
    services = yaml.safe_load(compose_file(spec(layout("pytorch", process_count_per_instance=1))))["services"]
    assert list(services) == ["node-0", "node-1"]
    assert services["node-1"]["volumes"][0] == f"/host/nodes/node-1/wd:{WD}"
    assert "/data:/mnt/in:ro" in services["node-1"]["volumes"]
    assert services["node-0"]["command"] == ["bash", "/trainyard-rehearsal/control/node-0.sh"]
    assert services["node-0"]["shm_size"] == "2g" and "deploy" not in services["node-0"]


def test_an_mpi_cluster_runs_mpirun_on_node_0_over_the_others_sshd():
    document = yaml.safe_load(compose_file(spec(layout("mpi", process_count_per_instance=2), gpus=True)))
    head, worker = document["services"]["node-0"], document["services"]["node-1"]
    assert head["command"][:3] == ["/opt/trainyard-mpi/node-entry", "head", "--"]
    assert worker["command"] == ["/opt/trainyard-mpi/node-entry", "worker"]
    assert head["environment"] == {"MPI_HOSTS": "node-0,node-1", "MPI_PROCS_PER_NODE": "2"}
    assert "mpi-keys" in document["volumes"] and head["deploy"]["resources"]["reservations"]["devices"]
    rank_script = mpi_rank_script(layout("mpi", process_count_per_instance=2), WD)
    assert "std_log_process_%02d.txt" in rank_script
    assert subprocess.run(["bash", "-n"], input=rank_script, text=True, timeout=30).returncode == 0


def test_the_job_variables_are_exported_quoted_and_the_rehearsal_site_goes_first_on_pythonpath():
    script = job_environment_script({"A": "x y", "B": json.dumps({"k": 1})}, cpu_fallback=True)
    result = subprocess.run(["bash", "-c", script + 'echo "$A|$B|$PYTHONPATH|$TRAINYARD_CPU_FALLBACK"'],
                            capture_output=True, text=True, timeout=30, env={"PYTHONPATH": "/opt/trainyard"})
    assert result.stdout.strip() == 'x y|{"k": 1}|/opt/trainyard/train/rehearsal/site:/opt/trainyard|1'
