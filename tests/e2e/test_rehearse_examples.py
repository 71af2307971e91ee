"""`make rehearse` on every example job (submit/examples/jobs/): real containers, one per node, each
process with what Azure gives it (docs/azureml-launch-contract.md), and what they wrote where Azure
collects it. The examples stand for a user's code: nothing here changes them.
"""

from __future__ import annotations

import json
import re

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE
from tests.e2e.rehearsal import EXAMPLES, rehearse
from tests.required_image import require_image

WORKING_DIR = re.compile(r"^/mnt/azureml/cr/j/[0-9a-f]{32}/exe/wd$")
PYTORCH_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "RANK", "LOCAL_RANK")


def accuracy(text: str) -> float:
    found = re.findall(r"[Aa]ccuracy[^0-9]*([0-9.]+)", text)
    assert found, text[-3000:]
    return float(found[-1])


def files_of(folder):
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def test_pytorch_ddp_two_nodes_of_two_processes_each_see_azures_variables(tmp_path):
    require_image(PYTORCH_IMAGE)
    users_folder = files_of(EXAMPLES / "pytorch-ddp")
    run = rehearse(EXAMPLES / "pytorch-ddp" / "job.yml", tmp_path, "--cpu-fallback")
    assert run.returncode == 0, run.tail()
    assert files_of(EXAMPLES / "pytorch-ddp") == users_folder, "the user's folder was written"
    assert "CPU_FALLBACK=1: the job asks for NCCL (train.py line" in run.output
    assert re.search(r"job \S+ Completed \(exit 0\) after [0-9.]+ s; first line from a process after [0-9.]+ s",
                     run.output), run.tail()
    for rank in range(4):
        seen = run.environment(rank)
        assert {name: seen[name] for name in PYTORCH_VARIABLES} == {
            "MASTER_ADDR": "node-0", "MASTER_PORT": "29500", "WORLD_SIZE": "4", "NODE_RANK": str(rank // 2),
            "RANK": str(rank), "LOCAL_RANK": str(rank % 2)}, seen
        assert WORKING_DIR.match(seen["PWD"]) and seen["HOSTNAME"] == f"node-{rank // 2}"
        assert seen["AZUREML_RUN_ID"] == run.folder.name and "OMPI_COMM_WORLD_RANK" not in seen
        assert f"Rank {rank}: epoch 6 loss" in run.user_log(f"std_log_process_0{rank}.txt")
    assert accuracy(run.user_log("std_log_process_00.txt")) >= 0.9
    # The stock `mlflow.pytorch.log_model(model, "./model")` landed in the job's MLflow store.
    assert list(run.folder.glob("mlruns/*/*/artifacts/model/MLmodel")), sorted(
        str(p.relative_to(run.folder)) for p in run.folder.glob("mlruns/**/*"))[:40]


def test_mpi_horovod_ranks_come_from_mpirun_across_the_nodes(tmp_path):
    require_image(PYTORCH_IMAGE)
    run = rehearse(EXAMPLES / "mpi-horovod" / "job.yml", tmp_path)
    assert run.returncode == 0, run.tail()
    for rank in range(2):
        seen = run.environment(rank)
        assert (seen["OMPI_COMM_WORLD_RANK"], seen["OMPI_COMM_WORLD_SIZE"]) == (str(rank), "2"), seen
        assert re.match(r"^[0-9.]+:6105$", seen["AZ_BATCH_MASTER_NODE"]), seen
        assert not {"MASTER_ADDR", "RANK", "WORLD_SIZE"} & set(seen), "Azure's mpi jobs set none of these"
        assert WORKING_DIR.match(seen["PWD"])
    assert "over 2 ranks" in run.user_log("std_log_process_00.txt")
    assert accuracy(run.user_log("std_log_process_00.txt")) >= 0.9
    assert list(run.folder.glob("model/model.pt")), "the declared output holds the model"


def test_deepspeed_reads_its_ds_config_from_the_code_snapshot(tmp_path):
    require_image(PYTORCH_IMAGE)
    run = rehearse(EXAMPLES / "deepspeed" / "job.yml", tmp_path, "--cpu-fallback")
    assert run.returncode == 0, run.tail()
    assert accuracy(run.user_log("std_log_process_00.txt")) >= 0.9
    assert run.environment(1)["RANK"] == "1" and run.environment(1)["HOSTNAME"] == "node-1"
    # Each node wrote its part of the checkpoint to its own ./outputs; the job's outputs/ holds both.
    assert list(run.folder.glob("outputs/checkpoints/*/*optim_states.pt")), sorted(
        str(p.relative_to(run.folder)) for p in run.folder.glob("outputs/**/*"))


def test_tensorflow_workers_get_their_tf_config_and_the_chief_saves(tmp_path):
    require_image(TENSORFLOW_IMAGE)
    run = rehearse(EXAMPLES / "tensorflow-mwms" / "job.yml", tmp_path)
    assert run.returncode == 0, run.tail()
    for index in range(2):
        config = json.loads(run.environment(index)["TF_CONFIG"])
        assert config == {"cluster": {"worker": ["node-0:2222", "node-1:2222"], "ps": []},
                          "task": {"type": "worker", "index": index}, "environment": "cloud"}
        assert "RANK" not in run.environment(index)
    assert accuracy(run.user_log("std_log_node_00_worker.txt")) >= 0.8
    assert (run.folder / "model" / "model.keras").is_file()


def test_tensorflow_parameter_server_job_ends_when_its_coordinator_is_done(tmp_path):
    require_image(TENSORFLOW_IMAGE)
    run = rehearse(EXAMPLES / "tensorflow-ps" / "job.yml", tmp_path)
    assert run.returncode == 0, run.tail()
    assert json.loads(run.environment(2)["TF_CONFIG"])["task"] == {"type": "ps", "index": 0}
    assert "the coordinator is gone; done" in run.user_log("std_log_node_00_ps.txt")
    assert accuracy(run.user_log("std_log_node_00_worker.txt")) >= 0.8
    assert (run.folder / "model" / "model.keras").is_file()


def test_a_data_asset_runs_on_its_stand_in_mounted_read_only_and_outputs_are_collected(tmp_path):
    require_image(PYTORCH_IMAGE)
    job = EXAMPLES / "data-io" / "job.yml"
    refused = rehearse(job, tmp_path)
    assert refused.returncode == 2 and "input digits is azureml:digits-csv:1" in refused.output
    assert not (tmp_path / "rehearse").exists() or not any((tmp_path / "rehearse").iterdir()), "nothing written"
    run = rehearse(job, tmp_path, "--inputs", f"digits={EXAMPLES / 'data-io' / 'local-copy'}")
    assert run.returncode == 0, run.tail()
    summary = json.loads((run.folder / "summary" / "summary.json").read_text())
    assert summary["rows"] == 160 and summary["files"] == ["part-0.csv", "part-1.csv"]
    assert set(summary["per_class"]) <= {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
    assert (run.folder / "outputs" / "rows.txt").read_text().strip() == "160"
    seen = run.environment(0)
    assert seen["AZURE_ML_INPUT_digits"].endswith("/cap/data-capability/wd/INPUT_digits")
    assert not {"RANK", "TF_CONFIG", "OMPI_COMM_WORLD_RANK"} & set(seen)
    assert "std_log.txt" in [p.name for p in (run.folder / "user_logs").iterdir()]
