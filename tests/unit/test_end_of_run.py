"""train.common.reporting.end_of_run: rank 0 finishes its writing and prints FINAL before the closing barrier."""

from train.common.reporting.end_of_run import RunSummary, end_run
from train.common.reporting.final_line import parse_final_line

SUMMARY = RunSummary(world_size=2, accuracy=0.93, samples_per_sec=120.5, steps=40, steps_this_run=15)


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.events.append(("metrics", metrics, step))

    def close(self) -> None:
        self.events.append("close")


def test_the_writer_saves_logs_closes_and_prints_before_the_barrier(capsys):
    recorder = Recorder()

    def barrier() -> None:
        recorder.events.append(("barrier", capsys.readouterr().out))

    end_run(SUMMARY, is_writer=True, save=lambda: recorder.events.append("save"), metrics=recorder,
            barrier=barrier, extra_metrics={"final_samples_per_sec": 120.5})
    save, metrics, close, (name, printed) = recorder.events
    assert (save, close, name) == ("save", "close", "barrier")
    assert metrics == ("metrics", {"accuracy": 0.93, "final_samples_per_sec": 120.5}, 40)
    assert parse_final_line(printed) == {"world_size": "2", "accuracy": "0.9300", "samples_per_sec": "120.5000",
                                         "steps": "40", "steps_this_run": "15"}


def test_other_ranks_only_pass_the_barrier(capsys):
    recorder = Recorder()
    end_run(SUMMARY, is_writer=False, save=lambda: recorder.events.append("save"), metrics=recorder,
            barrier=lambda: recorder.events.append("barrier"))
    assert recorder.events == ["barrier"]
    assert capsys.readouterr().out == ""


def test_the_weights_hash_is_in_the_final_line_when_known():
    summary = RunSummary(**{**SUMMARY.__dict__, "weights_sha256": "ab12"})
    assert parse_final_line(summary.final_line())["weights_sha256"] == "ab12"
