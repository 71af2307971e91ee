"""Inputs as a node sees them: literals, local paths mounted read-only, cloud data only with a stand-in."""

from types import SimpleNamespace

import pytest

from submit.errors import SubmitError
from submit.rehearsal.inputs import output_mounts, parse_stand_ins, resolve_inputs

JOB_ID = "0" * 32
DATA = f"/mnt/azureml/cr/j/{JOB_ID}/cap/data-capability/wd"


def data(kind, path):
    return SimpleNamespace(type=kind, path=path)


def test_literals_stay_literals():
    resolved = resolve_inputs({"epochs": 3, "rate": 0.5, "name": "x"}, "/jobs", JOB_ID, {})
    assert [(r.value, r.mount) for r in resolved] == [("3", None), ("0.5", None), ("x", None)]


def test_a_local_folder_is_mounted_read_only_at_azures_input_path(tmp_path):
    (tmp_path / "data").mkdir()
    [resolved] = resolve_inputs({"d": data("uri_folder", "./data")}, str(tmp_path), JOB_ID, {})
    assert resolved.value == f"{DATA}/INPUT_d"
    assert (resolved.mount.host, resolved.mount.read_only) == (str(tmp_path / "data"), True)


def test_a_local_file_keeps_its_name_under_the_input_path(tmp_path):
    (tmp_path / "labels.txt").write_text("a\n")
    [resolved] = resolve_inputs({"labels": data("uri_file", "labels.txt")}, str(tmp_path), JOB_ID, {})
    assert resolved.value == f"{DATA}/INPUT_labels/labels.txt"


@pytest.mark.parametrize("path", ["azureml:cifar-10:1", "azureml://datastores/blob/paths/cifar",
                                  "https://account.blob.core.windows.net/c/cifar"])
def test_cloud_data_without_a_stand_in_names_the_input_and_how_to_map_it(path):
    with pytest.raises(SubmitError, match=r"input cifar is .*give a local copy .*INPUTS='cifar=path/to/local/copy'"):
        resolve_inputs({"cifar": data("uri_folder", path)}, "/jobs", JOB_ID, {})


def test_a_literal_string_naming_an_asset_needs_a_stand_in_too(tmp_path):
    # Azure's own cifar-distributed example passes its data asset as a plain string input.
    with pytest.raises(SubmitError, match="input cifar is azureml:cifar-10-example:1"):
        resolve_inputs({"cifar": "azureml:cifar-10-example:1"}, "/jobs", JOB_ID, {})
    [resolved] = resolve_inputs({"cifar": "azureml:cifar-10-example:1"}, "/jobs", JOB_ID, {"cifar": str(tmp_path)})
    assert resolved.mount.host == str(tmp_path) and resolved.value == f"{DATA}/INPUT_cifar"


def test_the_file_is_read_for_the_asset_prefix_the_sdk_drops(tmp_path):
    with pytest.raises(SubmitError, match="input d is azureml:digits:1"):
        resolve_inputs({"d": data("uri_folder", "digits:1")}, str(tmp_path), JOB_ID, {},
                       raw_inputs={"d": {"type": "uri_folder", "path": "azureml:digits:1"}})


def test_a_stand_in_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(SubmitError, match=r"input d: .*missing does not exist .*fix the path in INPUTS"):
        resolve_inputs({"d": data("uri_folder", "azureml:x:1")}, "/jobs", JOB_ID, {"d": str(tmp_path / "missing")})


def test_a_stand_in_for_an_undeclared_input_is_refused():
    with pytest.raises(SubmitError, match=r"INPUTS names other, which the job does not declare \(its inputs: d\)"):
        resolve_inputs({"d": 1}, "/jobs", JOB_ID, {"other": "/tmp"})


def test_stand_ins_parse_from_one_shell_string():
    assert parse_stand_ins("a=/x 'b=/y z'") == {"a": "/x", "b": "/y z"}
    with pytest.raises(SubmitError, match="needs the form name=local/path"):
        parse_stand_ins("justapath")


def test_outputs_are_folders_of_the_rehearsal_mounted_read_write(tmp_path):
    mounts = output_mounts({"model": data("uri_folder", None)}, str(tmp_path), JOB_ID)
    assert (mounts["model"].host, mounts["model"].container, mounts["model"].read_only) == (
        str(tmp_path / "model"), f"{DATA}/model", False)
