"""The wait watch's board (train.common.faults.wait_watch) on the job's rendezvous store: a TCPStore client
of its own, with a short timeout, so that a store host that went silent costs the watch seconds, not
the collective timeout, and never touches the store connection the process group uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import torch.distributed as dist

STORE_TIMEOUT = timedelta(seconds=5)
_KEY = "trainyard/wait-watch/{rank}"


class StoreBoard:
    def __init__(self, host: str, port: int) -> None:
        self._store = dist.TCPStore(host, port, is_master=False, timeout=STORE_TIMEOUT, wait_for_workers=False)

    def post(self, rank: int, text: str) -> None:
        self._store.set(_KEY.format(rank=rank), text)

    def read(self, ranks: Sequence[int]) -> dict[int, str | None]:
        posts: dict[int, str | None] = {}
        for rank in ranks:
            key = _KEY.format(rank=rank)
            posts[rank] = self._store.get(key).decode() if self._store.check([key]) else None
        return posts

