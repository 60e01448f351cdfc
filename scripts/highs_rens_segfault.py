"""HiGHS 1.16.0 (highspy) segfault in HighsPrimalHeuristics::RENS: plain highspy, no project code.
python scripts/highs_rens_segfault.py          -> SIGSEGV
python scripts/highs_rens_segfault.py norens  -> 'Infeasible'
Model = the joint-repair probe of case-11-1296 (alpha/beta exclude each other; row 3 is the
budget row, free because the scenario has no ceiling; its bounds do not matter)."""
import sys

import highspy
import numpy as np

inf = highspy.kHighsInf
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("threads", 1)
lp = highspy.HighsLp()
lp.num_col_, lp.num_row_ = 4, 5
lp.col_cost_ = np.array([1e-07, 20.0, 0.0, 3145731000.0])
lp.col_lower_ = np.array([0.01, 0.0, 0.0, 0.0])
lp.col_upper_ = np.array([10485.77, 1048577000.0, 1.0, 1.0])
lp.row_lower_ = np.array([-inf, -inf, -inf, -inf, 3000.0])
lp.row_upper_ = np.array([0.0, 0.0, 1.0, inf, inf])
lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
lp.a_matrix_.start_ = np.array([0, 2, 4, 6, 9, 11], dtype=np.int32)
lp.a_matrix_.index_ = np.array([0, 2, 1, 3, 3, 2, 0, 1, 3, 0, 1], dtype=np.int32)
lp.a_matrix_.value_ = np.array([1.0, -10485.77, 1.0, -1048577000.0, 1.0, 1.0,
                                1e-07, 20.0, 3145731000.0, 9e-05, 100.0])
lp.integrality_ = [highspy.HighsVarType.kContinuous] + [highspy.HighsVarType.kInteger] * 3
h.passModel(lp)
h.setOptionValue("presolve", "off")
if "norens" in sys.argv:
    h.setOptionValue("mip_heuristic_run_rens", False)
h.run()
print(h.modelStatusToString(h.getModelStatus()))
