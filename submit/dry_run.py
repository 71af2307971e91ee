"""Write a plan as Azure ML CLI v2 YAML, and load it back with azure-ai-ml to validate it.

The three files are what `az ml environment create -f`, `az ml compute create -f` and
`az ml job create -f` take, in that order. Loading them back runs the SDK's own schema checks,
so a file that would be refused is caught here, without credentials or network.
"""

import os
from dataclasses import dataclass

import yaml
from azure.ai.ml import load_compute, load_environment, load_job
from azure.ai.ml.entities import AmlCompute, Environment, Job

from submit.plan import SubmissionPlan


@dataclass(frozen=True)
class DryRunResult:
    directory: str
    environment_yaml: str
    compute_yaml: str
    job_yaml: str
    # What azure-ai-ml made of the files: proof that they load, and what tests inspect.
    environment: Environment
    compute: AmlCompute
    job: Job

    def az_commands(self) -> list[str]:
        return [
            f"az ml environment create -f {self.environment_yaml}",
            f"az ml compute create -f {self.compute_yaml}",
            f"az ml job create -f {self.job_yaml} --stream",
        ]


def _unprefix_local_input_paths(job_yaml: str) -> None:
    """azure-ai-ml dumps every input path behind `azureml:`, a local file's too (`azureml:/abs/labels.txt`),
    which then reads back as an asset name: give local paths back their own form, so `az ml job create -f`
    uploads them."""
    with open(job_yaml, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    changed = False
    for value in (document.get("inputs") or {}).values():
        path = value.get("path") if isinstance(value, dict) else None
        if isinstance(path, str) and path.startswith(("azureml:/", "azureml:./", "azureml:file:")) \
                and not path.startswith("azureml://"):
            value["path"] = path[len("azureml:"):]
            changed = True
    if changed:
        with open(job_yaml, "w", encoding="utf-8") as handle:
            yaml.safe_dump(document, handle, sort_keys=False)


def write_plan(plan: SubmissionPlan, directory: str) -> DryRunResult:
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(directory, f"{name}.yaml") for name in ("environment", "compute", "job")}
    for name, entity in (("environment", plan.environment), ("compute", plan.compute), ("job", plan.job)):
        if os.path.exists(paths[name]):
            os.remove(paths[name])  # the SDK refuses to overwrite
        entity.dump(paths[name])
    _unprefix_local_input_paths(paths["job"])
    job = load_job(paths["job"])
    if job.type != "command" or (plan.job.distribution is not None and job.distribution is None):
        raise AssertionError(f"{paths['job']} did not load back as the command job it was written from")
    return DryRunResult(
        directory=directory,
        environment_yaml=paths["environment"],
        compute_yaml=paths["compute"],
        job_yaml=paths["job"],
        environment=load_environment(paths["environment"]),
        compute=load_compute(paths["compute"]),
        job=job,
    )
