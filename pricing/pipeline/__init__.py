"""The pipeline steps with their storage edges: match, optimize, and the demo run.

The domain work (matching, optimizing) is pure and lives in its own package; these
modules read its inputs from the database and write its results back.
"""
