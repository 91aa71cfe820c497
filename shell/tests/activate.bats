#!/usr/bin/env bats
# The generated activation, sourced by the real shells.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    setup_scratch
}

@test "hostile root round-trips byte-exact and runs nothing, in every shell" {
    for sh in bash zsh fish sh tcsh; do
        need_shell "$sh"
        file=$(activation "$sh")
        value='"$HF_HOME"'
        [ "$sh" = tcsh ] && value='"$HF_HOME:q"'
        in_shell "$sh" "$(src "$sh") '$file'; printf %s $value > value.$sh"
        printf '%s' "$SCRATCHENV_ROOT/cache/huggingface" | cmp - "value.$sh"
    done
    [ ! -e pwned ] && [ ! -e "$HOME/pwned" ]
}

@test "activate then deactivate leaves env | sort identical, in every shell" {
    export HF_HOME=/site/hf          # a value that must come back
    unset TORCH_HOME                 # a variable that must be unset again
    for sh in bash zsh fish sh tcsh; do
        need_shell "$sh"
        file=$(activation "$sh")
        in_shell "$sh" "env | sort > before.$sh; $(src "$sh") '$file'; env | sort > during.$sh; scratchenv_deactivate; env | sort > after.$sh"
        diff "before.$sh" "after.$sh"
        ! diff -q "before.$sh" "during.$sh" >/dev/null
    done
}

@test "sourcing twice changes nothing: no duplicate PATH entries" {
    for sh in bash zsh sh; do
        need_shell "$sh"
        file=$(activation "$sh")
        in_shell "$sh" ". '$file'; env | sort > once.$sh; . '$file'; env | sort > twice.$sh"
        diff "once.$sh" "twice.$sh"
        run grep -c "$SCRATCHENV_ROOT/.cargo/bin" "twice.$sh"
        [ "$output" = 1 ]
    done
    need_shell fish
    file=$(activation fish)
    fish --no-config -c "source '$file'; env | sort > once.fish; source '$file'; env | sort > twice.fish"
    diff once.fish twice.fish
}

@test "a root holding ':' goes on PATH once, also in a nested shell (fish splits *PATH on ':')" {
    export SCRATCHENV_ROOT="$BATS_TEST_TMPDIR/sc:r t"
    mkdir -p "$SCRATCHENV_ROOT"
    for sh in bash zsh sh fish; do
        need_shell "$sh"
        file=$(activation "$sh")
        printf "%s '%s'; printenv PATH > path.%s\n" "$(src "$sh")" "$file" "$sh" > "inner.$sh"
        in_shell "$sh" "$(src "$sh") '$file'; $sh inner.$sh"
        [ "$(grep -o -F "$SCRATCHENV_ROOT/.cargo/bin" "path.$sh" | wc -l)" -eq 1 ]
    done
}

@test "safe under set -euo pipefail, including deactivate" {
    file=$(activation bash)
    run bash -c "set -euo pipefail; . '$file'; scratchenv_deactivate; . '$file'; echo ok"
    [ "$status" -eq 0 ]
    [ "$output" = ok ]
    need_shell zsh
    file=$(activation zsh)
    run zsh -f -c "set -euo pipefail; . '$file'; scratchenv_deactivate; echo ok"
    [ "$status" -eq 0 ]
    [ "$output" = ok ]
}

@test "prints nothing in a non-interactive shell" {
    for sh in bash zsh sh fish; do
        need_shell "$sh"
        file=$(activation "$sh")
        run in_shell "$sh" "$(src "$sh") '$file' 2>&1"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
    done
}

@test "a missing root warns once in an interactive shell, is silent otherwise, still exports" {
    file=$(activation bash)
    rm -rf "$SCRATCHENV_ROOT"
    run bash -c ". '$file' 2>err; printf %s \"\$HF_HOME\""
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    [ ! -s err ]
    run --separate-stderr bash --norc -i -c ". '$file'; printf %s \"\$HF_HOME\""
    [ "$output" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    [ "$(printf '%s\n' "$stderr" | grep -c 'is missing')" -eq 1 ]
    need_shell fish
    file=$(activation fish)
    run --separate-stderr fish --no-config -i -c "source '$file'"
    [[ "$stderr" == *"is missing"* ]]
}

@test "executing the file instead of sourcing it refuses with exit 33" {
    file=$(activation bash)
    run bash "$file"
    [ "$status" -eq 33 ]
    need_shell zsh
    file=$(activation zsh)
    run zsh -f "$file"
    [ "$status" -eq 33 ]
}

@test "dotenv: python-dotenv and set -a; . read identical values" {
    export SCRATCHENV_ROOT="$BATS_TEST_TMPDIR/root '\"; \\ èрт🚒 \$ x"
    mkdir -p "$SCRATCHENV_ROOT"
    "$SCRATCHENV" env --format dotenv > scratch.env
    bash -c 'set -a; . ./scratch.env; set +a; for v in HF_HOME CARGO_HOME PATH; do printf "%s=%s\n" "$v" "${!v}"; done' > from-sh
    "$REPO/.venv/bin/python" -c '
import os, sys
from dotenv import dotenv_values
values = dotenv_values("scratch.env")
for name in ("HF_HOME", "CARGO_HOME", "PATH"):
    sys.stdout.write(f"{name}={values[name]}\n")' > from-python
    diff from-sh from-python
    grep -qF "HF_HOME=$SCRATCHENV_ROOT/cache/huggingface" from-sh
}

@test "eval of env --format sh and fish sets the same values as the activation file" {
    eval "$("$SCRATCHENV" env --format sh)"
    [ "$HF_HOME" = "$SCRATCHENV_ROOT/cache/huggingface" ]
    need_shell fish
    run fish --no-config -c "$SCRATCHENV env --format fish | source; printf %s \$PIP_CACHE_DIR"
    [ "$output" = "$SCRATCHENV_ROOT/cache/pip" ]
}
