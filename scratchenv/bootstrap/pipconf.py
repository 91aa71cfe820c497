"""The site's pip configuration, translated into uv's own options for one install.

Clusters and companies often configure pip only (pip.conf, PIP_*): an internal index, a
mirror, find-links, a CA bundle, constraints. uv reads none of that, so a package only the
site's index has would not be found. `pip config list` prints what pip would use, from every
config file and the environment; each setting uv has an equivalent for becomes that uv option
(or variable), the harmless ones are ignored, and any other means: install with pip.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field

from scratchenv import proc

# pip's precedence: the environment over the `install` section over `global`.
_SECTIONS = {"global": 0, "install": 1, ":env:": 2}

_LISTS = {
    # pip option -> uv option, once per value (pip splits these lists on whitespace)
    "extra-index-url": "--index",
    "find-links": "--find-links",
    "constraint": "--constraint",
    "trusted-host": "--allow-insecure-host",
}
_VALUES = {"index-url": "--default-index", "only-binary": "--only-binary",
           "no-binary": "--no-binary"}
_FLAGS = {"no-index": ["--no-index"], "pre": ["--prerelease", "allow"],
          "no-build-isolation": ["--no-build-isolation"], "require-hashes": ["--require-hashes"]}
_VARIABLES = {
    # pip option -> variables uv reads instead (set unless the environment already has them)
    "cert": ("SSL_CERT_FILE",),
    "client-cert": ("SSL_CLIENT_CERT",),
    "proxy": ("HTTPS_PROXY", "HTTP_PROXY"),
    "timeout": ("UV_HTTP_TIMEOUT",),
    "default-timeout": ("UV_HTTP_TIMEOUT",),
}
IGNORED = frozenset({
    # pip's own behaviour, not what gets installed from where
    "cache-dir", "no-cache-dir", "disable-pip-version-check", "progress-bar", "quiet",
    "verbose", "no-color", "retries", "log", "no-input", "root-user-action",
    "break-system-packages", "require-virtualenv", "config-file", "no-warn-script-location",
    "exists-action", "upgrade-strategy", "no-python-version-warning", "isolated",
    "keyring-provider", "use-feature", "use-deprecated", "resume-retries",
})
_TRUE = {"1", "y", "yes", "t", "true", "on"}


@dataclass
class Translation:
    """uv's equivalent of the site's pip configuration, or why there is none."""

    args: list[str] = field(default_factory=list)
    """Extra arguments for `uv pip install`."""
    env: dict[str, str] = field(default_factory=dict)
    """Variables uv reads where pip had a setting (the CA bundle, a proxy)."""
    used: list[str] = field(default_factory=list)
    """pip settings carried over, for the note."""
    blocker: str | None = None
    """Why uv cannot install as pip would (then pip installs)."""


def parse(listing: str) -> dict[str, str]:
    """`pip config list` output -> {option: value}, with pip's precedence applied."""
    ranked: dict[str, tuple[int, str]] = {}
    for line in listing.splitlines():
        name, sep, quoted = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not (sep and dot) or section not in _SECTIONS:
            continue  # another command's section (download., wheel.): not for install
        try:
            value = ast.literal_eval(quoted)  # pip prints repr(value)
        except (ValueError, SyntaxError):
            value = quoted.strip("'\"")
        key = key.replace("_", "-").lower()
        rank = _SECTIONS[section]
        if key not in ranked or ranked[key][0] <= rank:
            ranked[key] = (rank, str(value))
    return {key: value for key, (_, value) in ranked.items()}


def read(python: str, env: Mapping[str, str]) -> dict[str, str] | None:
    """What pip run by `python` would use, or None when pip cannot say."""
    result = proc.run(proc.python_argv(python, "-m", "pip", "config", "list"), env=env,
                      timeout=60, cwd=proc.SAFE_CWD)
    return parse(result.stdout) if result.ok else None


def translate(config: Mapping[str, str], env: Mapping[str, str]) -> Translation:
    """The uv options that install from where pip would (see the module docstring)."""
    out = Translation()
    for key, value in sorted(config.items()):
        if key in IGNORED:
            continue
        if key in _LISTS:
            values = value.split()
            for item in values:
                out.args += [_LISTS[key], item]
            if key == "extra-index-url" and values:
                # pip picks the best version across all indexes; uv stops at the first.
                out.args += ["--index-strategy", "unsafe-best-match"]
        elif key in _VALUES:
            out.args += [_VALUES[key], value]
        elif key in _FLAGS:
            if value.strip().lower() in _TRUE:
                out.args += _FLAGS[key]
            else:
                continue
        elif key in _VARIABLES:
            for name in _VARIABLES[key]:
                if name not in env or key in ("cert", "client-cert"):
                    out.env[name] = value  # the site's CA bundle is what its index needs
        else:
            out.blocker = f"uv has no equivalent of pip's `{key}` setting"
            return out
        out.used.append(key)
    return out
