"""Content hash of a Docker build context: the files `.dockerignore` lets into the build.

Azure builds an environment from the context it is given; hashing exactly what Docker would
see (plus the Dockerfile) gives a version that changes when, and only when, the image can.
Files the build never sees (build outputs, `.git`, the dry-run YAML) do not change the version.

`.dockerignore` rules followed (Docker's documented semantics): one pattern per line, `#` for
comments, `!` re-includes, the last matching line decides, `*` and `?` stay within one path
component, `**` spans any number of directories, and a pattern that matches a directory
matches everything under it.
"""

import hashlib
import os
import re
from typing import Iterator

_CHUNK = 1 << 20


def context_version(context_dir: str, dockerfile: str) -> str:
    """12 hex digits of a SHA-256 over the included files' paths, contents and exec bits."""
    digest = hashlib.sha256()
    # The Dockerfile decides the image even when .dockerignore leaves it out of COPY.
    files = sorted(set(included_files(context_dir)) | {dockerfile.replace(os.sep, "/")})
    for relative in files:
        path = os.path.join(context_dir, relative)
        executable = os.access(path, os.X_OK)
        digest.update(f"{relative}\0{int(executable)}\0".encode())
        digest.update(_file_sha256(path))
    return digest.hexdigest()[:12]


def included_files(context_dir: str) -> Iterator[str]:
    """Relative POSIX paths of the regular files Docker would send from `context_dir`."""
    rules = _read_rules(os.path.join(context_dir, ".dockerignore"))
    for directory, subdirectories, filenames in os.walk(context_dir):
        relative_dir = os.path.relpath(directory, context_dir).replace(os.sep, "/")
        prefix = "" if relative_dir == "." else relative_dir + "/"
        # Skip excluded directories that no `!` rule could re-include (.git, for one): walking
        # them would only cost time.
        subdirectories[:] = [
            name for name in subdirectories if not _prunable(prefix + name, rules)
        ]
        for name in filenames:
            relative = prefix + name
            if os.path.isfile(os.path.join(directory, name)) and not _excluded(relative, rules):
                yield relative


class _Rule:
    def __init__(self, line: str):
        self.negated = line.startswith("!")
        pattern = os.path.normpath(line[1:].strip() if self.negated else line).replace(os.sep, "/")
        self.pattern = pattern.lstrip("/")
        self.regex = re.compile(_pattern_to_regex(self.pattern))
        # The part before the first wildcard, for deciding whether a directory can be pruned.
        self.literal_prefix = re.split(r"[*?\[\\]", self.pattern, maxsplit=1)[0]

    def matches(self, relative_path: str) -> bool:
        parts = relative_path.split("/")
        return any(self.regex.fullmatch("/".join(parts[:end])) for end in range(1, len(parts) + 1))


def _read_rules(dockerignore_path: str) -> list[_Rule]:
    if not os.path.isfile(dockerignore_path):
        return []
    with open(dockerignore_path, encoding="utf-8") as lines:
        stripped = (line.strip() for line in lines)
        return [_Rule(line) for line in stripped if line and not line.startswith("#")]


def _excluded(relative_path: str, rules: list[_Rule]) -> bool:
    excluded = False
    for rule in rules:
        if rule.matches(relative_path):
            excluded = not rule.negated
    return excluded


def _prunable(relative_dir: str, rules: list[_Rule]) -> bool:
    if not _excluded(relative_dir, rules):
        return False
    with_slash = relative_dir + "/"
    return not any(
        rule.negated and (rule.literal_prefix.startswith(with_slash) or with_slash.startswith(rule.literal_prefix))
        for rule in rules
    )


def _pattern_to_regex(pattern: str) -> str:
    regex, index = [], 0
    while index < len(pattern):
        character = pattern[index]
        if pattern.startswith("**/", index):
            regex.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            regex.append(".*")
            index += 2
            continue
        if character == "*":
            regex.append("[^/]*")
        elif character == "?":
            regex.append("[^/]")
        elif character == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                regex.append(re.escape(character))
            else:
                body = pattern[index + 1:end]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                regex.append(f"[{body}]")
                index = end
        elif character == "\\" and index + 1 < len(pattern):
            index += 1
            regex.append(re.escape(pattern[index]))
        else:
            regex.append(re.escape(character))
        index += 1
    return "".join(regex)


def _file_sha256(path: str) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as content:
        for chunk in iter(lambda: content.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()
