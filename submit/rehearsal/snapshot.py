"""The snapshot of `code:` that each node works in: a copy, so the user's folder is never written.

Azure uploads `code:` once and each node gets its own copy as its working directory. What it leaves
out follows `.amlignore`, or `.gitignore` when there is no `.amlignore` ("Prevent unnecessary files
from being included in the snapshot", Azure ML docs), with git's rules: `#` comments, `!` re-includes,
a trailing `/` matches folders only, a pattern with a `/` before its end is anchored at the top, one
without matches at any depth, `*` stays within a name and `**` spans folders, and nothing under an
excluded folder comes back. `.git` is left out too. Azure refuses snapshots over 300 MB by default.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

IGNORE_FILES = (".amlignore", ".gitignore")
ALWAYS_LEFT_OUT = (".git",)
AZURE_SNAPSHOT_LIMIT_BYTES = 300 * 1024 * 1024


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern
    negated: bool
    directories_only: bool


def read_rules(code_dir: str) -> list[_Rule]:
    for name in IGNORE_FILES:
        path = os.path.join(code_dir, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as lines:
                return [rule for rule in (_rule(line.rstrip("\n")) for line in lines) if rule]
    return []


def _rule(line: str) -> _Rule | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    text = text[1:] if negated else text
    directories_only = text.endswith("/")
    text = text.rstrip("/")
    anchored = "/" in text
    text = text.lstrip("/")
    body = _glob_to_regex(text)
    regex = re.compile(body if anchored else r"(?:.*/)?" + body)
    return _Rule(regex, negated, directories_only)


def _glob_to_regex(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)


def ignored(relative: str, is_dir: bool, rules: list[_Rule]) -> bool:
    result = False
    for rule in rules:
        if rule.directories_only and not is_dir:
            continue
        if rule.regex.fullmatch(relative):
            result = not rule.negated
    return result


def snapshot_files(code_dir: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    """Relative paths of the files the snapshot holds (`leave_out`: absolute folders never copied)."""
    rules = read_rules(code_dir)
    left_out = {os.path.abspath(path) for path in leave_out}
    files = []
    for directory, subdirectories, names in os.walk(code_dir):
        relative_dir = os.path.relpath(directory, code_dir)
        prefix = "" if relative_dir == "." else relative_dir.replace(os.sep, "/") + "/"
        subdirectories[:] = sorted(
            name for name in subdirectories
            if name not in ALWAYS_LEFT_OUT and os.path.abspath(os.path.join(directory, name)) not in left_out
            and not ignored(prefix + name, True, rules))
        files.extend(prefix + name for name in sorted(names) if not ignored(prefix + name, False, rules))
    return files


def snapshot_size(code_dir: str, files: list[str]) -> int:
    return sum(os.path.getsize(os.path.join(code_dir, relative)) for relative in files
               if os.path.isfile(os.path.join(code_dir, relative)))


def copy_snapshot(code_dir: str, files: list[str], destination: str) -> None:
    """Copy `files` of `code_dir` to `destination`, writable by the image's user (uid 1000)."""
    os.makedirs(destination, exist_ok=True)
    for relative in files:
        source = os.path.join(code_dir, relative)
        target = os.path.join(destination, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    make_tree_writable(destination)


def make_tree_writable(root: str) -> None:
    """Let the containers' user write where the job's processes write (it may not be this host's user)."""
    for directory, _, names in os.walk(root):
        os.chmod(directory, 0o777)
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o666)
