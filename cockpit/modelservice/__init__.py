"""A scripted model service: real agent CLIs run offline against it (see docs/providers.md)."""
