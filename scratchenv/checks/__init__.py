"""Checking the live environment and disk against the plan: the shared types
(findings.py), the checks (verify.py, probes.py, node.py, purge.py), the job-script
linter (script.py, reading shell with shellwords.py and effects.py), their renderers
(report.py) and the status overview (status.py).

May import: the frame modules, config, plan, shells, disk, checkpoints.
"""
