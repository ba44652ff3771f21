"""Call analytics: the shared call filter, the dashboard aggregations and the CSV exports (Django side)."""
