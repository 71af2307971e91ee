"""`${{inputs.name}}`, `${{outputs.name}}` and `$[[ ... ]]` in a job's command, replaced as Azure replaces them.

Azure substitutes each binding with the input's literal value or the mounted path, and drops an optional
`$[[...]]` section whose inputs were not given. A binding to an input or output the job does not declare
is an error Azure reports at submission; here it is one line naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from submit.errors import SubmitError

BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")
OPTIONAL_SECTION = re.compile(r"\$\[\[(.*?)\]\]", re.S)


def names_bound(command: str) -> list[tuple[str, str]]:
    """(`inputs` or `outputs`, name) for every binding in `command`, in order."""
    return [(match.group(1), match.group(2)) for match in BINDING.finditer(command)]


def bind(command: str, inputs: Mapping[str, str], outputs: Mapping[str, str]) -> str:
    """`command` with every binding replaced; optional sections kept only when all their inputs are given."""
    def optional(match: re.Match) -> str:
        section = match.group(1)
        given = all((inputs if kind == "inputs" else outputs).get(name) is not None
                    for kind, name in names_bound(section))
        return section if given else ""

    def value(match: re.Match) -> str:
        kind, name = match.group(1), match.group(2)
        table = inputs if kind == "inputs" else outputs
        if name not in table:
            declared = ", ".join(sorted(table)) or "none"
            raise SubmitError(f"the command uses ${{{{{kind}.{name}}}}}, but the job declares no such {kind[:-1]} "
                              f"(its {kind}: {declared}): add it under {kind}: or fix the name")
        if table[name] is None:
            raise SubmitError(f"the command uses ${{{{{kind}.{name}}}}} outside a $[[...]] section, but the job gives it "
                              f"no value")
        return table[name]

    return BINDING.sub(value, OPTIONAL_SECTION.sub(optional, command))
