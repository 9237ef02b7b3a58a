"""The service layer: the supervisor and everything that changes state. No Textual here."""
