"""Lmod: a Lua modulefile (`scratchenv env --format lmod`), values computed at load time."""

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


class LmodRenderer(ModuleRenderer):
    name = "lmod"

    def quote(self, value: str) -> str:
        """A Lua string literal: `\\`, `"` and control characters escaped (decimal `\\ddd`,
        always three digits so a following digit is not swallowed); other bytes as they are."""
        out = []
        for char in value:
            if char in '\\"':
                out.append("\\" + char)
            elif char == "\n":
                out.append("\\n")
            elif ord(char) < 32 or ord(char) == 127:
                out.append(f"\\{ord(char):03d}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'

    def expr(self, value: Value) -> str:
        if not value.anchor:
            return self.quote(value.text)
        return f"{value.anchor} .. {self.quote(value.text)}" if value.text else value.anchor

    def header(self, plan: Plan) -> list[str]:
        return [
            f"-- {generated_by(self.name)}",
            "-- Baked in: the entries and their places under the root or home, the root",
            "-- pattern. Computed at load: the root, $HOME, the job's node-local directory.",
            "-- Lmod loads one module of a name at a time, so there is no conflict line.",
            'whatis("Name: scratchenv")',
            f"whatis({self.quote('Version: ' + __version__)})",
            f"whatis({self.quote('Description: ' + DESCRIPTION)})",
            f"help({self.quote(HELP)})",
        ]

    def prelude(self, plan: Plan) -> list[str]:
        lines = [
            "local function getenv(name)",
            "    local value = os.getenv(name)",
            '    if value == "" then return nil end',
            "    return value",
            "end",
            'local home = getenv("HOME")',
            'if home == nil then LmodError("scratchenv: HOME is not set") end',
            'local user = getenv("USER") or getenv("LOGNAME")',
            'local root = getenv("SCRATCHENV_ROOT")',
        ]
        scratch = 'if root == nil then root = getenv("SCRATCH") end'
        pattern = []
        if plan.root_pattern:
            pieces = [self.quote(p) if p is not None else "user"
                      for p in pattern_pieces(plan.root_pattern)]
            pattern = [f"if root == nil and user ~= nil then root = {' .. '.join(pieces)} end"]
        lines += [*pattern, scratch] if plan.pattern_first else [scratch, *pattern]
        lines += [
            "if root == nil then",
            '    LmodError("scratchenv: no scratch root: set SCRATCH or SCRATCHENV_ROOT")',
            "end",
            'root = (root:gsub("(.)/+$", "%1"))',
            *self.node_lines(plan),
            "local function kept(name, ours)",
            "    local value = getenv(name)",
            '    if value == nil or value == home or value:sub(1, #home + 1) == home .. "/" then',
            "        return ours",
            "    end",
            "    return value",
            "end",
        ]
        if plan.warn_missing_root:
            before, _, after = missing_root_message(plan).partition(plan.root)
            lines.append(
                'if mode() == "load" and not isDir(root) then '
                f"LmodMessage({self.quote(before)} .. root .. {self.quote(after)}) end"
            )
        return lines + self.persistent_lines(plan)

    def node_lines(self, plan: Plan) -> list[str]:
        """`node`: the loading user's node-local directory in a job, made 0700 at load,
        nil when a piece is missing or it is not the user's alone (lfs and posix ship
        with Lmod)."""
        pieces = []
        for kind, text in plan.node_pieces:
            if kind == "tmp":
                pieces.append('getenv("SLURM_TMPDIR") or getenv("TMPDIR") or false')
            elif kind == "env":
                pieces.append(f"getenv({self.quote(text)}) or false")
            else:
                pieces.append("user or false" if kind == "user" else self.quote(text))
        before, after = NODE_REFUSED
        return [
            "local node = nil",
            'if getenv("SLURM_JOB_ID") then',
            "    node = \"\"",
            f"    for _, piece in ipairs({{{', '.join(pieces)}}}) do",
            "        if not piece then node = nil break end",
            "        node = node .. piece",
            "    end",
            "end",
            "if node then",
            '    local posix = require("posix")',
            '    if mode() == "load" and not lfs.symlinkattributes(node) then',
            "        if posix.mkdir(node) then posix.chmod(node, \"rwx------\") end",
            "    end",
            "    local info = lfs.symlinkattributes(node)",
            '    if not info or info.mode ~= "directory" or info.uid ~= posix.geteuid()',
            '            or not info.permissions:match("^....%-..%-") then',
            '        if mode() == "load" then',
            f"            LmodMessage({self.quote(before)} .. node .. {self.quote(after)})",
            "        end",
            "        node = nil",
            "    end",
            "end",
        ]

    def persistent_lines(self, plan: Plan) -> list[str]:
        """`persistent`: $SCRATCHENV_PERSISTENT_ROOT, else the pattern with the user name,
        else the persistent root as it was generated."""
        if not plan.persistent_root:
            return []
        if plan.persistent_pattern:
            fallback = " .. ".join(self.quote(p) if p is not None else "user"
                                   for p in pattern_pieces(plan.persistent_pattern))
            lines = ['local persistent = getenv("SCRATCHENV_PERSISTENT_ROOT")',
                     f"if persistent == nil and user ~= nil then persistent = {fallback} end",
                     "if persistent == nil then",
                     '    LmodError("scratchenv: no persistent root: set '
                     'SCRATCHENV_PERSISTENT_ROOT")',
                     "end"]
        else:
            lines = ['local persistent = getenv("SCRATCHENV_PERSISTENT_ROOT") or '
                     f"{self.quote(plan.persistent_root)}"]
        lines.append('persistent = (persistent:gsub("(.)/+$", "%1"))')
        if plan.warn_missing_root:
            before, _, after = missing_root_message(plan, plan.persistent_root).partition(
                plan.persistent_root)
            lines.append(
                'if mode() == "load" and not isDir(persistent) then '
                f"LmodMessage({self.quote(before)} .. persistent .. {self.quote(after)}) end"
            )
        return lines

    def pushenv(self, name: str, value: Value, keep_site_value: bool) -> str:
        expr = self.expr(value)
        if keep_site_value:
            expr = f"kept({self.quote(name)}, {expr})"
        return f"pushenv({self.quote(name)}, {expr})"

    def prepend(self, name: str, value: Value) -> str:
        return f"prepend_path({self.quote(name)}, {self.expr(value)})"

    def if_node(self, then: str, otherwise: str) -> list[str]:
        return ["if node then", f"    {then}", "else", f"    {otherwise}", "end"]


RENDERER = LmodRenderer
