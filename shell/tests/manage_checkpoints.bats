#!/usr/bin/env bats
# shell/manage_checkpoints.sh against the real scratchenv, on a throwaway root and home.

setup() {
    repo_root="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
    script="$repo_root/shell/manage_checkpoints.sh"
    export SCRATCHENV="${SCRATCHENV:-$repo_root/.venv/bin/scratchenv}"
    export HOME="$BATS_TEST_TMPDIR/home"
    export XDG_CONFIG_HOME="$HOME/.config"
    export SCRATCHENV_ROOT="$BATS_TEST_TMPDIR/scratch"
    unset SCRATCHENV_PROJECT SCRATCHENV_CONFIG SCRATCH SCRATCHENV_CHECKPOINTS__LAYOUT
    mkdir -p "$HOME" "$SCRATCHENV_ROOT" "$BATS_TEST_TMPDIR/lab/exp"
    cd "$BATS_TEST_TMPDIR/lab/exp"
    ckdir="$SCRATCHENV_ROOT/checkpoints_lab_exp"
}

checkpoint() {  # checkpoint STEP: a finished Trainer checkpoint, an hour old
    mkdir -p "$ckdir/checkpoint-$1"
    echo '{}' > "$ckdir/checkpoint-$1/trainer_state.json"
    touch -d '1 hour ago' "$ckdir/checkpoint-$1/trainer_state.json" "$ckdir/checkpoint-$1"
}

@test "setup creates this worktree's directory; dir and status show it" {
    run "$script" setup
    [ "$status" -eq 0 ]
    [[ "$output" == *"created: $ckdir "* ]]
    [ "$(stat -c %a "$ckdir")" = 700 ]
    run "$script" dir
    [ "$output" = "$ckdir" ]
    run "$script" status
    [ "$status" -eq 0 ]
    [[ "$output" == *"lab_exp "*"$BATS_TEST_TMPDIR/lab/exp"* ]]
}

@test "cleanup N is a dry run until --yes, then keeps the newest N" {
    "$script" setup
    for step in 1 2 3 10; do checkpoint "$step"; done
    run "$script" cleanup 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"dry run: would delete 2 checkpoints"* ]]
    [ -d "$ckdir/checkpoint-1" ]
    run "$script" cleanup 2 --yes
    [ "$status" -eq 0 ]
    [ "$(cd "$ckdir" && echo checkpoint-*)" = "checkpoint-10 checkpoint-3" ]
    run "$script" cleanup --yes  # N defaults to 2: nothing more to do
    [[ "$output" == *"nothing to delete"* ]]
}

@test "no action or an unknown one prints usage and exits 2" {
    run "$script"
    [ "$status" -eq 2 ]
    [[ "$output" == "usage: manage_checkpoints.sh status | setup"* ]]
    run "$script" explode
    [ "$status" -eq 2 ]
}

@test "a bad N is one error line from scratchenv, exit 2" {
    run "$script" cleanup 0
    [ "$status" -eq 2 ]
    [ "$output" = "scratchenv: error: keep must be at least 1, not 0 (the newest is never deleted)" ]
}

@test "a missing scratchenv is one clear line, exit 2" {
    SCRATCHENV="$BATS_TEST_TMPDIR/nowhere/scratchenv" run "$script" status
    [ "$status" -eq 2 ]
    [[ "$output" == *"not found"* ]]
}
