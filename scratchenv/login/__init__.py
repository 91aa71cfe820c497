"""What runs at every login: the activation fast path (activate.py, standard library
only) and the block `init` writes into rc files (rcfile.py).

May import: the frame modules, config, plan, shells.
"""
