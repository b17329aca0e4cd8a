"""Device ports (small Protocols) with real and simulated backends. Never imports Qt."""
