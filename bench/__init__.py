"""The TraceGraph benchmark: trace speed against the baselines a user would pick instead.

``python -m bench --serials 100000`` generates the synthetic plant, loads it into the embedded
store, times the public Python API (and forwardTrace over HTTP when the server exists), runs the
same questions on a scipy CSR breadth-first search, a hand-written SQLite recursive CTE and
networkx, checks that they all reach the same lots and serials, and writes the figures to
``bench/results/<size>.json`` and ``<size>.md``.
"""
