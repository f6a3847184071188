"""Web portal and health probes."""
