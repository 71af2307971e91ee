"""bench/results.py and bench/scaling.efficiencies: file naming, E(2) pairing, the printed table."""

from __future__ import annotations

import datetime

from bench.commands import json_line
from bench.results import format_table, results_path
from bench.scaling import efficiencies


def test_results_file_is_named_by_utc_date_and_hostname(tmp_path):
    started = datetime.datetime(2026, 11, 22, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-2)))
    assert results_path(tmp_path, started, "box-1") == tmp_path / "2026-11-23-box-1.json"


def test_odd_characters_in_the_hostname_do_not_make_folders(tmp_path):
    started = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    assert results_path(tmp_path, started, "a/b c").name == "2026-01-02-a_b_c.json"


def test_efficiency_pairs_one_and_two_ranks_of_the_same_model_and_way():
    runs = [{"model": "m", "way": "ddp", "ranks": 1, "img_per_sec": {"mean": 10.0, "plus_minus": 0.0}},
            {"model": "m", "way": "ddp", "ranks": 2, "img_per_sec": {"mean": 15.0, "plus_minus": 0.0}},
            {"model": "m", "way": "horovod", "ranks": 2, "img_per_sec": {"mean": 20.0, "plus_minus": 0.0}}]
    assert efficiencies(runs) == [{"model": "m", "way": "ddp", "e2": {"mean": 0.75, "plus_minus": 0.0}}]


def test_a_failed_run_has_no_efficiency():
    runs = [{"model": "m", "way": "ddp", "ranks": 1, "error": "boom"},
            {"model": "m", "way": "ddp", "ranks": 2, "img_per_sec": {"mean": 15.0, "plus_minus": 0.0}}]
    assert efficiencies(runs) == []


def test_json_line_finds_the_payload_behind_compose_prefixes():
    output = 'node-1_1  | sshd\nnode-0_1  | BENCH_JSON {"a": 1}\nnode-0_1 exited with code 0\n'
    assert json_line(output) == '{"a": 1}'


def test_table_marks_a_trial_and_a_missing_gpu():
    results = {"started_utc": "2026-11-22T20:00:00+00:00", "cpus_limit": 0.5,
               "machine": {"hostname": "h", "cores": 2, "cpu_model": "cpu", "memory_bytes": 2**34, "docker_server": "20.10"},
               "images": {}, "sections": {"gpu": {"status": "not measured: no GPU"}}}
    table = format_table(results)
    assert "FUNCTIONAL TRIAL" in table
    assert "GPU: not measured: no GPU" in table


def test_table_puts_each_profiled_event_of_two_ranks_next_to_the_same_event_of_one():
    def profile(wall, events):
        return {"wall_ms_per_batch": wall, "top": [{"name": n, "self_cpu_ms_per_batch": ms} for n, ms in events]}
    runs = [{"model": "m", "way": "ddp", "ranks": 1, "img_per_sec": {"mean": 10.0, "plus_minus": 1.0},
             "profile": profile(20.0, [("aten::conv", 12.0), ("aten::add", 1.0)])},
            {"model": "m", "way": "ddp", "ranks": 2, "img_per_sec": {"mean": 18.0, "plus_minus": 1.0},
             "profile": profile(24.0, [("aten::conv", 12.5), ("gloo:all_reduce", 6.0)])}]
    results = {"started_utc": "2026-11-23T01:00:00+00:00", "cpus_limit": None,
               "machine": {"hostname": "h", "cores": 2, "cpu_model": "cpu", "memory_bytes": 2**34, "docker_server": "20.10"},
               "images": {}, "sections": {"scaling": {"status": "ok", "runs": runs, "efficiency": efficiencies(runs)}}}
    lines = format_table(results).splitlines()
    assert any("where a m ddp batch goes, ms: wall 20.0 with 1 rank, 24.0 with 2" in line for line in lines)
    conv = next(line for line in lines if "aten::conv" in line)
    assert conv.split()[1:] == ["12.00", "->", "12.50"]
    gloo = next(line for line in lines if "gloo:all_reduce" in line)
    assert gloo.split()[1:] == ["-", "->", "6.00"]
