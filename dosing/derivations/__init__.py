"""Pure functions of the dosing app (no database): dose arithmetic and course planning, the course calendar."""
