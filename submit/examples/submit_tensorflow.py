"""Submit trainyard's TensorFlow training to Azure ML: the whole submission on one page.

    python -m submit.examples.submit_tensorflow --image myacr.azurecr.io/trainyard/tensorflow:0.1 --dry-run

Without --dry-run it needs a workspace (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP,
AZUREML_WORKSPACE_NAME, or ./config.json) and an Azure sign-in (`az login`).
"""

import argparse
import sys

from submit.azure_submit import submit
from submit.dry_run import write_plan
from submit.errors import SubmitError
from submit.plan import build_plan
from submit.request import SubmitRequest
from submit.vm_sizes import DEFAULT_VM_SIZE
from submit.workspace import connect, workspace_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True, help="the image `make push` pushed")
    parser.add_argument("--data", help="optional URI folder holding CIFAR-10 (trained on instead of digits)")
    parser.add_argument("--vm-size", default=DEFAULT_VM_SIZE,
                        help=f"Azure VM size of each node (default {DEFAULT_VM_SIZE}; see submit/vm_sizes.py)")
    parser.add_argument("--parameter-servers", type=int, default=0,
                        help="0: MultiWorkerMirroredStrategy; more: ParameterServerStrategy")
    parser.add_argument("--dry-run", action="store_true")
    arguments = parser.parse_args()

    # 1. What to run: 2 workers, one per node. Azure's `tensorflow` distribution sets TF_CONFIG
    #    on each; one process per node uses all of that node's GPUs (so procs stays unset: 1).
    request = SubmitRequest(
        framework="tensorflow",
        distribution="tensorflow",
        nodes=2,
        parameter_servers=arguments.parameter_servers,
        image=arguments.image,
        compute_name="trainyard-gpu",
        vm_size=arguments.vm_size,  # default: 1 x A100 per node
        low_priority=True,  # checkpoints go to a job output, so a preempted job resumes
        data=arguments.data,
    )
    try:
        # 2. Check it and build the Environment, AmlCompute and CommandJob (offline).
        plan = build_plan(request)
        if arguments.dry_run:
            # 3a. ...or write them as CLI v2 YAML, validated by loading them back.
            result = write_plan(plan, "build/azure/example-tensorflow")
            with open(result.job_yaml, encoding="utf-8") as job_yaml:
                print(job_yaml.read())
            return 0
        # 3b. Sign in, create what is missing, submit, and stream the logs.
        ml_client = connect(workspace_settings())
        submit(plan, request, ml_client)
        return 0
    except SubmitError as error:
        print(f"submit_tensorflow: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
