"""Scenario texts shared by several test files."""

# an uncertain rate moving a cost written in rupees, a triangular yield, a normal
# cost, and a correlation between them
UNCERTAIN = """
    name: uncertain
    currency: USD
    exchange_rates: {PKR: {dist: uniform, low: 270, high: 300}}
    target: {exports: 100}
    levers:
      a: {unit_cost: "285 PKR", yield_per_unit: {dist: triangular, low: 1, mode: 2, high: 3},
          max_units: 30}
      b: {unit_cost: {dist: normal, mean: 3, sd: 0.3}, yield_per_unit: 1}
    uncertainty:
      samples: 500
      seed: 7
      correlations:
        - {between: [levers.a.yield_per_unit, levers.b.unit_cost], rho: 0.5}
"""
