"""Who owns a directory and who may write into it: the one ownership check that
verify's root and variable checks share."""

from __future__ import annotations

import os
import stat
from functools import partial

from scratchenv.checks.findings import Finding
from scratchenv.locations import user_named


def ownership_findings(path: str, prefix: str, subject: str) -> list[Finding]:
    """Owned by the user, writable, and neither group- nor world-writable."""
    found = partial(Finding, subject=subject)
    st = os.stat(path)
    findings = []
    if st.st_uid != os.getuid():
        findings.append(found(check=f"{prefix}.owner", status="fail",
                              message=f"{path} is owned by {user_named(st.st_uid)}, not by you",
                              fix=f"use a directory you own instead of {path}"))
    else:
        findings.append(found(check=f"{prefix}.owner", status="pass", message="owned by you"))
    if not os.access(path, os.W_OK | os.X_OK):
        findings.append(found(check=f"{prefix}.writable", status="fail",
                              message=f"{path} is not writable by you", fix=f"chmod u+rwx {path}"))
    if st.st_mode & stat.S_IWOTH:
        findings.append(found(check=f"{prefix}.permissions", status="fail",
                              message=f"{path} is world-writable: anyone can plant files there",
                              fix=f"chmod o-w {path}"))
    elif st.st_mode & stat.S_IWGRP:
        findings.append(found(check=f"{prefix}.permissions", status="warn",
                              message=f"{path} is group-writable: your group can plant files there",
                              fix=f"chmod g-w {path}"))
    else:
        findings.append(found(check=f"{prefix}.permissions", status="pass",
                              message="writable only by you"))
    return findings
