"""Campaigns: plant each catalogued bug, check it blind, and score the checker.

catalog.py (+ catalog_yaml.py, catalog_schema.json) reads mutants/*.yaml; configs.py holds the
configurations; mutate.py patches mlp.py; runner.py runs the sanity gate, every mutant and the
reference's false-alarm runs; journal.py makes runs resumable; sensitivity.py measures the
checker's detection limits.
"""
