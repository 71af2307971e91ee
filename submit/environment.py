"""The Azure ML Environment: a pushed image, or a Docker build context Azure builds.

Versioned by content, so registering an unchanged environment is a no-op that can be skipped
(`azure_submit` looks the version up before creating it):
- image: the version is a hash of the reference, pinned to its pushed digest where the local
  Docker daemon knows it (see image_digest); a new push gives a new version.
- build context: the version is a hash of the files Docker would build from (see build_context).
"""

import hashlib
import os

from azure.ai.ml.entities import BuildContext, Environment

from submit.build_context import context_version
from submit.image_digest import pinned_reference
from submit.request import SubmitRequest


def build_environment(request: SubmitRequest) -> Environment:
    name = f"trainyard-{request.image_family}"
    if request.image:
        image = pinned_reference(request.image)
        return Environment(
            name=name,
            version=hashlib.sha256(image.encode()).hexdigest()[:12],
            image=image,
            description=f"trainyard {request.image_family} image, pushed by `make push`",
        )
    context = os.path.abspath(request.build_context)
    return Environment(
        name=name,
        version=context_version(context, request.dockerfile_in_context),
        build=BuildContext(path=context, dockerfile_path=request.dockerfile_in_context),
        description=f"trainyard {request.image_family} image, built by Azure from the repository",
    )


def environment_reference(environment: Environment) -> str:
    """How a job names a registered environment."""
    return f"azureml:{environment.name}:{environment.version}"
