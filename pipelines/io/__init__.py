"""I/O adapters: everything that touches files or the network lives here, never in stages."""
