"""Creating what the plan needs under the root: directories, the project venv,
rustup and Cargo (steps.py), with tools run through proc.

May import: the frame modules, config, plan, shells, disk.
"""
