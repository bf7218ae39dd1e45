"""Stress tests: many threads, a real socket, bounded in CI (BQL_STRESS_SECONDS for longer)."""
