"""Slurm: the gated `sbatch` (submit.py) and `verify --all-nodes` through srun.

May import: everything below commands.
"""
