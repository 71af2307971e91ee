"""Which Azure ML workspace to use, and the client for it: the first module that touches Azure.

Settings come from, in order:
1. `--workspace-config PATH`: the config.json downloaded from the workspace's portal page;
2. the environment: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME
   (all three, or none);
3. `config.json` or `.azureml/config.json` in the working directory.
Credentials come from azure-identity's DefaultAzureCredential chain (environment variables,
managed identity, `az login`, ...), so no secret passes through this code.
Reading settings is pure; nothing here calls Azure until connect().
"""

import json
import os
from dataclasses import dataclass
from typing import Mapping, Optional

from submit.errors import SubmitError

WORKSPACE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME")
DEFAULT_CONFIG_PATHS = ("config.json", os.path.join(".azureml", "config.json"))
_CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")


@dataclass(frozen=True)
class WorkspaceSettings:
    subscription_id: str
    resource_group: str
    workspace_name: str
    source: str  # where the settings came from, for messages


def workspace_settings(
    env: Mapping[str, str] = os.environ, config_path: Optional[str] = None, cwd: str = "."
) -> WorkspaceSettings:
    if config_path is not None:
        return _from_config_file(config_path)
    given = {name: env.get(name, "") for name in WORKSPACE_VARIABLES}
    if any(given.values()):
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise SubmitError(f"set {', '.join(missing)} too (the workspace needs all of {', '.join(WORKSPACE_VARIABLES)})")
        return WorkspaceSettings(*given.values(), source="environment variables")
    for candidate in DEFAULT_CONFIG_PATHS:
        path = os.path.join(cwd, candidate)
        if os.path.isfile(path):
            return _from_config_file(path)
    raise SubmitError(
        f"no Azure ML workspace given: set {', '.join(WORKSPACE_VARIABLES)}, "
        f"or pass --workspace-config with the config.json from the workspace's portal page"
    )


def _from_config_file(path: str) -> WorkspaceSettings:
    try:
        with open(path, encoding="utf-8") as config_file:
            config = json.load(config_file)
    except FileNotFoundError:
        raise SubmitError(f"--workspace-config {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise SubmitError(f"--workspace-config {path} is not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(config, dict):
        raise SubmitError(f"--workspace-config {path} must hold a JSON object")
    missing = [key for key in _CONFIG_KEYS if not config.get(key)]
    if missing:
        raise SubmitError(f"--workspace-config {path} lacks {', '.join(missing)}")
    return WorkspaceSettings(*(str(config[key]) for key in _CONFIG_KEYS), source=path)


def connect(settings: WorkspaceSettings):
    """An MLClient for the workspace, signed in through DefaultAzureCredential.

    Neither constructor calls Azure; the first request does, and a sign-in failure surfaces
    there (azure_submit turns it into a SubmitError).
    """
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(
        credential=DefaultAzureCredential(),
        subscription_id=settings.subscription_id,
        resource_group_name=settings.resource_group,
        workspace_name=settings.workspace_name,
    )
