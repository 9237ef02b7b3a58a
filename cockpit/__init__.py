"""cockpit: a control plane with a terminal UI for the AI coding CLIs on your machine."""

__version__ = "0.1.0"
