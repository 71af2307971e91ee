"""Reading a user's job file: what Azure would reject is one line naming the field and its line."""

from pathlib import Path

import pytest

from submit.user_job import UserJobError, condense_sdk_error, field_lines, load_user_job

GOOD = """\
code: src
command: python train.py --epochs ${{inputs.epochs}}
inputs:
  epochs: 2
environment: azureml:AzureML-acpt-pytorch-2.2-cuda12.1@latest
distribution:
  type: pytorch
  process_count_per_instance: 2
resources:
  instance_count: 2
"""


def write(tmp_path: Path, text: str) -> str:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "train.py").write_text("print('hi')\n")
    path = tmp_path / "job.yml"
    path.write_text(text)
    return str(path)


def test_a_command_job_loads_with_its_distribution_and_resources(tmp_path):
    job = load_user_job(write(tmp_path, GOOD))
    assert job.job.type == "command" and job.distribution_type == "pytorch"
    assert job.job.distribution.process_count_per_instance == 2 and job.job.resources.instance_count == 2
    assert job.base_path == str(tmp_path)


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    with pytest.raises(UserJobError, match=r"not valid YAML at line 2, column \d+"):
        load_user_job(write(tmp_path, "command: [python\ncode: src\n"))


def test_a_schema_error_names_the_field_and_its_line(tmp_path):
    text = GOOD.replace("instance_count: 2", "instance_count: two")
    with pytest.raises(UserJobError, match=r"Azure ML would reject this job: resources\.instance_count \(line 10\): "
                                           r"Not a valid integer"):
        load_user_job(write(tmp_path, text))


def test_process_count_under_tensorflow_is_named_with_what_to_use(tmp_path):
    text = GOOD.replace("type: pytorch", "type: tensorflow\n  worker_count: 2")
    with pytest.raises(UserJobError, match=r"line 9: distribution\.process_count_per_instance is not a field of the "
                                           r"tensorflow distribution .*worker_count"):
        load_user_job(write(tmp_path, text))


@pytest.mark.parametrize("kind", ["sweep", "pipeline"])
def test_jobs_other_than_command_are_refused_naming_what_is_supported(tmp_path, kind):
    with pytest.raises(UserJobError, match=rf"a {kind} job cannot be rehearsed or submitted here: supported: command"):
        load_user_job(write(tmp_path, f"type: {kind}\n" + GOOD))


def test_a_missing_file_says_how_to_name_one(tmp_path):
    with pytest.raises(UserJobError, match="no such job file"):
        load_user_job(str(tmp_path / "nope.yml"))


def test_field_lines_cover_nested_keys():
    lines = field_lines(GOOD)
    assert lines["inputs.epochs"] == 4 and lines["distribution.process_count_per_instance"] == 8


def test_union_alternatives_whose_type_does_not_match_are_left_out():
    text = ('Validation failed:\n\n {"distribution": [{"type": ["Value \'tensorflow\' passed is not in set '
            '[\'pytorch\']"], "worker_count": ["Unknown field."]}, {"process_count_per_instance": ["Unknown field."]}]} '
            '\n\n If you are')
    assert condense_sdk_error(text, {"distribution.process_count_per_instance": 7}) == (
        "distribution.process_count_per_instance (line 7): Unknown field.")
