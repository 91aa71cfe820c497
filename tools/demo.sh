#!/bin/sh
# The README's demo: generate activation on a throwaway root, source it, show the result.
set -eu
scratchenv=$1
echo "\$ scratchenv activate --shell bash"
file=$("$scratchenv" activate --shell bash)
echo "$file"
echo
echo "\$ scratchenv env"
"$scratchenv" env
echo
echo "\$ source \"\$(scratchenv activate --shell bash)\"; pip cache dir; echo \$HF_HOME"
bash -c '. "$1"; "$2" -m pip cache dir; echo "$HF_HOME"' sh "$file" "$(dirname "$scratchenv")/python"
echo
echo "\$ source \"\$(scratchenv activate --shell bash)\"; scratchenv verify"
bash -c '. "$1"; "$2" verify' sh "$file" "$scratchenv" || true
echo
echo "\$ scratchenv verify   # in a shell that was never activated: fails, with the fixes"
"$scratchenv" verify | tail -5 || true
