"""CTCAE adverse events (filled by the adverse-event issue)."""
