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
    cd "$BATS_TEST_TMPDIR"
}

# The activation file for shell $1 (generated fresh).
activation() {
    "$SCRATCHENV" activate --shell "$1"
}

# How shell $1 sources a file.
src() {
    if [ "$1" = fish ]; then echo source; else echo .; fi
}

# Run shell code $2 in shell $1 non-interactively with a clean, fixed environment.
in_shell() {
    case "$1" in
        fish) fish --no-config -c "$2" ;;
        zsh) zsh -f -c "$2" ;;
        *) "$1" -c "$2" ;;
    esac
}
