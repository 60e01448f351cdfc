"""The only code that imports Pyomo, highspy or models/: the model's data, HiGHS, the
solver Session and the engine."""
