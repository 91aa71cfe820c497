"""Getting home back: what fills it (doctor.py), who owns which place (moves.py),
moving it losslessly (migrate.py over the transfer.py engine) and deleting under the
root (clean.py).

May import: the frame modules, config, plan, shells, disk, checkpoints, checks.
"""
