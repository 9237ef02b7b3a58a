"""Pure models and state machines: no I/O here (no files, processes, clocks or env)."""
