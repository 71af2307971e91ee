"""The real submission: make sure compute and environment exist, create the job, stream it.

Takes an MLClient (workspace.connect) so tests can hand it a stand-in.
"""

from typing import Callable

from azure.ai.ml.exceptions import JobException
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from submit.compute import check_existing_compute
from submit.errors import JobDidNotSucceed, SubmitError
from submit.plan import SubmissionPlan
from submit.request import SubmitRequest

# Creating a cluster is an ARM operation that usually finishes in a minute or two; past this,
# something is wrong (quota, policy) and the portal says more than a hanging poller.
COMPUTE_CREATE_TIMEOUT_SECONDS = 15 * 60


def submit(plan: SubmissionPlan, request: SubmitRequest, ml_client, *, stream: bool = True,
           log: Callable[[str], None] = print):
    """Create `plan` in the workspace of `ml_client`; return the created job."""
    try:
        ensure_compute(ml_client, plan, request, log)
        ensure_environment(ml_client, plan, log)
        created = ml_client.jobs.create_or_update(plan.job)
    except ClientAuthenticationError as error:
        raise SubmitError(
            "Azure sign-in failed: run `az login` (or set AZURE_CLIENT_ID, AZURE_TENANT_ID and "
            f"AZURE_CLIENT_SECRET for a service principal): {_first_line(error)}"
        ) from None
    except HttpResponseError as error:
        raise SubmitError(f"Azure refused the request: {_first_line(error)}") from None
    log(f"job {created.name} submitted; studio: {created.studio_url}")
    if stream:
        stream_to_end(ml_client, created)
    return created


def stream_to_end(ml_client, job) -> None:
    """Stream `job`'s logs until it ends; raise JobDidNotSucceed (one line) unless it completed.

    jobs.stream raises JobException when the job fails or is cancelled, and returns normally for
    other ends too, so the final status is read back rather than inferred. Ctrl-C stops the
    streaming, not the job: the line says so, and how to cancel it.
    """
    try:
        ml_client.jobs.stream(job.name)
    except KeyboardInterrupt:
        raise JobDidNotSucceed(
            f"interrupted: job {job.name} is {_status(ml_client, job)} and goes on in Azure "
            f"(cancel: az ml job cancel -n {job.name}); studio: {job.studio_url}", exit_status=130) from None
    except JobException:
        pass  # the status below says what happened, in one line instead of a traceback
    status = _status(ml_client, job)
    if status != "Completed":
        raise JobDidNotSucceed(f"job {job.name} ended {status}; studio: {job.studio_url}")


def ensure_compute(ml_client, plan: SubmissionPlan, request: SubmitRequest, log) -> None:
    try:
        existing = ml_client.compute.get(plan.compute.name)
    except ResourceNotFoundError:
        log(f"creating compute {plan.compute.name} ({plan.compute.size}, "
            f"{plan.compute.min_instances}-{plan.compute.max_instances} nodes, {plan.compute.tier})")
        ml_client.compute.begin_create_or_update(plan.compute).result(timeout=COMPUTE_CREATE_TIMEOUT_SECONDS)
        return
    check_existing_compute(existing, request)
    log(f"using existing compute {existing.name} ({existing.size})")


def ensure_environment(ml_client, plan: SubmissionPlan, log) -> None:
    environment = plan.environment
    try:
        ml_client.environments.get(name=environment.name, version=environment.version)
    except ResourceNotFoundError:
        log(f"registering environment {environment.name}:{environment.version}")
        ml_client.environments.create_or_update(environment)
        return
    # The version is a content hash, so an existing version holds this exact content.
    log(f"environment {environment.name}:{environment.version} is registered already (unchanged)")


def _status(ml_client, job) -> str:
    try:
        return str(ml_client.jobs.get(job.name).status)
    except (AzureError, KeyboardInterrupt) as error:
        return f"of unknown status ({type(error).__name__} reading it)"


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
