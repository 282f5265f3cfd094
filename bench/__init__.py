"""Benchmarks (intake through the webhook route, cohort matching); run as modules, never imported by the app."""
