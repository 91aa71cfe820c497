"""verify's check of the working directory's .env.local: used (allowed), or why not."""

from __future__ import annotations

from functools import partial

from scratchenv.checks.findings import Context, Finding


def check_dotenv(ctx: Context) -> list[Finding]:
    """The working directory's .env.local: used (allowed), or why not."""
    from scratchenv.config import trust

    state = trust.dotenv(None, ctx.environ)
    found = partial(Finding, check="settings.dotenv", subject=state.path)
    if state.text is not None:
        return [found(status="pass", message="allowed, and used")]
    if state.notice is None:
        return []
    message = state.notice.removeprefix(f"{state.path} ")
    if state.unsafe:
        return [found(status="fail", message=message,
                      fix=f"run scratchenv from a directory of yours, or remove {state.path}")]
    return [found(status="warn", message=message,
                  fix=f"scratchenv allow {state.path}  (or: scratchenv deny {state.path})")]
