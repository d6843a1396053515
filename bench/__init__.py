"""Benchmarks with their baselines: ``python -m bench`` runs them all, each module also alone."""
