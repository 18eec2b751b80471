"""Benchmarks of synapse_nb, each measured against a baseline in the same run.

Run ``python -m bench`` (all) or ``python -m bench convert server`` (some); results go to
``bench/results/<topic>.json`` and ``BENCHMARKS.md`` is regenerated from all of them.
"""
