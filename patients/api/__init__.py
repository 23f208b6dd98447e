"""REST API of the patients app, one module per area."""
