"""Each input and output of a job as a node sees it: a literal value, or a path mounted from this host.

Azure resolves data (an `azureml:` asset, a datastore or cloud URL) on its side; here it needs a local
stand-in, given as INPUTS='name=local/path ...'. A local `path:` in the job file is mounted read-only
as it is, relative to the job file, as `az ml job create` uploads it. Outputs are folders on this host
under the rehearsal's folder, mounted read-write on every node as Azure mounts a datastore path.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from submit.errors import SubmitError
from submit.rehearsal import azure_paths

# What Azure resolves remotely: an asset, a datastore path, or a storage URL.
REMOTE_PREFIXES = ("azureml:", "https://", "http://", "wasbs://", "wasb://", "abfss://", "abfs://", "adl://",
                   "s3://", "gs://")
DATA_TYPES = ("uri_folder", "uri_file", "mltable", "custom_model", "mlflow_model", "triton_model")


@dataclass(frozen=True)
class Mount:
    host: str
    container: str
    read_only: bool


@dataclass(frozen=True)
class ResolvedInput:
    name: str
    value: str                 # what ${{inputs.name}} becomes
    mount: Mount | None        # None for a literal
    origin: str                # what the job file says, for the summary


def parse_stand_ins(text: str) -> dict[str, str]:
    """INPUTS='name=path name2=path2' -> {name: path}; a malformed entry is one line saying so."""
    try:
        words = shlex.split(text or "")
    except ValueError as error:
        raise SubmitError(f"INPUTS={text!r} is not valid shell quoting ({error})") from None
    stand_ins = {}
    for word in words:
        name, equals, path = word.partition("=")
        if not equals or not name or not path:
            raise SubmitError(f"INPUTS entry {word!r} needs the form name=local/path, e.g. INPUTS='cifar=~/data/cifar10'")
        stand_ins[name] = os.path.expanduser(path)
    return stand_ins


def is_remote(path: str) -> bool:
    return path.startswith(REMOTE_PREFIXES)


def resolve_inputs(inputs: Mapping[str, Any], base_path: str, job_id: str,
                   stand_ins: Mapping[str, str], raw_inputs: Mapping[str, Any] | None = None) -> list[ResolvedInput]:
    """Every input of the job, in the file's order; SubmitError for one that cannot be had here.

    `raw_inputs`: the inputs as the file writes them; azure-ai-ml drops the `azureml:` of a data path.
    """
    unknown = sorted(set(stand_ins) - set(inputs))
    if unknown:
        raise SubmitError(f"INPUTS names {', '.join(unknown)}, which the job does not declare "
                          f"(its inputs: {', '.join(inputs) or 'none'})")
    resolved = []
    for name, value in inputs.items():
        kind, path = _kind_and_path(value)
        written = (raw_inputs or {}).get(name)
        if isinstance(written, dict) and isinstance(written.get("path"), str):
            path = written["path"]
        if kind == "literal" and not (isinstance(path, str) and is_remote(path)):
            resolved.append(ResolvedInput(name, str(path), None, f"literal {path!r}"))
            continue
        target = azure_paths.input_dir(job_id, name)
        if name in stand_ins:
            host, origin = os.path.abspath(stand_ins[name]), f"{path} (stand-in {stand_ins[name]} from INPUTS)"
        elif is_remote(str(path)):
            raise SubmitError(
                f"input {name} is {path}, which Azure resolves in the cloud: give a local copy to stand in for it, "
                f"e.g. INPUTS='{name}=path/to/local/copy' (make rehearse JOB=... INPUTS=...)")
        else:
            local = str(path)[len("file:"):] if str(path).startswith("file:") else str(path)
            host, origin = os.path.normpath(os.path.join(base_path, local)), f"{path} (local)"
        if not os.path.exists(host):
            raise SubmitError(f"input {name}: {host} does not exist (from {origin}): fix the path"
                              + (" in INPUTS" if name in stand_ins else f" in the job file or give INPUTS='{name}=...'"))
        if kind == "uri_file" or os.path.isfile(host):
            target = f"{target}/{os.path.basename(host)}"
        resolved.append(ResolvedInput(name, target, Mount(host, target, read_only=True), origin))
    return resolved


def output_mounts(outputs: Mapping[str, Any], host_root: str, job_id: str) -> dict[str, Mount]:
    """Each declared output: a folder under `host_root`, mounted read-write where Azure mounts it."""
    mounts = {}
    for name in outputs:
        mounts[name] = Mount(os.path.join(host_root, name), azure_paths.output_dir(job_id, name), read_only=False)
    return mounts


def _kind_and_path(value: Any) -> tuple[str, Any]:
    kind = getattr(value, "type", None)
    if kind in DATA_TYPES:
        return kind, getattr(value, "path", None)
    if kind is not None:   # a typed literal (integer, number, string, boolean)
        return "literal", getattr(value, "default", None)
    return "literal", value

