"""Measuring disks: du-like usage scans (usage.py) and quotas and free space
(quota.py: lfs, mmlsquota, quota, statvfs). Used by checks, home and checkpoints alike.

May import: errors, units, fsutil, realpaths, proc.
"""
