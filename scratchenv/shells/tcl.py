"""Environment Modules: a Tcl modulefile (`scratchenv env --format tcl`), values computed at
load time. Lmod reads it too."""

from __future__ import annotations

from scratchenv import __version__
from scratchenv.plan import Plan
from scratchenv.shells.base import NODE_REFUSED, missing_root_message
from scratchenv.shells.modulefile import (
    DESCRIPTION,
    HELP,
    ModuleRenderer,
    Value,
    generated_by,
    pattern_pieces,
)

PUSHLIST = [
    # pushenv keeps its stack in a `:`-separated variable, which cuts a value holding `:`
    # (Environment Modules 5.2): a path list saves the value it replaces itself, and
    # unload sets that back (unsetenv with a value sets it when unloading).
    "proc scratchenv_pushlist {name value} {",
    "    set saved __SCRATCHENV_PREV_$name",
    "    if {[module-info mode load]} {",
    "        if {[info exists ::env($name)]} { setenv $saved $::env($name) }",
    "        setenv $name $value",
    "    } elseif {[info exists ::env($saved)]} {",
    "        set previous $::env($saved)",
    "        setenv $saved $previous",
    "        setenv $name $value",
    "        unsetenv $name $previous",
    "    } else {",
    "        setenv $name $value",
    "    }",
    "}",
]


class TclRenderer(ModuleRenderer):
    name = "tcl"

    def quote(self, value: str) -> str:
        """A double-quoted Tcl word: `\\ " $ [ ]` escaped, so nothing is substituted, and
        control characters as `\\uXXXX` (exactly four digits)."""
        out = []
        for char in value:
            if char in '\\"$[]':
                out.append("\\" + char)
            elif char == "\n":
                out.append("\\n")
            elif ord(char) < 32 or ord(char) == 127:
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'

    def expr(self, value: Value) -> str:
        if not value.anchor:
            return self.quote(value.text)
        if not value.text:
            return f"${value.anchor}"
        return f"[string cat ${value.anchor} {self.quote(value.text)}]"

    def header(self, plan: Plan) -> list[str]:
        return [
            "#%Module1.0",
            f"## {generated_by(self.name)}",
            "## Baked in: the entries and their places under the root or home, the root",
            "## pattern. Computed at load: the root, $HOME, the job's node-local directory.",
            f"module-whatis {self.quote('scratchenv ' + __version__ + ': ' + DESCRIPTION)}",
            f"proc ModulesHelp {{}} {{ puts stderr {self.quote(HELP)} }}",
            "conflict scratchenv",
        ]

    def prelude(self, plan: Plan) -> list[str]:
        lines = [
            "proc scratchenv_getenv {name} {",
            '    if {[info exists ::env($name)] && $::env($name) ne ""} { return $::env($name) }',
            '    return ""',
            "}",
            "set home [scratchenv_getenv HOME]",
            'if {$home eq ""} { error "scratchenv: HOME is not set" }',
            "set user [scratchenv_getenv USER]",
            'if {$user eq ""} { set user [scratchenv_getenv LOGNAME] }',
            "set root [scratchenv_getenv SCRATCHENV_ROOT]",
        ]
        scratch = 'if {$root eq ""} { set root [scratchenv_getenv SCRATCH] }'
        pattern = []
        if plan.root_pattern:
            pieces = [self.quote(p) if p is not None else "$user"
                      for p in pattern_pieces(plan.root_pattern)]
            pattern = [f'if {{$root eq "" && $user ne ""}} '
                       f"{{ set root [string cat {' '.join(pieces)}] }}"]
        lines += [*pattern, scratch] if plan.pattern_first else [scratch, *pattern]
        lines += [
            'if {$root eq ""} { error "scratchenv: no scratch root: set SCRATCH or '
            'SCRATCHENV_ROOT" }',
            'if {[string length $root] > 1} { set root [string trimright $root "/"] }',
            *self.node_lines(plan),
            "proc scratchenv_kept {name ours} {",
            "    set value [scratchenv_getenv $name]",
            "    set home [scratchenv_getenv HOME]",
            '    if {$value eq "" || $value eq $home || [string first "$home/" $value] == 0} {',
            "        return $ours",
            "    }",
            "    return $value",
            "}",
            *PUSHLIST,
        ]
        if plan.warn_missing_root:
            before, _, after = missing_root_message(plan).partition(plan.root)
            lines.append(
                "if {[module-info mode load] && ![file isdirectory $root]} "
                f"{{ puts stderr [string cat {self.quote(before)} $root {self.quote(after)}] }}"
            )
        return lines + self.persistent_lines(plan)

    def node_lines(self, plan: Plan) -> list[str]:
        """`node`: the loading user's node-local directory in a job, made 0700 at load,
        "" when a piece is empty or it is not the user's alone."""
        pieces = []
        for kind, text in plan.node_pieces:
            if kind == "tmp":
                pieces.append("$tmp")
            elif kind == "env":
                pieces.append(f"[scratchenv_getenv {self.quote(text)}]")
            else:
                pieces.append("$user" if kind == "user" else self.quote(text))
        before, after = NODE_REFUSED
        return [
            'set node ""',
            'if {[scratchenv_getenv SLURM_JOB_ID] ne ""} {',
            "    set tmp [scratchenv_getenv SLURM_TMPDIR]",
            '    if {$tmp eq ""} { set tmp [scratchenv_getenv TMPDIR] }',
            f"    set parts [list {' '.join(pieces)}]",
            '    if {[lsearch -exact $parts ""] < 0} { set node [join $parts ""] }',
            "}",
            'if {$node ne ""} {',
            "    if {[module-info mode load] && [catch {file lstat $node st}]} {",
            "        catch { file mkdir $node; file attributes $node -permissions 0700 }",
            "    }",
            "    if {[catch {file lstat $node st}] || $st(type) ne \"directory\"",
            "            || ![file owned $node] || ($st(mode) & 18)} {",
            "        if {[module-info mode load]} {",
            f"            puts stderr [string cat {self.quote(before)} $node {self.quote(after)}]",
            "        }",
            '        set node ""',
            "    }",
            "}",
        ]

    def persistent_lines(self, plan: Plan) -> list[str]:
        """`persistent`: $SCRATCHENV_PERSISTENT_ROOT, else the pattern with the user name,
        else the persistent root as it was generated."""
        if not plan.persistent_root:
            return []
        lines = ["set persistent [scratchenv_getenv SCRATCHENV_PERSISTENT_ROOT]"]
        if plan.persistent_pattern:
            pieces = " ".join(self.quote(p) if p is not None else "$user"
                              for p in pattern_pieces(plan.persistent_pattern))
            lines += [f'if {{$persistent eq "" && $user ne ""}} '
                      f"{{ set persistent [string cat {pieces}] }}",
                      'if {$persistent eq ""} { error "scratchenv: no persistent root: set '
                      'SCRATCHENV_PERSISTENT_ROOT" }']
        else:
            lines.append(f'if {{$persistent eq ""}} '
                         f"{{ set persistent {self.quote(plan.persistent_root)} }}")
        lines.append('if {[string length $persistent] > 1} '
                     '{ set persistent [string trimright $persistent "/"] }')
        if plan.warn_missing_root:
            before, _, after = missing_root_message(plan, plan.persistent_root).partition(
                plan.persistent_root)
            lines.append(
                "if {[module-info mode load] && ![file isdirectory $persistent]} "
                f"{{ puts stderr [string cat {self.quote(before)} $persistent "
                f"{self.quote(after)}] }}"
            )
        return lines

    def pushenv(self, name: str, value: Value, keep_site_value: bool) -> str:
        expr = self.expr(value)
        if keep_site_value:
            expr = f"[scratchenv_kept {name} {expr}]"
        return f"pushenv {name} {expr}"

    def push_list(self, name: str, value: Value) -> str:
        return f"scratchenv_pushlist {name} {self.expr(value)}"

    def prepend(self, name: str, value: Value) -> str:
        return f"prepend-path {name} {self.expr(value)}"

    def if_node(self, then: str, otherwise: str) -> list[str]:
        return ['if {$node ne ""} {', f"    {then}", "} else {", f"    {otherwise}", "}"]


RENDERER = TclRenderer
