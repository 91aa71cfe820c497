"""Creating what the plan needs under the root: the step machinery (steps.py), the project
venv with pip (venv.py), the site's pip configuration carried over to uv (pipconf.py),
rustup and Cargo and what rustup makes (rust.py), and the run (run.py).

May import: the frame modules, config, plan, shells, disk.
"""
