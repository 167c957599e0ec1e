"""不登校の早期把握: alerts, the model page and factor analysis."""
