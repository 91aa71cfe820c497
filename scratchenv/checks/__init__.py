"""Checking the live environment and disk against the plan: the shared types
(findings.py), the checks, one job per module (roots.py, ownership.py, space.py, dotenv.py,
variables.py, path.py, venv.py, home_usage.py, probes.py, node.py, purge.py) run in report
order by verify.py, the job-script linter (script.py, reading shell with shellwords.py and
effects.py), their renderers (report.py) and the status overview (status.py).

May import: the frame modules, config, plan, shells, disk, checkpoints.
"""
