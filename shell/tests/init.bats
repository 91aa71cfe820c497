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
    [ "$(head -1 "$HOME/.bashrc")" = '# >>> scratchenv >>>' ]  # above any early return
    tail -3 "$HOME/.bashrc" | cmp - original.bashrc
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

@test "a block whose scratchenv is gone, or whose root is gone, never breaks a login nor goes silent" {
    mkdir bin
    cp "$SCRATCHENV" bin/scratchenv
    bin/scratchenv init bash
    rm -rf "$SCRATCHENV_ROOT"
    run --separate-stderr bash -c '. "$HOME/.bashrc"; echo "up:$MINE"'
    [ "$status" -eq 0 ]
    [ "$output" = "up:1" ]
    [ -z "$stderr" ]
    rm bin/scratchenv
    # The last activation file is still current: it keeps the environment without scratchenv.
    run --separate-stderr bash -i -c 'echo "up:$MINE:${HF_HOME:+set}"'
    [ "$status" -eq 0 ]
    [ "$output" = "up:1:set" ]
    [[ "$stderr" != *"is gone"* ]]
    # The settings changed since: no file fits them, and one line says what broke and the fix.
    mkdir -p "$HOME/.config/scratchenv"
    printf '%s\n' 'missing_root = "warn"' > "$HOME/.config/scratchenv/config.toml"
    run --separate-stderr bash -i -c 'echo "up:$MINE:${HF_HOME:-}"'
    [ "$status" -eq 0 ]
    [ "$output" = "up:1:" ]
    [ "$(grep -c "bin/scratchenv is gone (moved or uninstalled?)" <<<"$stderr")" -eq 1 ]
    [[ "$stderr" == *'reinstall scratchenv, then run `scratchenv init bash`'* ]]
}

@test "init zsh and fish write their own rc files, and those shells start activated" {
    need_shell zsh
    need_shell fish
    export ZDOTDIR="$HOME/zdot"
    mkdir -p "$ZDOTDIR"
    "$SCRATCHENV" init zsh
    "$SCRATCHENV" init fish
    grep -q '^# >>> scratchenv >>>$' "$ZDOTDIR/.zshenv"
    grep -q '^# >>> scratchenv >>>$' "$HOME/.config/fish/config.fish"
    run --separate-stderr zsh -i -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
    run --separate-stderr fish -i -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
}

@test "stock skeleton home: interactive, login, sshd-started and no-guard bash all get the environment" {
    setup_skel_home
    "$SCRATCHENV" init bash
    want="$SCRATCHENV_ROOT/cache/huggingface"
    run --separate-stderr bash -i -c 'printf %s "$HF_HOME"'
    [ "$output" = "$want" ]
    run --separate-stderr bash -l -c 'printf %s "$HF_HOME"'
    [ "$output" = "$want" ]
    [[ "$stderr" != *scratchenv* ]]   # /etc/profile.d may have its own words
    run --separate-stderr bash_as_sshd 'printf %s "$HF_HOME"'
    [ "$output" = "$want" ]
    [ -z "$stderr" ]
    printf 'export MINE=1\n' > "$HOME/.bashrc"   # no guard at all
    "$SCRATCHENV" init bash
    run --separate-stderr bash -c '. ~/.bashrc; printf %s "$HF_HOME:$MINE"'
    [ "$output" = "$want:1" ]
    [ -z "$stderr" ]
}

@test "an older block below the guard moves to the top; --reverse still restores the file" {
    setup_skel_home
    cp "$HOME/.bashrc" skel.bashrc
    "$SCRATCHENV" init bash
    block=$(sed -n '/^# >>> scratchenv >>>$/,/^# <<< scratchenv <<<$/p' "$HOME/.bashrc")
    { cat skel.bashrc; printf '%s\n' "$block"; } > "$HOME/.bashrc"   # where init used to put it
    "$SCRATCHENV" init bash
    [ "$(head -1 "$HOME/.bashrc")" = '# >>> scratchenv >>>' ]
    [ "$(grep -c '^# >>> scratchenv >>>$' "$HOME/.bashrc")" -eq 1 ]
    "$SCRATCHENV" init bash --reverse
    cmp "$HOME/.bashrc" skel.bashrc
}

@test "zsh -c, fish -c and sh login shells get the environment from .zshenv, config.fish, .profile" {
    need_shell zsh
    need_shell fish
    setup_skel_home
    "$SCRATCHENV" init zsh
    "$SCRATCHENV" init fish
    "$SCRATCHENV" init sh
    want="$SCRATCHENV_ROOT/cache/pip"
    run --separate-stderr zsh -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$want" ] && [ -z "$stderr" ]
    run --separate-stderr fish -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$want" ] && [ -z "$stderr" ]
    # What a dash login shell reads after /etc/profile.
    run --separate-stderr dash -c '. ~/.profile; printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$want" ] && [ -z "$stderr" ]
}

@test "tcsh with a hostile root: .tcshrc, interactive and not, and deactivate keeps later changes" {
    need_shell tcsh
    "$SCRATCHENV" init tcsh
    grep -q '^# >>> scratchenv >>>$' "$HOME/.tcshrc"
    run --separate-stderr tcsh -c 'printf %s "$HF_HOME:q"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ] && [ -z "$stderr" ]
    run --separate-stderr tcsh -i -c 'printf %s "$HF_HOME:q"' < /dev/null
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    [ ! -e pwned ] && [ ! -e "$HOME/pwned" ]
    printf '%s\n' 'setenv PATH /mine/bin:"$PATH:q"' 'setenv PIP_CACHE_DIR /mine/pip' \
        'scratchenv_deactivate' 'printf "%s|%s|%s" "$PATH:q" "$PIP_CACHE_DIR:q" "$?HF_HOME"' > later.csh
    run --separate-stderr tcsh later.csh
    [ "$output" = "/mine/bin:$PATH|/mine/pip|0" ]
    "$SCRATCHENV" init tcsh --reverse
    [ ! -s "$HOME/.tcshrc" ]
}

@test "a login runs no Python while its file is current; a change brings Python back once" {
    need_shell zsh
    need_shell fish
    setup_skel_home
    "$SCRATCHENV" init bash
    "$SCRATCHENV" init zsh
    "$SCRATCHENV" init fish
    for rc in "$HOME/.bashrc" "$HOME/.zshenv" "$HOME/.config/fish/config.fish"; do
        use_logging_scratchenv "$rc"
    done
    for sh in "bash -l" zsh fish; do   # bash -c alone reads no rc file
        run --separate-stderr $sh -c 'printf %s "$HF_HOME"'   # writes the file
        [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
        before=$(calls)
        [ "$before" -ge 1 ]
        run --separate-stderr $sh -c 'printf %s "$HF_HOME"'
        [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
        [ "$(calls)" -eq "$before" ]
    done
    # A config edit, a changed variable, another root: each seen at the next login.
    mkdir -p "$HOME/.config/scratchenv"
    printf 'disable = ["huggingface"]\n' > "$HOME/.config/scratchenv/config.toml"
    run --separate-stderr bash -l -c 'printf %s "${HF_HOME-unset}"'
    [ "$output" = unset ]
    run --separate-stderr env SCRATCHENV_PROJECT=nanochat bash -l -c 'printf %s "$NANOCHAT_BASE_DIR"'
    [ "$output" = "$SCRATCHENV_ROOT/nanochat-cache" ]
    other="$BATS_TEST_TMPDIR/other root"
    mkdir -p "$other"
    run --separate-stderr env SCRATCHENV_ROOT="$other" bash -l -c 'printf %s "$PIP_CACHE_DIR"'
    [ "$output" = "$other/cache/pip" ]
    run --separate-stderr bash -l -c 'printf %s "$PIP_CACHE_DIR"'   # never the other's file
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
}

@test "a job with an unusable root gets no scratch variables and one line, never the last root" {
    setup_skel_home
    "$SCRATCHENV" init bash
    bash -c '. ~/.bashrc'   # a good file exists for the old root
    touch "$BATS_TEST_TMPDIR/a-file"
    run --separate-stderr env SCRATCHENV_ROOT="$BATS_TEST_TMPDIR/a-file" bash -c '. ~/.bashrc; printf %s "${HF_HOME-none}"'
    [ "$status" -eq 0 ]
    [ "$output" = none ]
    [[ "$stderr" == "scratchenv: no scratch environment in this shell"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "a broken config keeps the last good file, said once in an interactive shell, silent in a job" {
    setup_skel_home
    "$SCRATCHENV" init bash
    bash -c '. ~/.bashrc'
    mkdir -p "$HOME/.config/scratchenv"
    printf 'this is = = not toml\n' > "$HOME/.config/scratchenv/config.toml"
    run --separate-stderr bash -c '. ~/.bashrc; printf %s "$HF_HOME"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    [ -z "$stderr" ]
    run --separate-stderr bash -i -c 'printf %s "$HF_HOME"'
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    [ "$(printf '%s\n' "$stderr" | grep -c 'previous activation file')" -eq 1 ]
}

@test "fish stays silent in a job when scratchenv's python is gone" {
    need_shell fish
    mkdir bin
    printf '#!%s/gone/python\n' "$BATS_TEST_TMPDIR" > bin/scratchenv
    chmod +x bin/scratchenv
    bin_path="$BATS_TEST_TMPDIR/bin/scratchenv"
    "$SCRATCHENV" init fish
    sed -i "s|$SCRATCHENV|$bin_path|g" "$HOME/.config/fish/config.fish"
    run --separate-stderr fish -c 'echo up'
    [ "$output" = up ]
    [ "$stderr" = "scratchenv: no scratch environment in this shell; \`scratchenv activate\` says why" ]
}

@test "deactivate keeps what the user changed after activation, in every shell" {
    for sh in bash zsh sh fish; do
        need_shell "$sh"
        file=$(activation "$sh")
        case $sh in
            fish) later='set -gx PATH /mine/bin $PATH; set -gx PIP_CACHE_DIR /mine/pip'
                  show='set -q HF_HOME; or set HF_HOME unset; printf "%s|%s|%s" "$PATH" "$PIP_CACHE_DIR" "$HF_HOME"' ;;
            *) later='PATH=/mine/bin:$PATH; export PIP_CACHE_DIR=/mine/pip'
               show='printf "%s|%s|%s" "$PATH" "$PIP_CACHE_DIR" "${HF_HOME-unset}"' ;;
        esac
        in_shell "$sh" "$(src "$sh") '$file'; $later; scratchenv_deactivate; $show > out.$sh"
        [ "$(cat "out.$sh")" = "/mine/bin:$PATH|/mine/pip|unset" ]
    done
}
