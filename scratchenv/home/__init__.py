"""Getting home back: what fills it (doctor.py), who owns which place (moves.py),
moving it losslessly (migrate.py over disk/transfer.py) and deleting under the root
(clean.py); checkouts' own .venv kept on scratch by a link (venvs.py). Old checkpoints
are taken onto scratch by checkpoints/archive.py.

May import: the frame modules, config, plan, shells, disk, checkpoints, bootstrap, checks.
"""
