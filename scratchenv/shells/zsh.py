"""zsh: the POSIX script, plus a refusal to run when executed instead of sourced."""

from __future__ import annotations

from scratchenv.shells.posix import PosixRenderer, double_bracket


class ZshRenderer(PosixRenderer):
    name = "zsh"

    def guard_lines(self) -> str:
        # Executed as a script the context is exactly "toplevel"; sourced, "toplevel:file".
        return "\n".join([
            'if [ "${ZSH_EVAL_CONTEXT:-}" = toplevel ]; then',
            "    echo 'scratchenv: source this file, do not run it' >&2",
            "    exit 33",
            "fi",
        ])

    def any_of(self, conditions: list[str]) -> str:
        return double_bracket(conditions)

    def clock_lines(self) -> list[str]:
        # zsh/datetime is a module of zsh itself: loading it starts no process.
        return ["zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null && "
                "_scratchenv_now=$EPOCHSECONDS"]


    def sourceable(self, variable: str) -> str:
        # Glob qualifiers, builtins alone: a regular file (symlinks followed) owned by the
        # user that neither group nor others can write; whatever options the user set.
        return ("() { emulate -L zsh; local -a _m; _m=( ${~${(b)1}}(N-.Uf:go-w:) ); "
                f'(( $#_m )) }} "{variable}"')


RENDERER = ZshRenderer
