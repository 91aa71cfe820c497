"""Measuring disks and moving trees on them: du-like usage scans (usage.py), quotas and free
space (quota.py: lfs, mmlsquota, quota, statvfs; room.py), and the lossless transfer engine
that migrate, link-venv and checkpoints adopt/archive move files with: what a move involves
(survey.py), the run (transfer.py), its copy primitives (copying.py), renames that never
overwrite (placing.py), worker processes it shares a large tree out to (workers.py) and the
journal that lets a killed run be finished (journal.py).
Used by checks, home and checkpoints alike.

May import: the frame modules, config.
"""
