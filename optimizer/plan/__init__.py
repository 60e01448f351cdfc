"""The arithmetic of a plan (dynamics, the re-check, the prechecks); no solver."""
