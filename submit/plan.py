"""Everything a submission creates, built offline in one place.

A dry run and a real submission both call build_plan(), so the YAML a dry run prints is the
job a real run would send.
"""

from dataclasses import dataclass

from azure.ai.ml.entities import AmlCompute, CommandJob, Environment

from submit.compute import build_compute
from submit.environment import build_environment, environment_reference
from submit.job import build_job
from submit.request import SubmitRequest
from submit.validate import validate


@dataclass(frozen=True)
class SubmissionPlan:
    environment: Environment
    compute: AmlCompute
    job: CommandJob


def build_plan(request: SubmitRequest) -> SubmissionPlan:
    """Validate `request` (raising SubmitError), then build its three Azure ML objects."""
    validate(request)
    environment = build_environment(request)
    return SubmissionPlan(
        environment=environment,
        compute=build_compute(request),
        job=build_job(request, environment=environment_reference(environment)),
    )
