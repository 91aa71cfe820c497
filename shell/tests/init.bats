#!/usr/bin/env bats
# `scratchenv init`: the marked block in the real rc files, and real logins through it.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    setup_scratch
    printf '%s\n' '# my own settings' 'export MINE=1' 'alias ll="ls -l"' > "$HOME/.bashrc"
    cp "$HOME/.bashrc" original.bashrc
}

@test "init bash adds one block; an interactive bash gets the scratch environment" {
    "$SCRATCHENV" init bash
    "$SCRATCHENV" init bash
    [ "$(grep -c '^# >>> scratchenv >>>$' "$HOME/.bashrc")" -eq 1 ]
    head -3 "$HOME/.bashrc" | cmp - original.bashrc
    run --separate-stderr bash -i -c 'printf "%s|%s" "$HF_HOME" "$MINE"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface|1" ]
}

@test "init --reverse removes exactly the block" {
    "$SCRATCHENV" init bash
    "$SCRATCHENV" init bash --reverse
    cmp "$HOME/.bashrc" original.bashrc
    [ -f "$HOME/.bashrc.scratchenv-backup" ]
}

@test "init --dry-run prints the diff and changes nothing" {
    run "$SCRATCHENV" init bash --dry-run
    [ "$status" -eq 0 ]
    [[ "$output" == *"+# >>> scratchenv >>>"* ]]
    cmp "$HOME/.bashrc" original.bashrc
}

@test "a block whose scratchenv is gone, or whose root is gone, never breaks a login" {
    mkdir bin
    cp "$SCRATCHENV" bin/scratchenv
    bin/scratchenv init bash
    rm -rf "$SCRATCHENV_ROOT"
    run --separate-stderr bash -c '. "$HOME/.bashrc"; echo "up:$MINE"'
    [ "$status" -eq 0 ]
    [ "$output" = "up:1" ]
    [ -z "$stderr" ]
    rm bin/scratchenv
    run --separate-stderr bash -i -c 'echo "up:$MINE"'
    [ "$status" -eq 0 ]
    [ "$output" = "up:1" ]
    [[ "$stderr" != *scratchenv* ]]
}

@test "init zsh and fish write their own rc files, and those shells start activated" {
    need_shell zsh
    need_shell fish
    export ZDOTDIR="$HOME/zdot"
    mkdir -p "$ZDOTDIR"
    "$SCRATCHENV" init zsh
    "$SCRATCHENV" init fish
    grep -q '^# >>> scratchenv >>>$' "$ZDOTDIR/.zshrc"
    grep -q '^# >>> scratchenv >>>$' "$HOME/.config/fish/config.fish"
    run --separate-stderr zsh -i -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
    run --separate-stderr fish -i -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
}
