"""Slurm: `sbatch` (submit.py), what stops a submission (gate.py), the run-time guard put
into a submitted job (guarded.py), and `verify --all-nodes` through srun.

May import: everything below commands.
"""
