"""The math only: ModelData -> Pyomo model. Imports Pyomo and the standard library."""
