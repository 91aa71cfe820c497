"""Job-script lines for the gate's two answers: the static linter (checks/script.py) and
the guard the job runs at its start (shells/guard.py). Each case: (line, expected), where
expected is "fail" (the line surely puts a managed variable in home, unsets it, or clears
the environment), "warn" (only run time can tell) or "pass". HF_HOME is the managed
variable the lines touch; `train.py` stands for the job's program.

The spellings of issue 23 §1 are all here: wrappers, `env -i`/`-u`, `command`/`builtin
export`, tildes, backticks, `$(echo ~)`, `eval`, `printf -v`.
"""

from __future__ import annotations

FAILS = [
    # command wrappers around env
    "srun env HF_HOME=$HOME/hf python train.py",
    "srun -N 1 --ntasks=1 -p debug env HF_HOME=$HOME/hf python train.py",
    "exec env HF_HOME=$HOME/hf python train.py",
    "nohup env HF_HOME=$HOME/hf python train.py",
    "timeout 1h env HF_HOME=$HOME/hf python train.py",
    "timeout -s INT 1h env HF_HOME=~/hf python train.py",
    "nice -n 5 env HF_HOME=~/hf python train.py",
    "stdbuf -oL -e 0 env HF_HOME=~/hf python train.py",
    "command env HF_HOME=~/hf python train.py",
    "srun nohup timeout 1h env HF_HOME=~/hf python train.py",
    "HF_HOME=~ python train.py",
    "srun --export=ALL,HF_HOME=$HOME/hf python train.py",
    "python train.py && HF_HOME=$HOME/hf python train.py",
    # env -u / -i
    "exec env -u HF_HOME python train.py",
    "env --unset=HF_HOME python train.py",
    "env -i PATH=/usr/bin:/bin python3 train.py",
    "srun env -i python3 train.py",
    # other spellings of an assignment
    "command export HF_HOME=$HOME/hf",
    "builtin export HF_HOME=$HOME/hf",
    "export HF_HOME=${HOME}/hf",
    "export HF_HOME=~alice/hf",
    "export HF_HOME=`echo ~`/hf",
    "export HF_HOME=$(echo ~)/hf",
    'export HF_HOME="$(cd ~ && pwd)/hf"',
    "export HF_HOME=$(printenv HOME)/hf",
    'eval "export HF_HOME=$HOME/hf"',
    "eval 'export HF_HOME=~/hf'",
    "printf -v HF_HOME '%s/hf' \"$HOME\"",
    "printf -v HF_HOME ~/hf",
    "bash -c 'export HF_HOME=~/hf; python train.py'",
    "(export HF_HOME=$HOME/hf; python train.py)",
    "export \\\n    HF_HOME=$HOME/hf",
    "declare -x HF_HOME=~/hf",
    "unset HF_HOME",
]

WARNS = [
    'eval "$(conda shell.bash hook)"',
    "eval $SETUP",
    "source ./not-here.sh",
    "export HF_HOME=$(mktemp -d)",
    "read -r HF_HOME < where.txt",
    "export HF_HOME=~+/hf",
]

PASSES = [
    'echo HF_HOME="$HOME/hf"',
    "echo 'export HF_HOME=$HOME/hf'",
    "export HF_HOME='~/hf'",
    'export HF_HOME="${HF_HOME:-$HOME/hf}"',
    'export HF_HOME="${HF_HOME:-$(echo ~)/hf}"',
    "cat <<EOF > notes.txt\nexport HF_HOME=$HOME/hf\nEOF",
    "srun --export=ALL python train.py",
    "env OMP_NUM_THREADS=1 python train.py",
    "timeout 1h python train.py HF_HOME=$HOME/x",
    "command -v env",
    "export HF_HOME=$SCRATCH/hf",
    "export OTHER=$HOME/x",
]

CASES = ([(line, "fail") for line in FAILS] + [(line, "warn") for line in WARNS]
         + [(line, "pass") for line in PASSES])
