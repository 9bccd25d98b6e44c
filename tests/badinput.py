"""Harness of the bad-input suites: a bad input ends in one clean line and changes nothing.

Use::

    with unchanged(tmp_path):
        result = cli_run("similar", "king", "--vectors", bad)
    assert_clean_error(result)

or :func:`subprocess_run` for cases that need a real process (signals, HOME, file modes).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from embedkit.cli import cli


@dataclass
class Outcome:
    """Exit code and the combined stdout + stderr of one embedkit run."""

    exit_code: int
    output: str


def cli_run(*args, env: dict | None = None, input: str | None = None) -> Outcome:
    """Run ``embedkit ARGS`` in-process with CliRunner (exceptions are not caught by the runner)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input, catch_exceptions=True)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        output += "Traceback (uncaught):\n" + "".join(traceback.format_exception(result.exception))
    return Outcome(result.exit_code, output)


def subprocess_run(*args, env: dict | None = None, cwd=None, timeout: float = 300, input: str | None = None) -> Outcome:
    """Run ``python -m embedkit ARGS`` in a fresh process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "embedkit", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        input=input,
    )
    return Outcome(proc.returncode, proc.stdout + proc.stderr)


def assert_clean_error(outcome: Outcome, exit_code: int = 1, contains: str | None = None) -> None:
    """Exit code as expected, exactly one ``Error:`` line, no traceback."""
    assert outcome.exit_code == exit_code, outcome.output
    assert "Traceback" not in outcome.output, outcome.output
    error_lines = [line for line in outcome.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, outcome.output
    if contains is not None:
        assert contains.lower() in error_lines[0].lower(), outcome.output


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``directory`` (hidden files too) with its size and mtime."""
    out = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            out[str(path.relative_to(directory))] = (st.st_size, st.st_mtime_ns)
    return out


@contextlib.contextmanager
def unchanged(directory: Path, allow: tuple[str, ...] = ()):
    """Assert that the block leaves ``directory`` exactly as it was (paths in ``allow`` excepted)."""
    before = snapshot(directory)
    yield
    after = snapshot(directory)
    added = sorted(set(after) - set(before) - set(allow))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p] and p not in allow)
    assert not (added or removed or changed), f"added {added}, removed {removed}, changed {changed}"
