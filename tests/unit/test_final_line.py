"""The FINAL summary line: what rank 0 prints and what tests and job scripts parse."""

import pytest

from train.common.reporting.final_line import format_final_line, parse_final_line


def test_round_trip_keeps_fields_and_formats_floats() -> None:
    line = format_final_line(world_size=2, accuracy=0.96123, samples_per_sec=1234.5)
    assert line == "FINAL world_size=2 accuracy=0.9612 samples_per_sec=1234.5000"
    assert parse_final_line("noise\n" + line + "\n") == {
        "world_size": "2", "accuracy": "0.9612", "samples_per_sec": "1234.5000"}


def test_the_last_final_line_wins() -> None:
    output = "FINAL accuracy=0.1000\nFINAL accuracy=0.9000\n"
    assert parse_final_line(output)["accuracy"] == "0.9000"


def test_no_final_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="no FINAL line"):
        parse_final_line("training crashed\n")


def test_values_with_spaces_are_refused() -> None:
    with pytest.raises(ValueError, match="without spaces"):
        format_final_line(model="two words")
