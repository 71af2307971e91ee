"""ARGS: extra training flags are checked by the entrypoint's own parser before anything is sent."""

import inspect
import sys

import pytest
import yaml

from submit.errors import SubmitError
from submit.train_flags import check_train_args, entrypoint_parser

FRAMEWORKS = ("pytorch", "deepspeed", "horovod", "tensorflow")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_flags_every_entrypoint_accepts_pass(framework):
    check_train_args(framework, ["--max-steps", "3", "--batch-size", "16"], with_data_input=False)
    check_train_args(framework, ["--epochs=1"], with_data_input=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_unknown_flag_is_refused_naming_args_and_the_entrypoint(framework):
    with pytest.raises(SubmitError) as refused:
        check_train_args(framework, ["--lerning-rate", "0.1"], with_data_input=False)
    message = str(refused.value)
    assert message.startswith("ARGS (--train-args) '--lerning-rate 0.1' is refused by python -m train.")
    assert "unrecognized arguments: --lerning-rate 0.1" in message and "\n" not in message


def test_bad_value_is_refused_with_argparses_reason():
    with pytest.raises(SubmitError, match="argument --epochs: must be >= 1, got 0"):
        check_train_args("pytorch", ["--epochs", "0"], with_data_input=False)


def test_entrypoint_specific_flags_belong_to_their_entrypoint():
    check_train_args("deepspeed", ["--zero-stage", "2"], with_data_input=False)
    check_train_args("tensorflow", ["--strategy", "mwms"], with_data_input=False)
    with pytest.raises(SubmitError, match="unrecognized arguments: --zero-stage 2"):
        check_train_args("pytorch", ["--zero-stage", "2"], with_data_input=False)


@pytest.mark.parametrize("flag", ["--model-dir", "--data-dir=/tmp"])
def test_placement_flags_are_the_jobs_own(flag):
    with pytest.raises(SubmitError, match="which the job sets itself"):
        check_train_args("pytorch", [flag, "/tmp/x"] if "=" not in flag else [flag], with_data_input=False)


def test_help_is_refused():
    with pytest.raises(SubmitError, match="asks for help"):
        check_train_args("pytorch", ["--help"], with_data_input=False)


def test_parsers_import_neither_torch_nor_tensorflow():
    for framework in FRAMEWORKS:
        entrypoint_parser(framework)
    assert "torch" not in sys.modules and "tensorflow" not in sys.modules


@pytest.mark.parametrize("module", ["train.pytorch.__main__", "train.horovod.__main__"])
def test_pytorch_and_horovod_add_no_flags_to_the_common_parser(module):
    # submit.train_flags checks their ARGS with the common parser alone: true only while their
    # run() adds nothing to it.
    source = inspect.getsource(__import__(module, fromlist=["run"]).run)
    assert "build_parser(" in source and "add_argument" not in source


def test_cli_refuses_bad_args_before_writing_anything(tmp_path, capsys, monkeypatch):
    import submit.image_digest
    from submit.__main__ import run

    monkeypatch.setattr(submit.image_digest, "local_repo_digests", lambda image: [])
    status = run(["--framework", "horovod", "--image", "myacr.azurecr.io/trainyard/pytorch:1",
                  "--train-args", "--epochs 1 --bogus", "--dry-run", "--out", str(tmp_path)])
    assert status == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unrecognized arguments: --bogus" in error
    assert not any(tmp_path.iterdir())


def test_cli_passes_quoted_args_through_to_the_job(tmp_path, capsys, monkeypatch):
    import submit.image_digest
    from submit.__main__ import run

    monkeypatch.setattr(submit.image_digest, "local_repo_digests", lambda image: [])
    assert run(["--framework", "pytorch", "--image", "myacr.azurecr.io/trainyard/pytorch:1",
                "--train-args", "--max-steps 3 --seed '7'", "--dry-run", "--out", str(tmp_path)]) == 0
    job = yaml.safe_load((tmp_path / "pytorch" / "job.yaml").read_text())
    assert job["command"].endswith("--max-steps 3 --seed 7 --model-dir ${{outputs.checkpoints}}")


def test_make_passes_args_that_start_with_a_dash(tmp_path):
    # `make azure-submit ARGS=--bogus`: the value must reach the parser as ARGS, not as an option of its own.
    import os
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    venv = os.path.dirname(os.path.dirname(sys.executable))
    completed = subprocess.run(["make", "-s", "-C", root, "azure-submit", "DRY_RUN=1", "ARGS=--bogus", f"VENV={venv}"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode != 0
    assert "azure-submit: ARGS (--train-args) '--bogus' is refused by python -m train.pytorch " \
           "(unrecognized arguments: --bogus)" in completed.stderr, completed.stderr
