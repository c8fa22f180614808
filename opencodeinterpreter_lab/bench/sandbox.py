"""Scoring untrusted solutions: a separate Python process with time, CPU and memory limits.

The process (``sandbox_runner.py``) runs isolated (``python -I``) in an empty temporary directory with a minimal
environment, stdin at end of file, output captured, and its own resource limits; it is killed with its process group
when the wall-clock limit passes. This bounds runaway loops, memory hogs, ``input()`` and crashes; it is not a
security boundary against hostile code (use a container for that).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .sandbox_runner import MARK

RUNNER = Path(__file__).with_name("sandbox_runner.py")

VerdictStatus = Literal["passed", "failed", "timeout", "memory", "crashed"]


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    detail: str = ""
    """For a failure: what failed (the test's input, expected and actual values where it can tell)."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


async def score(program: str, test: str, entry_point: str, timeout: float = 10, memory_mb: int = 1024) -> Verdict:
    """Run ``test``'s ``check(candidate)`` against ``entry_point`` as defined by ``program``."""
    job = {
        "program": program,
        "test": test,
        "entry_point": entry_point,
        "memory_mb": memory_mb,
        "cpu_s": math.ceil(timeout) + 1,
    }
    with tempfile.TemporaryDirectory(prefix="oci-sandbox-") as workdir:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            str(RUNNER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=workdir,
            env={"PATH": os.defpath, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
            start_new_session=True,
        )
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), timeout)
        except (TimeoutError, asyncio.TimeoutError):  # one class from 3.11 on, two on 3.10
            return Verdict("timeout", f"The tests ran longer than {timeout:g} s.")
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
            return Verdict(result["status"], result["detail"])
    if process.returncode == -signal.SIGXCPU:
        return Verdict("timeout", f"The tests used more than {job['cpu_s']} s of CPU.")
    return Verdict("crashed", f"The test process ended without a result (exit code {process.returncode}).")
