#!/bin/sh
# manage_checkpoints.sh: the familiar wrapper, a thin call into `scratchenv checkpoints`
# (installed with the package; this script is not). Acts on the checkpoint directory of the
# git worktree it is run in (see the README). Unlike the old script, nothing is deleted or
# moved without --apply: `cleanup 3` shows what it would delete.
#   manage_checkpoints.sh status                       every checkpoint directory of yours
#   manage_checkpoints.sh setup                        create this worktree's (0700), extend .gitignore
#   manage_checkpoints.sh dir                          print it
#   manage_checkpoints.sh cleanup [N] [--all] [--apply [--yes]]  keep the newest N (default 2)
#   manage_checkpoints.sh prune-orphans [--apply [--yes]]
#   manage_checkpoints.sh adopt PATH... [--apply]      move old checkpoints into this one's
#   manage_checkpoints.sh archive [PATH...] [--apply]  into {root}/archived_models_YYYYMMDD/
# --apply acts; --yes only skips the question. $SCRATCHENV names the scratchenv program
# (default: scratchenv on PATH).
set -eu
me=${0##*/}
scratchenv=${SCRATCHENV:-scratchenv}

usage() {
    echo "usage: $me status | setup | dir | cleanup [N] [--all] [--apply] [--yes]" \
        "| prune-orphans [--apply] [--yes] | adopt PATH... [--apply] | archive [PATH...] [--apply]" >&2
    exit 2
}

[ $# -gt 0 ] || usage
if ! command -v "$scratchenv" >/dev/null 2>&1; then
    echo "$me: $scratchenv not found (pip install scratchenv, or set SCRATCHENV)" >&2
    exit 2
fi
action=$1
shift
case $action in
    status | setup | dir | prune-orphans | adopt | archive)
        exec "$scratchenv" checkpoints "$action" "$@" ;;
    cleanup)
        keep=2
        case ${1:-} in
            '' | -*) ;;
            *) keep=$1; shift ;;
        esac
        exec "$scratchenv" checkpoints cleanup --keep "$keep" "$@" ;;
    *)
        usage ;;
esac
