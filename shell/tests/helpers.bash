# Shared by the bats tests: a throwaway HOME and a scratch root with a hostile name.
REPO="$(cd "$(dirname "$BATS_TEST_FILENAME")/../.." && pwd)"
SCRATCHENV="${SCRATCHENV:-$REPO/.venv/bin/scratchenv}"
# Quotes, $, backticks, ;, &, *, a backslash, a newline and non-ASCII: must come out
# byte-exact and execute nothing (virtualenv's hostile name, plus more).
HOSTILE=$'\'";&&e-$ èрт🚒♞中片-j `touch pwned` $(touch pwned) \\ * \n x'

# In CI a missing shell is a failure, elsewhere a skip.
need_shell() {
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ -n "${CI:-}" ]; then
            echo "$1 is not installed (make shells installs it)" >&2
            return 1
        fi
        skip "$1 is not installed"
    fi
}

setup_scratch() {
    export HOME="$BATS_TEST_TMPDIR/home"
    mkdir -p "$HOME"
    unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_CACHE_HOME SCRATCH
    for name in $(env | sed -n 's/^\(SCRATCHENV_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$name"; done
    export SCRATCHENV_ROOT="$BATS_TEST_TMPDIR/$HOSTILE"
    mkdir -p "$SCRATCHENV_ROOT"
    # A last look at home not due for long: no interactive login here starts a look in the
    # background that would outlive the test (tests/login/test_home_watch.py covers that).
    mkdir -p -m 700 "$HOME/.local/state/scratchenv"
    printf '%s\n' 1099511627776 '' > "$HOME/.local/state/scratchenv/home-watch"
    chmod 600 "$HOME/.local/state/scratchenv/home-watch"
    cd "$BATS_TEST_TMPDIR"
}

# The activation file for shell $1 (generated fresh).
activation() {
    "$SCRATCHENV" activate --shell "$1"
}

# How shell $1 sources a file.
src() {
    case "$1" in fish|tcsh) echo source ;; *) echo . ;; esac
}

# Run shell code $2 in shell $1 non-interactively with a clean, fixed environment.
in_shell() {
    case "$1" in
        fish) fish --no-config -c "$2" ;;
        zsh) zsh -f -c "$2" ;;
        # One command a line: csh parses a whole line before it runs any of it, so an
        # alias the line defines (scratchenv_deactivate) is not yet known on that line.
        tcsh) printf '%s\n' "${2//; /$'\n'}" > "$BATS_TEST_TMPDIR/in_shell.csh"
              tcsh -f "$BATS_TEST_TMPDIR/in_shell.csh" ;;
        *) "$1" -c "$2" ;;
    esac
}

# A stock Debian home: the skeleton's .bashrc (which returns early when not interactive)
# and .profile (which sources .bashrc for bash login shells).
setup_skel_home() {
    cp /etc/skel/.bashrc /etc/skel/.profile "$HOME/"
}

# Run bash as sshd starts it for `ssh host cmd`: a socket on stdin, SSH_CLIENT set and no
# SHLVL. Such a bash reads ~/.bashrc although it is not interactive.
bash_as_sshd() {
    env -u SHLVL SSH_CLIENT='192.0.2.1 50000 22' python3 -c '
import socket, subprocess, sys
ours, theirs = socket.socketpair()
sys.exit(subprocess.run(["bash", "-c", sys.argv[1]], stdin=ours).returncode)' "$1"
}

# A scratchenv that logs each run to $BATS_TEST_TMPDIR/calls, for init to record.
logging_scratchenv() {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh\necho "$*" >> "%s/calls"\nexec "%s" "$@"\n' \
        "$BATS_TEST_TMPDIR" "$SCRATCHENV" > "$BATS_TEST_TMPDIR/bin/scratchenv"
    chmod +x "$BATS_TEST_TMPDIR/bin/scratchenv"
    echo "$BATS_TEST_TMPDIR/bin/scratchenv"
}

# Point the rc block in file $1 at the logging scratchenv.
use_logging_scratchenv() {
    local logged
    logged=$(logging_scratchenv)
    python3 - "$1" "$SCRATCHENV" "$logged" <<'PY'
import sys
path, real, logged = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(real, logged))
PY
}

calls() {
    if [ -f "$BATS_TEST_TMPDIR/calls" ]; then wc -l < "$BATS_TEST_TMPDIR/calls"; else echo 0; fi
}
