"""A user's own Azure ML CLI v2 job file, read once: what `make rehearse` runs and `make azure-submit JOB=` sends.

The file is read by azure-ai-ml's own loader (`load_job`), offline, so a file Azure would reject is
rejected here with the SDK's own reason. Its errors are long (a JSON tree of every alternative of a
union); `UserJobError` keeps the field and the message and adds the line the field stands on.

Only `command` jobs are rehearsed and submitted this way: a sweep or pipeline job is refused with the
types that are supported.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

import yaml

from submit.errors import SubmitError

SUPPORTED_TYPES = ("command",)
# Distribution fields azure-ai-ml accepts per type (its schemas). Checked before the SDK so that a
# misplaced field gets a sentence instead of the SDK's union error, which lists every type.
DISTRIBUTION_FIELDS = {
    "pytorch": {"type", "process_count_per_instance"},
    "mpi": {"type", "process_count_per_instance"},
    "tensorflow": {"type", "worker_count", "parameter_server_count"},
    "ray": {"type", "port", "address", "include_dashboard", "dashboard_port", "head_node_additional_args",
            "worker_node_additional_args"},
}


class UserJobError(SubmitError):
    """A job file that Azure would reject: one line naming the file, the field, its line and what to change."""


@dataclass(frozen=True)
class UserJob:
    path: str            # the YAML file, as given
    base_path: str       # its folder: `code:` and local input paths are relative to it
    job: Any             # azure.ai.ml.entities.CommandJob, as load_job read it
    raw: dict            # the YAML as plain data (what the file says, before the SDK's defaults)

    @property
    def distribution_type(self) -> str:
        return getattr(self.job.distribution, "type", None) or "none"


def load_user_job(path: str) -> UserJob:
    """Read and validate `path` as Azure would; raise UserJobError (one line) for a file it would reject."""
    if not os.path.isfile(path):
        raise UserJobError(f"{path}: no such job file (give JOB=path/to/job.yml)")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    raw, lines = _parse_yaml(path, text)
    _check_before_the_sdk(path, raw, lines)
    # azure-ai-ml warns about its own experimental classes as it reads any job: noise to a user.
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    from azure.ai.ml import load_job
    from marshmallow.exceptions import ValidationError

    try:
        loaded = load_job(path)
    except ValidationError as error:
        raise UserJobError(f"{path}: Azure ML would reject this job: {condense_sdk_error(str(error), lines)}") from None
    except Exception as error:   # the SDK raises its own ValidationException and friends
        message = getattr(error, "message", None) or str(error)
        raise UserJobError(f"{path}: Azure ML would reject this job: {_first_sentence(message)}") from None
    job = loaded._to_job() if hasattr(loaded, "_to_job") else loaded
    if getattr(job, "type", None) not in SUPPORTED_TYPES:
        raise UserJobError(f"{path}: a {getattr(job, 'type', '?')} job cannot be rehearsed or submitted here: "
                           f"supported: {', '.join(SUPPORTED_TYPES)} jobs (one command, optionally distributed)")
    return UserJob(path=path, base_path=os.path.dirname(os.path.abspath(path)), job=job, raw=raw)


def _parse_yaml(path: str, text: str) -> tuple[dict, dict[str, int]]:
    try:
        raw = yaml.safe_load(text)
        lines = field_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UserJobError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise UserJobError(f"{path}: a job file is a YAML mapping (command:, environment:, ...), not {type(raw).__name__}")
    return raw, lines


def field_lines(text: str) -> dict[str, int]:
    """Dotted field path -> 1-based line, for every mapping key in the document."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}{key.value}"
                lines.setdefault(name, key.start_mark.line + 1)
                walk(value, name + ".")
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{prefix}{index}.")

    root = yaml.compose(text)
    if root is not None:
        walk(root, "")
    return lines


def _check_before_the_sdk(path: str, raw: dict, lines: dict[str, int]) -> None:
    job_type = raw.get("type", "command")
    if job_type not in SUPPORTED_TYPES:
        raise UserJobError(f"{path}: line {lines.get('type', 1)}: a {job_type} job cannot be rehearsed or submitted "
                           f"here: supported: {', '.join(SUPPORTED_TYPES)} jobs (one command, optionally distributed)")
    code = raw.get("code")
    if isinstance(code, str) and ":" not in code.split("/")[0]:
        folder = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), code))
        if not os.path.exists(folder):
            raise UserJobError(f"{path}: line {lines.get('code', 1)}: code: {code} is not a folder ({folder} does not "
                               f"exist): fix code:, the folder Azure uploads and runs the command in")
    distribution = raw.get("distribution")
    if isinstance(distribution, dict):
        kind = distribution.get("type")
        allowed = DISTRIBUTION_FIELDS.get(kind)
        if allowed is None:
            raise UserJobError(f"{path}: line {lines.get('distribution.type', lines.get('distribution', 1))}: "
                               f"distribution.type {kind!r} is not one of {', '.join(DISTRIBUTION_FIELDS)}")
        for field in distribution:
            if field not in allowed:
                hint = (" (a tensorflow job runs one process per worker: give worker_count, and "
                        "parameter_server_count for parameter servers)" if kind == "tensorflow" else "")
                raise UserJobError(f"{path}: line {lines.get(f'distribution.{field}', 1)}: distribution.{field} is not "
                                   f"a field of the {kind} distribution{hint}; its fields: {', '.join(sorted(allowed))}")


_TYPE_MISMATCH = re.compile(r"^Value '.*' passed is not in set")


def condense_sdk_error(text: str, lines: dict[str, int]) -> str:
    """The SDK's ValidationError text as `field (line N): message; ...` for the alternatives that fit the file."""
    tree = _innermost_json(text)
    if tree is None:
        return _first_sentence(text)
    leaves = []
    _collect(tree, [], leaves)
    if not leaves:
        return _first_sentence(text)
    seen, parts = set(), []
    for field_path, message in leaves:
        if (field_path, message) in seen:
            continue
        seen.add((field_path, message))
        line = lines.get(field_path)
        parts.append(f"{field_path or 'the job'}{f' (line {line})' if line else ''}: {message}")
    return "; ".join(parts[:3]) + (f"; and {len(parts) - 3} more" if len(parts) > 3 else "")


def _innermost_json(text: str) -> Any:
    """The deepest `{...}` error tree in the message (the SDK nests a schema's error inside another's)."""
    while True:
        start = text.find("{")
        end = text.rfind("}")
        if start == -1 or end <= start:
            return None
        try:
            tree = json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            return None
        errors = tree.get("errors") if isinstance(tree, dict) else None
        if errors and isinstance(errors, list) and isinstance(errors[0], dict) and "message" in errors[0]:
            text = errors[0]["message"]
            continue
        return tree


def _collect(node: Any, path: list[str], leaves: list[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("value", "null", "_schema") or key is None:
                _collect(value, path, leaves)
            else:
                _collect(value, [*path, str(key)], leaves)
    elif isinstance(node, list):
        if node and all(isinstance(item, str) for item in node):
            for message in node:
                leaves.append((".".join(path), message))
            return
        # A union: the SDK tried each alternative. Those whose `type` does not match say nothing useful.
        alternatives = [item for item in node if not _is_type_mismatch(item)] or node
        for item in alternatives:
            _collect(item, path, leaves)


def _is_type_mismatch(alternative: Any) -> bool:
    return isinstance(alternative, dict) and any(
        isinstance(message, str) and _TYPE_MISMATCH.match(message) for message in alternative.get("type", []))


def _first_sentence(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip() or "no reason given"
