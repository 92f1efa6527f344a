"""A run's outcome follows its audit, on every runner (CLI, Beam, Prefect flows).

The export is kept when the audit fails (the user inspects it), but the run is not a success:
the CLI and `meritgen beam run` exit 1, a Prefect flow ends Failed. A Prefect run also publishes the
audit table as an artifact, so the verdict is visible in the UI without opening the run folder.
"""

from __future__ import annotations

import errno
import functools
import os
import re
from collections.abc import Callable
from pathlib import Path

from pipelines.errors import AuditFailed, MeritgenError


def failed_checks(audit: dict) -> list[str]:
    return [c["name"] for c in audit.get("checks", []) if c.get("status") == "fail"]


def audit_failure(audit: dict | None, fail_build: bool = True) -> AuditFailed | None:
    """The error a runner raises for this audit result, or None when the run may count as a success."""
    if audit is None or audit.get("passed") or not fail_build:
        return None
    return AuditFailed(f"the audit of {audit.get('run_dir', 'the export')} failed: {', '.join(failed_checks(audit))} "
                       f"(details: {audit.get('run_dir', '<run>')}/audit.json; the export is kept for inspection)")


def audit_table_rows(audit: dict) -> list[dict]:
    """One row per check, as `meritgen audit` prints them."""
    return [{"check": c["name"], "status": c["status"], "checked": c["checked"], "failed": c["failed"]}
            for c in audit.get("checks", [])]


def publish_audit_artifact(audit: dict | None) -> None:
    """The audit table as a Prefect table artifact of the current flow run (key `meritgen-audit`)."""
    if audit is None:
        return
    from prefect.artifacts import create_table_artifact

    verdict = "PASSED" if audit.get("passed") else "FAILED"
    create_table_artifact(audit_table_rows(audit), key="meritgen-audit",
                          description=f"meritgen audit: {verdict} ({audit.get('run_dir', '')})")


# OS errors a user fixes at the path (space, permissions, a read-only mount): one line naming it, no traceback.
PATH_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOENT,
                         errno.EISDIR, errno.ENOTDIR, errno.EEXIST})
_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)


def path_error_message(exc: OSError, where: str | Path | None = None) -> str | None:
    """`<reason>: <path>` for an OSError the user fixes at a path (ENOSPC, EROFS, EACCES, ...), else None.

    Arrow's writers raise OSError without errno, the code only in the text: it is read from there."""
    code = exc.errno
    if code is None:
        match = _ERRNO_IN_TEXT.search(str(exc))
        code = int(match.group(1)) if match else None
    if code not in PATH_ERRNOS:
        return None
    path = exc.filename or where or "(path unknown)"
    return f"{os.strerror(code)}: {path}"


def user_message(exc: BaseException) -> str | None:
    """The one-line message a runner reports instead of a traceback, or None for a bug (traceback kept)."""
    if isinstance(exc, MeritgenError):
        return " ".join(str(exc).split())
    if isinstance(exc, OSError):
        return path_error_message(exc)
    return None


def reported(fn: Callable) -> Callable:
    """For Prefect flows and tasks: a user error (bad input, failed audit, full disk) ends the run Failed with
    a one-line error in its log, not a traceback; calling the flow directly still raises it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (MeritgenError, OSError) as exc:
            message = user_message(exc)
            if message is None:
                raise
            from prefect import get_run_logger
            from prefect.states import Failed

            get_run_logger().error("error: %s", message)
            return Failed(message=message, data=exc)

    return wrapper
