"""The one summary line a run prints at the end, and its parser (used by tests and job scripts).

Format: `FINAL key=value key=value ...` on a line of its own, keys in a fixed order; values carry no
spaces. Keeping writer and parser together keeps them in step.
"""

from __future__ import annotations

PREFIX = "FINAL"


def format_final_line(**fields: object) -> str:
    parts = [PREFIX]
    for key, value in fields.items():
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        if not text or any(ch.isspace() for ch in text):
            raise ValueError(f"FINAL field {key}={text!r} must be non-empty without spaces")
        parts.append(f"{key}={text}")
    return " ".join(parts)


def parse_final_line(output: str) -> dict[str, str]:
    """Fields of the last FINAL line in `output`; ValueError when there is none."""
    lines = [line for line in output.splitlines() if line.startswith(PREFIX + " ")]
    if not lines:
        raise ValueError("no FINAL line in output")
    return dict(part.split("=", 1) for part in lines[-1].split()[1:])
