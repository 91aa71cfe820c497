"""What the validated path read besides the inputs key, so that a cached answer
(cache.py) is reused only while all of it is unchanged: the environment variables a
renderer read, and the places the settings were decided from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from scratchenv.config import centres, detect
from scratchenv.config.settings import Settings, centre_defaults
from scratchenv.config.shapes import is_shape
from scratchenv.errors import ScratchenvError
from scratchenv.locations import current_user
from scratchenv.login.cache import ALL
from scratchenv.plan import Plan


class RecordingEnviron(Mapping[str, str]):
    """A copy of the environment that notes which variables were read (ALL when it was
    read whole): what a renderer's answer depends on."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._values = dict(environ)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        self.read.add(str(name))
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        self.read.add(ALL)
        return iter(self._values)

    def __len__(self) -> int:
        self.read.add(ALL)
        return len(self._values)


def file_system_inputs(settings: Settings, plan: Plan, environ: Mapping[str, str]
                       ) -> tuple[list[str], list[str]] | None:
    """(paths, shapes): the places the settings were decided from, for path_facts, and
    the centres' path shapes (with this user's name), for shape_facts; None when they
    cannot all be told (then nothing is cached)."""
    user = current_user()
    paths = [*plan.roots, plan.home]
    try:
        # Detection tries these in order: a change in any of them may change the root.
        paths += [place for place, _ in detect.candidates(environ, user, settings.cluster,
                                                          settings.scratch_subdir)]
        persistent = centre_defaults().get("persistent_root")
    except (ScratchenvError, ValueError):
        return None
    if isinstance(persistent, str):
        paths.append(persistent)
    node_dir = plan.node_dir(environ)
    if node_dir:
        paths.append(node_dir)
    patterns = ["/scratch/*/users/{user}"]
    for centre in centres.table().values():
        patterns += [*centre.recognise.paths, *centre.scratch.paths, *centre.persistent.paths]
    shapes = [centres.under_search_root(p.replace("{user}", user)) for p in patterns]
    if not all(is_shape(shape) for shape in shapes):
        return None
    return paths, shapes


