"""cockpit's benchmarks: each figure is a ratio against a baseline measured in the same run.

Run them with `python -m benchmarks [--quick] [--only NAME] [--json PATH]`; docs/benchmarks.md
says what each one measures, what its baseline is, and its target.
"""
