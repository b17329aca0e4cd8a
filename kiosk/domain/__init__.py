"""Pure domain model: frozen dataclasses and rules. No I/O, no Qt, no threads."""
