"""Load and latency benchmarks for Encore. They measure and report; they never assert.

Every module here must stay import-light: `bench.serve` imports the app only after the
async-mode patching in wsgi.py has run.
"""
