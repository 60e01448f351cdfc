"""The engine: scenarios, solving, results, rendering, command line."""
