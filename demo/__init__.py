"""Demo data: demo sites, users and patients, demo courses, and the 110-patient reference cohort.

The top tier: it may import any app, and nothing outside ``demo`` imports it (a real deployment
runs without it; see README, "Setting up a real deployment").
"""
