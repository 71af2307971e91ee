"""`make azure-submit JOB=job.yml`: the user's own file, sent with only its environment and compute changed.

Offline like the other dry-run tests: no socket may connect and no Azure credential or client be made.
"""

import socket
from pathlib import Path

import pytest
import yaml

import submit.image_digest
from submit.__main__ import run

EXAMPLES = Path(__file__).resolve().parents[2] / "submit" / "examples" / "jobs"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dry run tried to reach the network or build an Azure credential")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr("azure.identity.DefaultAzureCredential.__init__", refuse)
    monkeypatch.setattr("azure.ai.ml.MLClient.__init__", refuse)
    monkeypatch.setattr(submit.image_digest, "local_repo_digests", lambda image: [])


def dry_run(tmp_path, job, *arguments):
    return run(["--job", str(EXAMPLES / job / "job.yml"), *arguments, "--dry-run", "--out", str(tmp_path)])


def test_the_job_file_is_sent_with_the_trainyard_environment_and_compute(tmp_path):
    assert dry_run(tmp_path, "tensorflow-ps", "--registry", "myacr.azurecr.io", "--tag", "0.1",
                   "--compute", "my-cluster") == 0
    sent = yaml.safe_load((tmp_path / "job-tensorflow-ps" / "job.yaml").read_text())
    original = yaml.safe_load((EXAMPLES / "tensorflow-ps" / "job.yml").read_text())
    environment = yaml.safe_load((tmp_path / "job-tensorflow-ps" / "environment.yaml").read_text())
    assert environment["image"] == "myacr.azurecr.io/trainyard/tensorflow:0.1"
    assert sent["environment"] == f"azureml:trainyard-tensorflow:{environment['version']}"
    assert sent["compute"] == "azureml:my-cluster"
    assert " ".join(sent["command"].split()) == " ".join(original["command"].split())
    assert sent["distribution"] == original["distribution"] and sent["resources"]["instance_count"] == 3
    assert sent["code"] == str(EXAMPLES / "tensorflow-ps" / "src"), "code: made absolute, so the YAML works from build/"


def test_a_data_asset_stays_an_asset_and_a_local_file_is_made_absolute(tmp_path):
    assert dry_run(tmp_path, "data-io", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1") == 0
    sent = yaml.safe_load((tmp_path / "job-data-io" / "job.yaml").read_text())
    assert sent["inputs"]["digits"]["path"] == "azureml:digits-csv:1"
    assert sent["inputs"]["labels"]["path"] == str(EXAMPLES / "data-io" / "labels.txt")
    assert "distribution" not in sent


def test_more_processes_per_node_than_the_sizes_gpus_is_refused_in_the_jobs_words(tmp_path, capsys):
    assert dry_run(tmp_path, "pytorch-ddp", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1") == 2
    assert "process_count_per_instance 2 is more than the 1 GPU(s) of Standard_NC24ads_A100_v4" in capsys.readouterr().err
    assert dry_run(tmp_path, "pytorch-ddp", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1",
                   "--vm-size", "Standard_NC48ads_A100_v4") == 0


def test_flags_the_job_file_already_says_are_refused(tmp_path, capsys):
    assert dry_run(tmp_path, "pytorch-ddp", "--nodes", "4", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1") == 2
    assert "says this itself: remove --nodes (resources.instance_count)" in capsys.readouterr().err


def test_the_wrong_framework_image_is_refused(tmp_path, capsys):
    assert dry_run(tmp_path, "tensorflow-mwms", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1") == 2
    assert "needs trainyard/tensorflow" in capsys.readouterr().err


def test_a_deepspeed_job_on_a_gpu_its_prebuilt_kernels_do_not_support_is_refused(tmp_path, capsys):
    assert dry_run(tmp_path, "deepspeed", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1",
                   "--vm-size", "Standard_NC4as_T4_v3") == 2
    assert "DeepSpeed's prebuilt CUDA kernels" in capsys.readouterr().err
