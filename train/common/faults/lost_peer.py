"""A lost peer, as the user should read it: one line, then exit status EXIT_LOST_PEER.

When a node of a job dies (a crash, `docker kill`, a preempted spot node) its peers see an error from
inside a collective: gloo's "Connection closed by peer [10.0.0.5]:41234" as a DistBackendError or a
plain RuntimeError, a store that went away (DistStoreError/DistNetworkError), Horovod's
HorovodInternalError, or a timeout when the peer went silent. Printed raw, that is a 40-line traceback
that says neither which node is gone nor what a restart will do. This module recognises those errors
by name and message (so it needs no framework import, and every framework can share it), names the
lost rank and host where the error's peer address allows, and builds the line. The traceback itself
goes to a per-rank debug log file (see write_debug_log), not the screen.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import socket
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Not 1 (any crash) nor 2 (usage): a launcher or a test can tell "a peer was lost" from the status.
EXIT_LOST_PEER = 3

# Exception classes that only collectives and their stores raise (torch.distributed, Horovod).
_PEER_ERROR_CLASSES = frozenset({"DistBackendError", "DistNetworkError", "DistStoreError",
                                 "HorovodInternalError"})
# What gloo, c10d's store and Horovod say in a RuntimeError when the other end is gone or silent.
_PEER_ERROR_MESSAGE = re.compile(
    r"Connection closed by peer|Connection reset by peer|Broken pipe|Connection refused|"
    r"Socket Timeout|Timed out|timed out|Horovod has been shut down|"
    r"ProcessGroupGloo|ProcessGroupNCCL|NCCL error|Gloo connectFullMesh failed", re.IGNORECASE)
# gloo names the peer as "[10.0.0.5]:41234" (IPv4) or "[fe80::1]:41234" (IPv6).
_PEER_ADDRESS = re.compile(r"\[([0-9A-Fa-f.:]+)\]:\d+")
_TIMEOUT = re.compile(r"Socket Timeout|Timed out|timed out|heartbeat timeout|Deadline ?Exceeded", re.IGNORECASE)
# TensorFlow raises an OpError subclass from the collective or RPC that failed; these classes and
# messages are a peer's (seen with TF 2.18 MultiWorkerMirrored: SIGKILL of a worker gives
# UnavailableError "Collective ops is aborted by: failed to connect to all addresses ... from remote
# target /job:worker/replica:0/task:1"; SIGSTOP gives "Task /job:worker/replica:0/task:1 heartbeat
# timeout" from the coordination service, after about 10 s).
_TF_PEER_ERROR_CLASSES = frozenset({"UnavailableError", "DeadlineExceededError"})
_TF_PEER_ERROR_MESSAGE = re.compile(
    r"Collective ops is aborted|failed to connect to all addresses|heartbeat timeout|Socket closed|"
    r"Connection reset by peer|has been set to ERROR in coordination service", re.IGNORECASE)
# TensorFlow names a task as /job:worker/replica:0/task:1 (or /job:worker/task:1).
_TF_TASK = re.compile(r"/job:(\w+)(?:/replica:\d+)?/task:(\d+)")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from or during, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_lost_peer(exc: BaseException) -> bool:
    """Whether `exc` (or one it came from) is a collective that failed because of a peer."""
    for link in _chain(exc):
        names = _class_names(link)
        if names & (_PEER_ERROR_CLASSES | _TF_PEER_ERROR_CLASSES):
            return True
        if isinstance(link, RuntimeError) and _PEER_ERROR_MESSAGE.search(str(link)):
            return True
        if "OpError" in names and _TF_PEER_ERROR_MESSAGE.search(str(link)):
            return True
    return False


def peer_tasks(exc: BaseException) -> list[tuple[str, int]]:
    """The TensorFlow tasks (job, index) the error's messages name, first seen first."""
    found: list[tuple[str, int]] = []
    for link in _chain(exc):
        for job, index in _TF_TASK.findall(str(link)):
            if (job, int(index)) not in found:
                found.append((job, int(index)))
    return found


def peer_addresses(exc: BaseException) -> list[str]:
    """The peer addresses the error's messages name, first seen first."""
    found: list[str] = []
    for link in _chain(exc):
        for address in _PEER_ADDRESS.findall(str(link)):
            if address not in found:
                found.append(address)
    return found


def timeout_kind(exc: BaseException) -> str | None:
    """Which timeout ended the wait for a silent peer, in the user's words; None if none did.

    TensorFlow's coordination service notices a silent task by its heartbeat (about 10 s), long before
    any collective timeout: the line must not send the user to --collective-timeout for that.
    """
    for link in _chain(exc):
        found = _TIMEOUT.search(str(link))
        if found:
            if "heartbeat" in found.group(0).lower():
                return "TensorFlow's heartbeat timeout"
            return "collective timeout"
    return None


@dataclass(frozen=True)
class PeerIdentity:
    """What one rank tells the others at start, so that an address in an error can be named."""

    rank: int
    host: str
    addresses: tuple[str, ...]


def local_identity(rank: int) -> PeerIdentity:
    """This process's rank, host name and the addresses its host name resolves to (as gloo's do)."""
    host = socket.gethostname()
    try:
        addresses = tuple(sorted(set(socket.gethostbyname_ex(host)[2])))
    except OSError:
        addresses = ()
    return PeerIdentity(rank, host, addresses)


@dataclass(frozen=True)
class PeerDirectory:
    peers: tuple[PeerIdentity, ...] = ()

    @classmethod
    def of(cls, identities: Iterable[PeerIdentity]) -> PeerDirectory:
        return cls(tuple(identities))

    def describe(self, addresses: Sequence[str], own_rank: int) -> str:
        """ "rank 1 (node-1, 172.18.0.3)" for the first address that is a peer's, else what is known."""
        for address in addresses:
            for peer in self.peers:
                if address in peer.addresses and peer.rank != own_rank:
                    return f"rank {peer.rank} ({peer.host}, {address})"
        if addresses:
            return f"the peer at {addresses[0]}"
        return "a peer (the error names none)"

    def host_of(self, rank: int) -> str | None:
        return next((peer.host for peer in self.peers if peer.rank == rank), None)


@dataclass
class RunProgress:
    """Where a run is, kept up to date by the trainer, for the line a failure prints.

    phase: what the run does now ("step 43"); setting it stamps phase_started (see wait_watch).
    resume_step: the newest checkpoint that this rank knows rank 0 finished writing, i.e. where a
    restart continues; 0 means there is none (a restart starts at step 1), None that it is not known yet.
    pending_step: a newer checkpoint rank 0 was due to write that this rank cannot confirm yet (only
    ranks other than 0 have one: they learn that rank 0 finished writing when the next step's
    collectives complete, and rank 0 may have died in between).
    working_alone: the phase is this rank's own work (see alone()), in which it waits for no peer.
    """

    phase: str = "start-up"
    resume_step: int | None = None
    pending_step: int | None = None
    peers: PeerDirectory = field(default_factory=PeerDirectory)
    phase_started: float = field(init=False)   # time.time() when `phase` was last changed
    working_alone: bool = field(init=False, default=False)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "phase":
            object.__setattr__(self, "phase_started", time.time())
            object.__setattr__(self, "working_alone", False)
        object.__setattr__(self, name, value)

    @contextlib.contextmanager
    def alone(self, what: str) -> Iterator[None]:
        """A phase of this rank's own work (rank 0 opening its MLflow run): however long it takes, the
        wait watch neither says this rank waits nor ends the run for it. The phase before comes back
        after, with its clock started again."""
        before = self.phase
        self.phase = what
        self.working_alone = True
        try:
            yield
        finally:
            self.phase = before

    def resume_text(self) -> str:
        if self.pending_step is not None:
            return (f"a restart resumes from the checkpoint of step {self.pending_step} (continuing at step "
                    f"{self.pending_step + 1}) if rank 0 finished writing it, else {self._confirmed_text()}")
        return f"a restart {self._confirmed_text()}"

    def _confirmed_text(self) -> str:
        if self.resume_step is None:
            return "resumes from the newest checkpoint in rank 0's outputs"
        if self.resume_step == 0:
            return "starts again at step 1 (no checkpoint yet)"
        return (f"resumes from the checkpoint of step {self.resume_step} "
                f"(continuing at step {self.resume_step + 1})")


class LostPeerError(Exception):
    """Raised by an entrypoint in place of a collective's error; str() is the line for the user."""

    def __init__(self, rank: int, lost: str, progress: RunProgress, timeout: str | None,
                 debug_log: Path | None) -> None:
        """`timeout`: which timeout gave up on a silent peer (timeout_kind); None when it is gone."""
        self.rank = rank
        what = f"stopped answering ({timeout})" if timeout else "is gone"
        details = f"; traceback in {debug_log}" if debug_log else ""
        super().__init__(f"rank {rank}: lost {lost}, which {what}, during {progress.phase}; "
                         f"{progress.resume_text()}{details}")


def write_debug_log(directory: Path, rank: int, exc: BaseException) -> Path | None:
    """Append `exc`'s traceback to <directory>/debug/rank-<rank>.log; None if that cannot be written."""
    path = directory / "debug" / f"rank-{rank}.log"
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(f"---- {stamp} rank {rank}\n")
            out.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path
