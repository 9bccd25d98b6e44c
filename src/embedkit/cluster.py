"""Connecting to a Dask cluster (``--cluster``): a local one started in-process, or a scheduler.

``local`` starts a :class:`distributed.LocalCluster` with one single-threaded worker process per
core, ``local:N`` with N, and ``tcp://HOST:PORT`` (or ``tls://``) connects to a running
scheduler (``dask scheduler`` / ``dask worker``, dask-jobqueue on SLURM). Dask is the optional
extra ``embedkit[dask]``; without it ``--cluster`` is a one-line error and nothing else changes.

Before any work the connection is checked: the scheduler answers within
:data:`CONNECT_TIMEOUT_S`, it has workers, the workers run the same versions of Python, Dask and
embedkit as the client, and (:func:`check_workers_see`) every worker can read every input file
and write the output directory, which must therefore be on storage every worker mounts. Each
failure is one :class:`~embedkit.errors.ClusterError` line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ClusterError

#: Seconds to wait for a scheduler to answer, and for a local cluster's workers to start.
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
            workers = int(local.group(1)) if local.group(1) else (os.cpu_count() or 1)
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
    with contextlib.ExitStack() as stack:
        if spec.address is None:
            try:
                cluster = distributed.LocalCluster(
                    n_workers=spec.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
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


def _check_versions(client, address: str) -> int:
    """The number of workers, after checking they run the client's Python, Dask and embedkit."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        message = f"the Dask scheduler at {address} has no workers (start them: dask worker {address})"
        raise ClusterError(message) from None
    try:
        client.get_versions(check=True)
    except ValueError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ClusterError(f"Dask versions differ between this client and the cluster: {first}") from None
    from . import __version__

    theirs = client.run(_embedkit_version)
    wrong = {worker: version for worker, version in theirs.items() if version != __version__}
    if wrong:
        worker, version = next(iter(wrong.items()))
        raise ClusterError(f"worker {worker} runs embedkit {version}, this client {__version__}: install one version")
    return len(theirs)


def _embedkit_version() -> str:
    from . import __version__

    return __version__


def n_workers(client) -> int:
    """Workers the scheduler knows now."""
    return len(client.scheduler_info()["workers"])


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
