"""Settings and the data they are built from: settings sources (pydantic-settings),
root detection, the catalogue of variables (catalogue.toml) and cluster profiles
(profiles.toml).

May import: errors, locations, units, fsutil, realpaths.
"""
