"""REST API of the adverse-events app, one module per resource."""
