"""bash: the POSIX script, plus a refusal to run when executed instead of sourced."""

from __future__ import annotations

from scratchenv.shells.posix import PosixRenderer


class BashRenderer(PosixRenderer):
    name = "bash"

    def guard_lines(self) -> str:
        return "\n".join([
            'if [ "${BASH_SOURCE[0]:-}" = "$0" ]; then',
            "    echo 'scratchenv: source this file, do not run it' >&2",
            "    exit 33",
            "fi",
        ])

    def clock_lines(self) -> list[str]:
        # $EPOCHSECONDS (bash 5) reads no time zone file, as printf's %(%s)T (bash 4) does.
        return ["_scratchenv_now=${EPOCHSECONDS:-}",
                '[ -n "$_scratchenv_now" ] || '
                "printf -v _scratchenv_now '%(%s)T' -1 2>/dev/null || _scratchenv_now="]


RENDERER = BashRenderer
