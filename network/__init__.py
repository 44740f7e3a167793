"""cpanet marketplace: domain, HTTP API, persistence and messaging."""
