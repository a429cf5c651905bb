"""The only place that talks SQL: models, the engine and sessions, and queries."""
