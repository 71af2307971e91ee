"""The real submission's steps, against a stand-in for Azure.

`FakeMLClient` stands in for azure-ai-ml's MLClient and the Azure ML service behind it (no Azure
service can run here): it records calls and answers `get` from what it holds. It checks our
sequencing (compute, then environment, then job; skip what exists) and how we end (one line and a
non-zero status for a job that did not complete), not Azure's behaviour. What it raises from `stream`
is what azure-ai-ml 1.x raises: JobException for a failed or cancelled job.
"""

import pytest
from azure.ai.ml.exceptions import ErrorTarget, JobException
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

import submit.image_digest as image_digest
from submit.azure_submit import submit
from submit.errors import JobDidNotSucceed, SubmitError
from submit.plan import build_plan
from submit.request import SubmitRequest
from submit.vm_sizes import DEFAULT_VM_SIZE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
IMAGE = "myacr.azurecr.io/trainyard/pytorch:0.1"


class _Poller:
    def __init__(self, value):
        self.value = value

    def result(self, timeout=None):
        assert timeout, "waiting on Azure needs a timeout"
        return self.value


class _Job:
    def __init__(self, name, status):
        self.name, self.status = name, status


class _Operations:
    def __init__(self, calls, kind, existing=None, error=None, final_status="Completed", stream_raises=None):
        self.calls, self.kind, self.existing, self.error = calls, kind, existing or {}, error
        self.final_status, self.stream_raises = final_status, stream_raises

    def get(self, name, version=None):
        self.calls.append((self.kind, "get", name, version))
        if self.error:
            raise self.error
        if self.kind == "jobs":
            return _Job(name, self.final_status)
        key = (name, version) if version else name
        if key not in self.existing:
            raise ResourceNotFoundError(f"{key} not found")
        return self.existing[key]

    def begin_create_or_update(self, entity):
        self.calls.append((self.kind, "create", entity.name, None))
        return _Poller(entity)

    def create_or_update(self, entity):
        self.calls.append((self.kind, "create", getattr(entity, "name", None), getattr(entity, "version", None)))
        if self.kind == "jobs":   # Azure answers with the created job: its name and studio link
            created = _Job("happy_job_42", "Starting")
            created.studio_url = "https://ml.azure.com/runs/happy_job_42"
            return created
        return entity

    def stream(self, name):
        self.calls.append((self.kind, "stream", name, None))
        if self.stream_raises:
            raise self.stream_raises


class FakeMLClient:
    def __init__(self, computes=None, environments=None, error=None, final_status="Completed", stream_raises=None):
        self.calls = []
        self.compute = _Operations(self.calls, "compute", computes, error)
        self.environments = _Operations(self.calls, "environments", environments)
        self.jobs = _Operations(self.calls, "jobs", final_status=final_status, stream_raises=stream_raises)


class _ExistingCompute:
    def __init__(self, name="trainyard-gpu", size=DEFAULT_VM_SIZE, max_instances=4, tier="dedicated"):
        self.name, self.size, self.max_instances, self.tier = name, size, max_instances, tier


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
        ("jobs", "create"), ("jobs", "stream"), ("jobs", "get")]
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
    with pytest.raises(SubmitError, match="scales to 1 node.*use NODES=1"):
        run(client, request(nodes=2))
    assert ("jobs", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]


def test_existing_compute_of_another_size_is_refused_with_the_variable_to_set():
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(size="Standard_NC96ads_A100_v4")})
    with pytest.raises(SubmitError, match=r"^VM_SIZE: compute trainyard-gpu has Standard_NC96ads_A100_v4 \(4 x A100\) "
                                          r"nodes, not Standard_NC24ads_A100_v4: set VM_SIZE=Standard_NC96ads_A100_v4"):
        run(client, request())
    assert ("jobs", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]


def test_low_priority_job_on_a_dedicated_cluster_is_refused():
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(tier="dedicated")})
    with pytest.raises(SubmitError, match="^LOW_PRIORITY: compute trainyard-gpu is dedicated, but this job asks "
                                          "for low-priority nodes: set LOW_PRIORITY=0"):
        run(client, request(low_priority=True))
    assert ("jobs", "create") not in [(kind, verb) for kind, verb, *_ in client.calls]


def test_dedicated_job_on_a_low_priority_cluster_is_refused():
    # What azure-ai-ml makes of Azure's vmPriority "LowPriority" when it reads a cluster back.
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(tier="low_priority")})
    with pytest.raises(SubmitError, match="is low-priority, but this job asks for dedicated nodes: set LOW_PRIORITY=1"):
        run(client, request())


def test_matching_low_priority_cluster_is_used():
    client = FakeMLClient(computes={"trainyard-gpu": _ExistingCompute(tier="LowPriority")})
    _, lines = run(client, request(low_priority=True), stream=False)
    assert any("using existing compute" in line for line in lines)


def test_new_cluster_gets_a_system_assigned_identity():
    client = FakeMLClient()
    plan = build_plan(request())
    submit(plan, request(), client, log=lambda line: None)
    assert plan.compute.identity.type == "system_assigned"


@pytest.mark.parametrize("status", ["Failed", "Canceled"])
def test_failed_or_cancelled_job_raises_one_line_with_status_and_studio_link(status):
    client = FakeMLClient(final_status=status, stream_raises=JobException(
        message="Exception : \n {...long traceback text...}", no_personal_data_message="x",
        target=ErrorTarget.JOB))
    with pytest.raises(JobDidNotSucceed) as ended:
        run(client, request())
    assert str(ended.value) == f"job happy_job_42 ended {status}; studio: https://ml.azure.com/runs/happy_job_42"
    assert ended.value.exit_status == 1


def test_stream_returning_without_completion_still_fails():
    client = FakeMLClient(final_status="NotResponding")
    with pytest.raises(JobDidNotSucceed, match="ended NotResponding"):
        run(client, request())


def test_ctrl_c_says_the_job_goes_on_and_exits_130():
    client = FakeMLClient(final_status="Running", stream_raises=KeyboardInterrupt())
    with pytest.raises(JobDidNotSucceed) as ended:
        run(client, request())
    assert ended.value.exit_status == 130
    message = str(ended.value)
    assert "\n" not in message and "is Running" in message and "az ml job cancel -n happy_job_42" in message
    assert message.endswith("studio: https://ml.azure.com/runs/happy_job_42")


def test_cli_turns_a_failed_job_into_one_line_and_status_1(monkeypatch, capsys):
    from submit.__main__ import run as cli

    client = FakeMLClient(final_status="Failed", stream_raises=JobException(
        message="boom", no_personal_data_message="x", target=ErrorTarget.JOB))
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "s")
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "g")
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", "w")
    monkeypatch.setattr("submit.workspace.connect", lambda settings: client)
    assert cli(["--framework", "pytorch", "--image", IMAGE]) == 1
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert err_lines[-1] == "azure-submit: job happy_job_42 ended Failed; studio: https://ml.azure.com/runs/happy_job_42"


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
