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

@test "cleanup N is a dry run until --apply (--yes only skips the question), then keeps the newest N" {
    "$script" setup
    for step in 1 2 3 10; do checkpoint "$step"; done
    run "$script" cleanup 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"dry run: would delete 2 checkpoints"* ]]
    [ -d "$ckdir/checkpoint-1" ]
    run "$script" cleanup 2 --yes  # the old script's "really delete" is a dry run now
    [ "$status" -eq 0 ]
    [[ "$output" == *"--yes only skips the question; --apply acts"* ]]
    [ -d "$ckdir/checkpoint-1" ]
    run "$script" cleanup 2 --apply
    [ "$status" -eq 0 ]
    [ "$(cd "$ckdir" && echo checkpoint-*)" = "checkpoint-10 checkpoint-3" ]
    run "$script" cleanup --apply  # N defaults to 2: nothing more to do
    [[ "$output" == *"nothing to delete"* ]]
}

@test "cleanup N --all applies the rule to every checkpoint directory" {
    "$script" setup
    for step in 1 2; do checkpoint "$step"; done
    other="$SCRATCHENV_ROOT/checkpoints_lab_other"
    for step in 5 6; do ckdir="$other" checkpoint "$step"; done
    run "$script" cleanup 1 --all --apply
    [ "$status" -eq 0 ]
    [[ "$output" == *"deleted 2 checkpoints"* ]]
    [ "$(cd "$ckdir" && echo checkpoint-*)" = "checkpoint-2" ]
    [ "$(cd "$other" && echo checkpoint-*)" = "checkpoint-6" ]
}

@test "archive moves an old directory into the dated archive folder" {
    mkdir -p old/.art/run
    echo weights > old/.art/run/model
    run "$script" archive old/.art
    [[ "$output" == *"dry run: nothing moved; rerun with --apply"* ]]
    run "$script" archive old/.art --apply
    [ "$status" -eq 0 ]
    [ ! -e old/.art ]
    [ "$(cat "$SCRATCHENV_ROOT"/archived_models_*/exp_old_.art/run/model)" = weights ]
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
