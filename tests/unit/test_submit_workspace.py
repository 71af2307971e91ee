"""Workspace settings: from a config file or environment variables, with clear messages."""

import json

import pytest

from submit.errors import SubmitError
from submit.workspace import workspace_settings

FULL_ENV = {"AZURE_SUBSCRIPTION_ID": "sub", "AZURE_RESOURCE_GROUP": "rg", "AZUREML_WORKSPACE_NAME": "ws"}
CONFIG = {"subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws"}


def test_from_environment_variables(tmp_path):
    settings = workspace_settings(env=FULL_ENV, cwd=str(tmp_path))
    assert (settings.subscription_id, settings.resource_group, settings.workspace_name) == ("sub", "rg", "ws")


def test_partial_environment_names_the_missing_variables(tmp_path):
    with pytest.raises(SubmitError, match="set AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME too"):
        workspace_settings(env={"AZURE_SUBSCRIPTION_ID": "sub"}, cwd=str(tmp_path))


def test_nothing_given_names_every_way_to_give_it(tmp_path):
    with pytest.raises(SubmitError) as error:
        workspace_settings(env={}, cwd=str(tmp_path))
    for hint in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME", "--workspace-config"):
        assert hint in str(error.value)


def test_explicit_config_file_wins_over_environment(tmp_path):
    path = tmp_path / "ws.json"
    path.write_text(json.dumps({**CONFIG, "workspace_name": "from-file"}))
    assert workspace_settings(env=FULL_ENV, config_path=str(path)).workspace_name == "from-file"


@pytest.mark.parametrize("relative", ["config.json", ".azureml/config.json"])
def test_config_json_in_the_working_directory(tmp_path, relative):
    (tmp_path / relative).parent.mkdir(exist_ok=True)
    (tmp_path / relative).write_text(json.dumps(CONFIG))
    assert workspace_settings(env={}, cwd=str(tmp_path)).source.endswith(relative)


@pytest.mark.parametrize("content, message", [
    ("{", "is not JSON"),
    ("[]", "must hold a JSON object"),
    (json.dumps({"subscription_id": "sub"}), "lacks resource_group, workspace_name"),
])
def test_bad_config_file(tmp_path, content, message):
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(SubmitError, match=message):
        workspace_settings(env={}, config_path=str(path))


def test_missing_config_file(tmp_path):
    with pytest.raises(SubmitError, match="does not exist"):
        workspace_settings(env={}, config_path=str(tmp_path / "nope.json"))
