"""Pages of the adverse-events app, one module per area (events and labs, clinical observations)."""
