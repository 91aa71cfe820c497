"""Getting home back: what fills it (doctor.py), who owns which place (moves.py),
moving it losslessly (migrate.py over disk/transfer.py), taking old checkpoints and
model caches onto scratch over the same engine (archive.py: checkpoints adopt/archive) and
deleting under the root (clean.py); checkouts' own .venv kept on scratch by a link
(venvs.py).

May import: the frame modules, config, plan, shells, disk, checkpoints, bootstrap, checks.
"""
