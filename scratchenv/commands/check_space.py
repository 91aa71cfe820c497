from __future__ import annotations

import argparse

from scratchenv.commands.verify import add_need_flag

HELP = ("exit 1 unless PATH (default: the scratch root) has --need bytes free, e.g. 30G: "
        "the smaller of the file system's free space and what your quota leaves")


def configure(parser: argparse.ArgumentParser) -> None:
    add_need_flag(parser)
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="where the data will go (default: the scratch root)")


def run(args: argparse.Namespace) -> int:
    import os

    from scratchenv import output
    from scratchenv.disk.room import room
    from scratchenv.errors import ScratchenvError
    from scratchenv.locations import current_user
    from scratchenv.realpaths import nearest_existing
    from scratchenv.units import format_size

    need, path, source = args.need, args.path, None
    if need is None or path is None:  # both given: no settings read (a job script's fast path)
        from scratchenv.commands import settings_from

        settings = settings_from(args)
        need = settings.thresholds.min_free if need is None else need
        path = str(settings.scratch_root) if path is None else path
        source = settings.quota_source
    try:
        measured = nearest_existing(path)
        space = room(measured, current_user(), source=source)
    except OSError as error:
        raise ScratchenvError(f"cannot tell free space of {path}: {error.strerror}") from None
    # A path that does not exist yet is measured on its nearest existing parent: say so.
    where = path if os.path.exists(path) else (
        f"{measured} (the nearest existing parent of {path}, which does not exist yet)")
    for note in space.notes:
        output.warn(note)
    short = space.short_of(need)
    if short is not None:
        raise ScratchenvError(f"not enough space on {where}: {short}")
    output.say(f"ok: {space.describe()} on {where} ({format_size(need)} needed)")
    return 0
