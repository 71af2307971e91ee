"""A rehearsal worked out from an example job: nothing written, and the same job `make azure-submit JOB=` sends."""

import os
from pathlib import Path

import pytest

import submit.image_digest
from submit.errors import SubmitError
from submit.rehearsal.prepare import HostFacts, Options, prepare
from submit.request import SubmitRequest
from submit.user_job import load_user_job
from submit.user_job_plan import plan_user_job

EXAMPLES = Path(__file__).resolve().parents[2] / "submit" / "examples" / "jobs"
HOST = HostFacts(memory_bytes=24 * 2**30, gpus=0, cores=2)


def rehearsal(tmp_path, name, **options):
    return prepare(load_user_job(str(EXAMPLES / name / "job.yml")),
                   Options(outputs_root=str(tmp_path / "rehearse"), **options), HOST, image_exists=lambda image: True)


def test_the_ddp_example_binds_its_inputs_and_asks_for_cpu_fallback_here(tmp_path):
    prepared = rehearsal(tmp_path, "pytorch-ddp")
    assert prepared.command == "python train.py --epochs 6 --learning-rate 0.05"
    assert prepared.image.image == "trainyard/pytorch:latest" and "stands in" in prepared.image.note
    assert [f.message.split(",")[0] for f in prepared.errors] == ["the job asks for NCCL (train.py line 38)"]
    assert not rehearsal(tmp_path, "pytorch-ddp", cpu_fallback=True).errors
    assert not os.path.exists(tmp_path / "rehearse"), "prepare() must write nothing"


def test_every_process_gets_azures_markers_and_the_data_paths(tmp_path):
    stand_in = EXAMPLES / "data-io" / "local-copy"
    prepared = rehearsal(tmp_path, "data-io", stand_ins={"digits": str(stand_in)})
    data = f"/mnt/azureml/cr/j/{prepared.job_id}/cap/data-capability/wd"
    assert prepared.command.split()[:6] == ["python", "summarize.py", "--data", f"{data}/INPUT_digits", "--labels",
                                           f"{data}/INPUT_labels/labels.txt"]
    assert prepared.variables["AZURE_ML_INPUT_digits"] == f"{data}/INPUT_digits"
    assert prepared.variables["AZURE_ML_OUTPUT_summary"] == f"{data}/summary"
    assert prepared.variables["AZUREML_RUN_ID"] == prepared.name and prepared.variables["MLFLOW_TRACKING_URI"]
    assert prepared.working_dir == f"/mnt/azureml/cr/j/{prepared.job_id}/exe/wd"


def test_a_second_rehearsal_of_a_named_job_gets_a_folder_of_its_own(tmp_path):
    first = rehearsal(tmp_path, "tensorflow-ps")
    os.makedirs(first.folder)
    assert rehearsal(tmp_path, "tensorflow-ps").folder != first.folder


@pytest.mark.parametrize("name", ["pytorch-ddp", "mpi-horovod", "deepspeed", "tensorflow-mwms", "tensorflow-ps",
                                  "data-io"])
def test_what_is_rehearsed_is_what_is_submitted(tmp_path, monkeypatch, name):
    monkeypatch.setattr(submit.image_digest, "local_repo_digests", lambda image: [])
    user_job = load_user_job(str(EXAMPLES / name / "job.yml"))
    stand_ins = {"digits": str(EXAMPLES / "data-io" / "local-copy")} if name == "data-io" else {}
    prepared = prepare(user_job, Options(outputs_root=str(tmp_path), cpu_fallback=True, stand_ins=stand_ins),
                       HOST, image_exists=lambda image: True)
    family = prepared.image.family
    sent = plan_user_job(user_job, SubmitRequest(framework=family, image=f"acr.io/trainyard/{family}:1",
                                                 vm_size="Standard_NC48ads_A100_v4")).job
    assert sent.command == user_job.job.command and sent.environment.startswith(f"azureml:trainyard-{family}:")
    for field in ("distribution", "resources", "environment_variables", "limits"):
        sent_value, rehearsed_value = getattr(sent, field), getattr(user_job.job, field)
        assert (vars(sent_value) if hasattr(sent_value, "__dict__") else sent_value) == (
            vars(rehearsed_value) if hasattr(rehearsed_value, "__dict__") else rehearsed_value), field
    assert set(sent.inputs) == {i.name for i in prepared.inputs} and set(sent.outputs) == set(prepared.outputs)


def write_job(tmp_path, text):
    path = tmp_path / "job.yml"
    path.write_text(text)
    return load_user_job(str(path))


def test_a_missing_code_folder_is_named(tmp_path):
    with pytest.raises(SubmitError, match=r"line 1: code: src is not a folder \(.*/src does not exist\)"):
        write_job(tmp_path, "code: src\ncommand: python train.py\nenvironment: azureml:x:1\n")


def test_an_image_that_is_not_built_names_the_make_target(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("import tensorflow as tf\n")
    job = write_job(tmp_path, "code: src\ncommand: python train.py\nenvironment: azureml:my-env:1\n")
    with pytest.raises(SubmitError, match=r"trainyard/tensorflow:latest is not built: run `make build/tensorflow`"):
        prepare(job, Options(outputs_root=str(tmp_path / "out")), HOST, image_exists=lambda image: False)


def test_a_local_image_named_by_the_environment_is_used_as_named(tmp_path):
    (tmp_path / "src").mkdir()
    job = write_job(tmp_path, "code: src\ncommand: python -c pass\nenvironment:\n  image: mine/trainer:dev\n")
    prepared = prepare(job, Options(outputs_root=str(tmp_path / "out")), HOST,
                       image_exists=lambda image: image == "mine/trainer:dev")
    assert prepared.image.image == "mine/trainer:dev" and "the local image of that name" in prepared.image.note


def test_the_cli_stops_before_writing_anything_when_preflight_finds_an_error(tmp_path, monkeypatch, capsys):
    from submit.rehearsal import cli

    monkeypatch.setattr("submit.rehearsal.images.local_image_exists", lambda image: True)
    status = cli.run([str(EXAMPLES / "pytorch-ddp" / "job.yml"), "--outputs-dir", str(tmp_path)])
    assert status == 2
    err = capsys.readouterr().err
    assert "error: the job asks for NCCL" in err and "not started" in err and "nothing was written" in err
    assert not (tmp_path / "rehearse").exists()
