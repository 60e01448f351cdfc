"""Questions asked of a solved scenario: sweeps and frontiers, explanations (worth,
repairs, room, stability), chance constraints, simulation, re-optimisation and
comparison. They ask a solver session by name (optimizer.solving.engine.Session) and never
touch the model or HiGHS (the import contract in setup.cfg holds them to it)."""
