"""The real submission's steps, against a stand-in for Azure.

`FakeMLClient` stands in for azure-ai-ml's MLClient and the Azure ML service behind it: it
records calls and answers `get` from what it holds. It checks our sequencing (compute, then
environment, then job; skip what exists), not Azure's behaviour.
"""

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

import submit.image_digest as image_digest
from submit.azure_submit import submit
from submit.errors import SubmitError
from submit.plan import build_plan
from submit.request import SubmitRequest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
IMAGE = "myacr.azurecr.io/trainyard/pytorch:0.1"


class _Poller:
    def __init__(self, value):
        self.value = value

    def result(self, timeout=None):
        assert timeout, "waiting on Azure needs a timeout"
        return self.value


class _Operations:
    def __init__(self, calls, kind, existing=None, error=None):
        self.calls, self.kind, self.existing, self.error = calls, kind, existing or {}, error

    def get(self, name, version=None):
        self.calls.append((self.kind, "get", name, version))
        if self.error:
            raise self.error
        key = (name, version) if version else name
        if key not in self.existing:
            raise ResourceNotFoundError(f"{key} not found")
        return self.existing[key]

    def begin_create_or_update(self, entity):
        self.calls.append((self.kind, "create", entity.name, None))
        return _Poller(entity)

    def create_or_update(self, entity):
        self.calls.append((self.kind, "create", getattr(entity, "name", None), getattr(entity, "version", None)))
        if self.kind == "jobs":
            entity.name = "happy_job_42"
        return entity

    def stream(self, name):
        self.calls.append((self.kind, "stream", name, None))


class FakeMLClient:
    def __init__(self, computes=None, environments=None, error=None):
        self.calls = []
        self.compute = _Operations(self.calls, "compute", computes, error)
        self.environments = _Operations(self.calls, "environments", environments)
        self.jobs = _Operations(self.calls, "jobs")


class _ExistingCompute:
    def __init__(self, name="trainyard-gpu", size="Standard_NC6s_v3", max_instances=4):
        self.name, self.size, self.max_instances = name, size, max_instances


@pytest.fixture(autouse=True)
def no_docker(monkeypatch):
    monkeypatch.setattr(image_digest, "local_repo_digests", lambda image: [])


def request(**overrides):
    return SubmitRequest(**{"framework": "pytorch", "image": IMAGE, "nodes": 2, **overrides})


def run(client, request_, **kwargs):
    lines = []
    job = submit(build_plan(request_), request_, client, log=lines.append, **kwargs)
    return job, lines


def test_creates_missing_compute_and_environment_then_submits_and_streams():
    client = FakeMLClient()
    job, lines = run(client, request())
    assert [(kind, verb) for kind, verb, *_ in client.calls] == [
        ("compute", "get"), ("compute", "create"), ("environments", "get"), ("environments", "create"),
        ("jobs", "create"), ("jobs", "stream")]
    assert any("studio" in line for line in lines)
    assert job.name == "happy_job_42"


def test_unchanged_environment_is_not_registered_again():
    plan = build_plan(request())
    key = (plan.environment.name, plan.environment.version)
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute()}, environments={key: object()})
    run(client, request(), stream=False)
    assert ("environments", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]
    assert ("compute", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]


def test_existing_compute_too_small_fails_before_the_job():
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(max_instances=1)})
    with pytest.raises(SubmitError, match="scales to 1 node"):
        run(client, request(nodes=2))
    assert ("jobs", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]


def test_existing_compute_of_another_size_rechecks_gpus():
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(size="Standard_NC6s_v3")})
    with pytest.raises(SubmitError, match="more than the 1 GPU"):
        run(client, request(procs_per_node=4, vm_size="Standard_NC24s_v3"))


def test_sign_in_failure_says_how_to_sign_in():
    client = FakeMLClient(error=ClientAuthenticationError("DefaultAzureCredential failed"))
    with pytest.raises(SubmitError, match="run `az login`"):
        run(client, request())


def test_service_error_is_one_line():
    client = FakeMLClient(error=HttpResponseError("quota exceeded\nlong details"))
    with pytest.raises(SubmitError) as error:
        run(client, request())
    assert "\n" not in str(error.value) and "quota exceeded" in str(error.value)


def test_invalid_request_never_reaches_the_client():
    client = FakeMLClient()
    with pytest.raises(SubmitError):
        run(client, request(framework="horovod", distribution="pytorch"))
    assert client.calls == []


def test_cli_checks_workspace_before_any_client(monkeypatch, capsys, tmp_path):
    from submit.__main__ import run as cli

    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no config.json to find
    monkeypatch.setattr("submit.workspace.connect", lambda settings: pytest.fail("connected without a workspace"))
    assert cli(["--framework", "pytorch", "--image", IMAGE]) == 2
    assert "no Azure ML workspace given" in capsys.readouterr().err
