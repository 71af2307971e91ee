"""Which local image a rehearsal runs for the job's `environment:`.

- `azureml:<name>:<version>` (or `@latest`), a curated or registered environment: the trainyard image
  of the same framework stands in for it, said once and plainly; its name says the framework
  (`AzureML-pytorch-...`, `acpt-...`, `tensorflow`), else the code's imports do.
- an inline environment with `image:` (or a plain image reference): that image when it is on this host
  (a local tag is used as named), else the trainyard image of its framework, said likewise.
The trainyard images are `trainyard/<family>:TAG`; one that is not built is a SubmitError naming the
`make build/<family>` that makes it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Callable, Optional

from submit.errors import SubmitError

FAMILIES = ("pytorch", "tensorflow")
_TENSORFLOW_WORDS = re.compile(r"tensorflow|keras", re.I)
_PYTORCH_WORDS = re.compile(r"pytorch|torch|acpt|deepspeed", re.I)
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(tensorflow|keras|tf_keras|torch|deepspeed|horovod\.tensorflow|"
                     r"horovod\.torch)\b", re.M)
INSPECT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ImageChoice:
    image: str
    family: str
    note: str        # one line: which image stands in for which environment, and why


def environment_reference(environment: Any) -> tuple[str, Optional[str]]:
    """(how the job names its environment, the image it names if any)."""
    if isinstance(environment, str):
        name = environment if environment.startswith("azureml:") else f"azureml:{environment}"
        return name, None
    image = getattr(environment, "image", None)
    name = getattr(environment, "name", None) or "an inline environment"
    return (f"{name} (image {image})" if image else name), image


def choose_image(environment: Any, code_dir: Optional[str], tag: str,
                 image_exists: Optional[Callable[[str], bool]] = None) -> ImageChoice:
    exists = image_exists or local_image_exists
    described, named_image = environment_reference(environment)
    if named_image and exists(named_image):
        return ImageChoice(named_image, family_of(named_image, code_dir),
                           f"environment {described}: rehearsed in {named_image}, the local image of that name")
    family = family_of(named_image or described, code_dir)
    image = f"trainyard/{family}:{tag}"
    if not exists(image):
        raise SubmitError(f"the image {image} is not built: run `make build/{family}` (TAG={tag}), then rehearse again")
    if described.startswith("azureml:trainyard-"):
        return ImageChoice(image, family, f"environment {described}: trainyard's own, rehearsed in {image}")
    why = "its image is not on this host" if named_image else "Azure's environments are not pulled here"
    return ImageChoice(image, family, f"environment {described}: rehearsed in {image} ({why}; "
                                      f"trainyard's {family} image stands in for it)")


def family_of(reference: str, code_dir: Optional[str]) -> str:
    """`pytorch` or `tensorflow`: from the environment's name, else from what the code imports."""
    if _TENSORFLOW_WORDS.search(reference or ""):
        return "tensorflow"
    if _PYTORCH_WORDS.search(reference or ""):
        return "pytorch"
    imports = code_imports(code_dir) if code_dir else set()
    if imports & {"tensorflow", "keras", "tf_keras", "horovod.tensorflow"} and not imports & {"torch", "deepspeed"}:
        return "tensorflow"
    return "pytorch"


def code_imports(code_dir: str) -> set[str]:
    found: set[str] = set()
    for directory, subdirectories, files in os.walk(code_dir):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        for name in files:
            if name.endswith(".py"):
                try:
                    with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as source:
                        found.update(_IMPORT.findall(source.read()))
                except OSError:
                    continue
    return found


def local_image_exists(image: str) -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "image", "inspect", image], capture_output=True,
                              timeout=INSPECT_TIMEOUT_SECONDS).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
