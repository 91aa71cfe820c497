"""Measuring disks and moving trees on them: du-like usage scans (usage.py), quotas and free
space (quota.py: lfs, mmlsquota, quota, statvfs; room.py), and the lossless transfer engine
(transfer.py) that migrate, link-venv and checkpoints adopt/archive move files with. Used by
checks, home and checkpoints alike.

May import: the frame modules, config.
"""
