"""Slurm: the gated `sbatch` (submit.py), the run-time guard put into a submitted job
(guarded.py), and `verify --all-nodes` through srun.

May import: everything below commands.
"""
