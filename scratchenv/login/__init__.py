"""What runs at every login: the activation fast path (activate.py, standard library
only) and the block `init` writes into rc files (rcfile.py); and answers kept for the same
inputs (cache.py, standard library only on a hit; recorded.py notes what the validated path
read), so `env --format X` and the TaskProlog skip building the settings; and the Plan kept
for the same inputs (resolution.py), which `verify` rebuilds without them.

May import: the frame modules, config, plan, shells.
"""
