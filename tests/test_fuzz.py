"""Fuzzed inputs (issue 18 item 4): the YAML loader with the schema, the amount
grammar, the expression parser and the result.json reader take any text and either
accept it or refuse it with a ScenarioError / ValueError naming what is wrong, never
another exception. Bounded and seeded for CI (``derandomize``); longer by hand with
``FUZZ_EXAMPLES=20000``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import ScenarioError
from optimizer.results.result_file import read_result_file
from optimizer.scenario import loadouts
from optimizer.scenario.amounts import AmountError, parse_amount, parse_number
from optimizer.scenario.expressions import ExpressionError, parse_relation
from optimizer.scenario.loader import load_yaml_text

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SHIPPED = Path("configs/pakistan_it_exports.yaml").read_text()
TOKENS = ["name:", "levers:", "target:", "exports:", "unit_cost:", "yield_per_unit:",
          "max_units:", " ", "\n", "  ", "- ", "[", "]", "{", "}", ",", ":", "'", '"', "&a",
          "*a", "<<:", "!!python/object", "!!int", "null", "~", "1e308", "1e999", "-0",
          "0x10", "010", "1:30", ".nan", ".inf", "2.6B", "100,000 PKR", "Rs 5M", "\t",
          "\x00", "\x1b[2J", "\u2028", "#", "|", ">", "%YAML 1.1", "---", "..."]


def _fragments() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=40).map("".join)


def _load_text(text: str) -> None:
    try:
        loadouts(load_yaml_text(text, "fuzz.yaml"), [], [None])
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@FUZZ
@given(st.text(max_size=300) | _fragments())
def test_any_text_loads_or_is_refused(text: str) -> None:
    _load_text(text)


@FUZZ
@given(st.integers(0, len(SHIPPED) - 1), st.integers(0, 40), _fragments())
def test_the_shipped_file_cut_and_spliced_loads_or_is_refused(at: int, cut: int,
                                                              splice: str) -> None:
    _load_text(SHIPPED[:at] + splice + SHIPPED[at + cut:])


@FUZZ
@given(st.text(max_size=40) | st.sampled_from(TOKENS) | st.floats() | st.integers()
       | st.booleans() | st.none())
def test_any_amount_parses_or_is_refused(value: object) -> None:
    for parse in (lambda v: parse_amount(v, "USD", {"PKR": 280.0}), parse_number):
        try:
            number = parse(value)
        except AmountError as exc:
            assert str(exc)
        else:
            assert isinstance(number, float)


EXPR_TOKENS = ["a", "b", "spend(a)", "exports(b)", "+", "-", "*", "/", "(", ")", "<=",
               ">=", "==", "<", "1", "2.5", "10M", "1,000", "1e308", "1e999", "inf", "nan",
               "**", "__import__('os')", "a.b", "[1]", "lambda: 1", " ", "\n", "0", "x"]


@FUZZ
@given(st.lists(st.sampled_from(EXPR_TOKENS), max_size=30).map(" ".join)
       | st.text(max_size=80))
def test_any_expression_parses_or_is_refused(text: str) -> None:
    try:
        relation = parse_relation(text, ["a", "b"])
    except ExpressionError as exc:
        assert str(exc)
    else:
        assert relation.coefs and all(c == c for c in relation.coefs.values())


JSON_TOKENS = ["{", "}", "[", "]", ",", ":", '"status"', '"allocation"', '"units"',
               '"lever"', "null", "true", "1e400", "-0", "NaN", "Infinity", "1" * 400,
               '"\\u0000"', '"\\"', " ", "\n", "0.5", '"optimal"']


def _json_texts() -> st.SearchStrategy[str]:
    values = st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers()
        | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["status", "allocation", "lever", "units",
                                           "total_cost", "by_period", "x"]), inner,
                          max_size=4),
        max_leaves=20)
    return (values.map(json.dumps)
            | st.lists(st.sampled_from(JSON_TOKENS), max_size=40).map("".join))


@FUZZ
@given(_json_texts())
def test_any_result_file_reads_or_is_refused(text: str) -> None:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"fuzz-{os.getpid()}.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read_result_file(path)
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        path.unlink(missing_ok=True)

