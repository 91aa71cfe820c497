"""Getting home back: what fills it (doctor.py), who owns which place (moves.py),
moving it losslessly (migrate.py over the transfer.py engine), taking old checkpoints and
model caches onto scratch over the same engine (archive.py: checkpoints adopt/archive) and
deleting under the root (clean.py).

May import: the frame modules, config, plan, shells, disk, checkpoints, checks.
"""
