"""train.common.reporting.metrics keeps the process's logging as it was while MLflow creates its store
(MLflow 2 runs alembic, whose logging file configuration resets the root logger)."""

import logging
import logging.config

from train.common.reporting.metrics import _logging_kept


def test_a_logging_reconfiguration_inside_is_undone():
    root = logging.getLogger()
    ours = logging.getLogger("train.test.metrics")
    handler = logging.StreamHandler()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        with _logging_kept():
            # What alembic's fileConfig does: new root handlers, root at WARNING, old loggers disabled.
            logging.config.dictConfig({"version": 1, "root": {"level": "WARNING", "handlers": []},
                                       "disable_existing_loggers": True})
            assert ours.disabled and root.level == logging.WARNING
        assert root.handlers == [handler] and root.level == logging.INFO and not ours.disabled
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def test_info_lines_inside_are_not_printed_and_warnings_are(caplog):
    # alembic's fileConfig gives its logger a console handler at INFO: its migration lines must not show.
    alembic = logging.getLogger("alembic.runtime.migration")
    with caplog.at_level(logging.INFO):
        with _logging_kept():
            alembic.info("Running upgrade  -> 451aebb31d03, add metric step")
            alembic.warning("a warning still shows")
        logging.getLogger("train.test.metrics").info("after: INFO shows again")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["a warning still shows", "after: INFO shows again"]
    assert logging.root.manager.disable == logging.NOTSET
