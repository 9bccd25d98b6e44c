"""Connecting to a Dask cluster (``--cluster``): a local one started in-process, or a scheduler.

``local`` starts a :class:`distributed.LocalCluster` with one single-threaded worker process per
core this process may use, ``local:N`` with N, and ``tcp://HOST:PORT`` (or ``tls://``) connects to a running
scheduler (``dask scheduler`` / ``dask worker``, dask-jobqueue on SLURM). Dask is the optional
extra ``embedkit[dask]``; without it ``--cluster`` is a one-line error and nothing else changes.

Before any work the connection is checked: the scheduler answers within
:data:`CONNECT_TIMEOUT_S`, it has workers, the workers run the same versions of Python, Dask and
embedkit as the client, and (:func:`check_workers_see`) every worker can read every input file
and write the output directory, which must therefore be on storage every worker mounts. Each
failure is one :class:`~embedkit.errors.ClusterError` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ClusterError

#: Seconds to wait for a scheduler to answer and to have a worker.
CONNECT_TIMEOUT_S = 20
_LOCAL = re.compile(r"local(?::(\d+))?")


@dataclass(frozen=True)
class ClusterSpec:
    """A parsed ``--cluster`` value: ``workers`` local processes, or a scheduler ``address``."""

    workers: int | None = None
    address: str | None = None

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        """``local``, ``local:N`` (N >= 1) or ``SCHEME://HOST:PORT``.

        Raises
        ------
        ClusterError
            For anything else.
        """
        local = _LOCAL.fullmatch(text.strip())
        if local:
            workers = int(local.group(1)) if local.group(1) else len(os.sched_getaffinity(0))
            if workers < 1:
                raise ClusterError("--cluster local:N needs N >= 1 workers")
            return cls(workers=workers)
        if re.fullmatch(r"(tcp|tls|inproc|ws|wss)://[^\s/]+", text.strip()):
            return cls(address=text.strip())
        raise ClusterError(f"--cluster {text!r}: give local, local:N or a scheduler address tcp://HOST:PORT")


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError("--cluster needs Dask: pip install 'embedkit[dask]'") from None
    return distributed


#: Dask settings of the workers of a local cluster. Their statistical profiler (a look at every
#: thread's stack each 10 ms, holding the GIL) cost 7% of a corpus-pass task on this machine:
#: 1.50 s against 1.40 s per 50 MB shard, three runs each, 2 workers. A cluster of one's own
#: takes the same setting in its workers' Dask configuration.
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


@contextlib.contextmanager
def open_cluster(spec: ClusterSpec, log: Callable[[str], None] = lambda message: None) -> Iterator:
    """A checked :class:`distributed.Client` for ``spec``; on exit (Ctrl-C included) the client
    is closed and a local cluster shut down.

    Raises
    ------
    ClusterError
        Dask missing, scheduler unreachable, no workers, or versions that differ between the
        client and the workers.
    """
    distributed = _distributed()
    import dask

    with contextlib.ExitStack() as stack:
        if spec.address is None:
            try:
                with dask.config.set(LOCAL_WORKER_CONFIG):  # the workers take it as they start
                    cluster = distributed.LocalCluster(
                        n_workers=spec.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",  # a free port: never "8787 is already in use"
                        silence_logs=logging.ERROR,
                    )
            except (RuntimeError, OSError) as exc:
                raise ClusterError(f"cannot start a local Dask cluster of {spec.workers} worker(s): {exc}") from None
            stack.callback(cluster.close)
            address = cluster.scheduler_address
        else:
            address = spec.address
        try:
            client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        stack.callback(client.close)
        workers = _check_versions(client, address)
        log(f"cluster {address}: {workers} worker(s)")
        yield client


#: The packages whose versions must agree between the client and every worker.
_SAME_VERSIONS = ("python", "dask", "distributed", "cloudpickle", "msgpack")


def _check_versions(client, address: str) -> int:
    """The number of workers, after checking they run the client's Python, Dask and embedkit."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        message = f"the Dask scheduler at {address} has no workers (start them: dask worker {address})"
        raise ClusterError(message) from None
    versions = client.get_versions()
    ours = versions["client"]["packages"]
    for worker, info in versions["workers"].items():
        theirs = info["packages"]
        for package in _SAME_VERSIONS:
            if theirs.get(package) != ours.get(package):
                raise ClusterError(
                    f"worker {worker} runs {package} {theirs.get(package)}, this client {ours.get(package)}: "
                    "install the same versions everywhere"
                )
    from . import __version__

    for worker, version in client.run(_embedkit_version, on_error="return").items():
        if isinstance(version, BaseException):
            raise ClusterError(f"worker {worker} cannot import embedkit ({version}): install embedkit {__version__}")
        if version != __version__:
            raise ClusterError(f"worker {worker} runs embedkit {version}, this client {__version__}: install one")
    return len(versions["workers"])


def _embedkit_version() -> str:
    from . import __version__

    return __version__


@contextlib.contextmanager
def cluster_errors(what: str) -> Iterator[None]:
    """Turn what Dask raises when workers die or the connection drops into one ClusterError line
    (errors of embedkit's own pass through)."""
    distributed = _distributed()
    try:
        yield
    except distributed.KilledWorker as exc:
        raise ClusterError(f"{what}: a task killed its workers ({exc}); check their memory (--memory)") from None
    except (distributed.CancelledError, asyncio.CancelledError) as exc:
        raise ClusterError(f"{what}: the cluster cancelled the work ({exc or 'workers lost'})") from None
    except (distributed.comm.CommClosedError, TimeoutError) as exc:
        raise ClusterError(f"{what}: lost the connection to the cluster ({type(exc).__name__}: {exc})") from None


def n_workers(client) -> int:
    """Workers the scheduler knows now."""
    return len(client.nthreads())


def check_workers_see(client, files: Sequence[Path], directory: Path | None = None) -> None:
    """Check that every worker can read every file in ``files`` and write in ``directory``
    (if given).

    Raises
    ------
    ClusterError
        Naming the first worker and path that fail: inputs and outputs must be on storage all
        workers share.
    """
    failures = client.run(_visible, [str(f) for f in files], None if directory is None else str(directory))
    for worker, problem in failures.items():
        if problem:
            raise ClusterError(f"worker {worker} {problem}: corpus and cache must be on storage every worker sees")


def _visible(files: list[str], directory: str | None) -> str | None:
    """What this worker cannot do, or None: read one byte of each file, create a file in ``directory``."""
    for path in files:
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            return f"cannot read {path} ({exc.strerror})"
    if directory is None:
        return None
    probe = Path(directory) / f".probe-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"cannot write in {directory} ({exc.strerror})"
    return None
