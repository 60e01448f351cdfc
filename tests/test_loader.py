"""The strict YAML loader: one bad file per refusal, checked down to the line."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import time
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st
from yaml.events import NodeEvent

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario import loader
from optimizer.scenario.loader import Loaded, load_yaml, load_yaml_text


def write(tmp_path: Path, text: str | bytes, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path | str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    assert info.value.problems, "a ScenarioError must carry at least one problem"
    return info.value.problems


def only_problem(path: Path | str) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


GOOD = """\
name: Pakistan IT exports
currency: USD
exchange_rates:
  PKR: 285.0
target:
  exports: 10B
  baseline: 1e9
  milestones: {2024: 3B, 2025: 6B}
levers:
  it_workforce:
    unit_cost: 300,000 PKR
    max_units: 1_000_000
    integer: yes
    enabled: no
    share: 1.5
    notes: null
    since: 2024-01-01
constraints:
  - name: first
    expr: "a <= b"
  - name: second
    expr: "10 * a >= 5"
"""


def test_plain_data_as_pyyaml_reads_plain_scalars(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, GOOD))
    lever = loaded.data["levers"]["it_workforce"]
    assert loaded.data["target"] == {
        "exports": "10B",
        "baseline": "1e9",
        "milestones": {2024: "3B", 2025: "6B"},
    }
    assert lever == {
        "unit_cost": "300,000 PKR",
        "max_units": 1_000_000,
        "integer": True,
        "enabled": False,
        "share": 1.5,
        "notes": None,
        "since": dt.date(2024, 1, 1),
    }
    assert loaded.data["constraints"][1] == {"name": "second", "expr": "10 * a >= 5"}
    assert type(loaded.data) is dict
    assert type(loaded.data["constraints"]) is list


def test_file_and_hash(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    loaded = load_yaml(path)
    assert isinstance(loaded, Loaded)
    assert loaded.file == str(path)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_yaml(str(path)).file == str(path)


def test_positions_of_nested_values(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, GOOD))
    assert loaded.positions[()] == (1, 1)
    assert loaded.positions[("name",)] == (1, 7)
    assert loaded.positions[("exchange_rates", "PKR")] == (4, 8)
    assert loaded.positions[("target", "milestones")] == (8, 15)
    assert loaded.positions[("target", "milestones", 2025)] == (8, 32)
    assert loaded.positions[("levers", "it_workforce")] == (11, 5)
    assert loaded.positions[("levers", "it_workforce", "max_units")] == (12, 16)
    assert loaded.positions[("constraints",)] == (19, 3)
    assert loaded.positions[("constraints", 1)] == (21, 5)
    assert loaded.positions[("constraints", 1, "expr")] == (22, 11)


def test_locate_falls_back_to_the_deepest_known_ancestor(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, GOOD))
    assert loaded.locate(["levers", "it_workforce", "unit_cost"]) == (11, 16)
    assert loaded.locate(("levers", "it_workforce", "max_unit")) == (11, 5)
    assert loaded.locate(["constraints", 7, "expr"]) == (19, 3)
    assert loaded.locate(["nowhere", "deeper"]) == (1, 1)
    assert loaded.locate([]) == (1, 1)
    empty = Loaded(file="x", data={}, sha256="", positions={})
    assert empty.locate(["a"]) == (None, None)


def test_positions_are_read_only(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, GOOD))
    with pytest.raises(TypeError):
        loaded.positions[("x",)] = (1, 1)  # type: ignore[index]


def test_load_yaml_text_names_the_source() -> None:
    loaded = load_yaml_text("a: 1\n")
    assert loaded.file == "<string>"
    assert loaded.data == {"a": 1}
    assert loaded.sha256 == hashlib.sha256(b"a: 1\n").hexdigest()
    with pytest.raises(ScenarioError) as info:
        load_yaml_text("a: 1\na: 2\n", file="inline.yaml")
    assert str(info.value) == "inline.yaml:2:1: a: duplicate key 'a' (first at line 1)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    problem = only_problem(path)
    assert problem.file == str(path)
    assert problem.line is None
    assert problem.message == f"cannot read the file: {os.strerror(errno.ENOENT)}"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    problem = only_problem(tmp_path)
    assert problem.message == f"cannot read the file: {os.strerror(errno.EISDIR)}"


def test_not_utf8(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, b"name: x\ncity: Lahore \xff\n"))
    assert (problem.line, problem.col) == (2, 14)
    assert "not UTF-8" in problem.message
    assert "0xff" in problem.message


def test_not_utf8_column_counts_characters(tmp_path: Path) -> None:
    # "é" is two bytes but one column in an editor.
    problem = only_problem(write(tmp_path, "a: 1\nname: café ".encode() + b"\xff\n"))
    assert (problem.line, problem.col) == (2, 12)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, b"\xef\xbb\xbfname: x\n"))
    assert loaded.data == {"name": "x"}
    assert loaded.positions[("name",)] == (1, 7)


def test_tabs_in_indentation_are_reported_per_line(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "levers:\n\tit:\n  x: 1\n"))
    assert (problem.line, problem.col) == (2, 1)
    assert "use spaces" in problem.message or "with spaces" in problem.message
    assert "tab" in problem.message


def test_tab_after_spaces_is_located(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "a:\n  b: |\n    text\n  \t more\n   \tagain\n"))
    assert [(p.line, p.col) for p in problems] == [(4, 3), (5, 4)]


def test_whitespace_only_lines_with_tabs_are_reported(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "a: 1\n  \t\nb: 2\n"))
    assert (problem.line, problem.col) == (2, 3)
    assert "tab" in problem.message


def test_several_problems_at_once(tmp_path: Path) -> None:
    text = (
        "name: first\n"  # 1
        "description: |\n"  # 2
        "  planners wrote\n"  # 3
        "  \tthis with a tab\n"  # 4
        "  \tand this too\n"  # 5
        "levers:\n"  # 6
        "  a:\n"  # 7
        "    max_units: 5\n"  # 8
        "    max_units: 6\n"  # 9
        "name: second\n"  # 10
    )
    problems = problems_of(write(tmp_path, text))
    assert [(p.line, p.path) for p in problems] == [
        (4, ""),
        (5, ""),
        (9, "levers.a.max_units"),
        (10, "name"),
    ]
    assert problems[2].message == "duplicate key 'max_units' (first at line 8)"
    assert problems[3].message == "duplicate key 'name' (first at line 1)"
    assert all(p.file.endswith("scenario.yaml") for p in problems)


def test_alias_is_refused(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "name: x\ncost: &c 5M\nother: *c\n"))
    assert [(p.line, p.col, p.path) for p in problems] == [(2, 7, "cost"), (3, 8, "other")]
    assert problems[0].message == "anchors and aliases are not allowed (got &c)"
    assert problems[1].message == "anchors and aliases are not allowed (got *c)"


def test_anchor_without_alias_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "levers:\n  a: &base\n    unit: x\n"))
    assert (problem.line, problem.path) == (2, "levers.a")
    assert "anchors and aliases are not allowed" in problem.message


def test_merge_key_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "levers:\n  a:\n    <<: {unit: x}\n"))
    assert (problem.line, problem.path) == (3, "levers.a")
    assert "merge keys" in problem.message


BILLION_LAUGHS = "lol0: &l0 lol\n" + "".join(
    f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 10)
)


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, BILLION_LAUGHS)
    start = time.perf_counter()
    problems = problems_of(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    # One report per line, not one per alias.
    assert [p.line for p in problems] == list(range(1, 11))
    assert all("anchors and aliases are not allowed" in p.message for p in problems)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!set {a, b}", "!!set"),
        ("!!binary aGk=", "!!binary"),
        ("!!str 5", "!!str"),
        ("!custom 1", "!custom"),
        ("!!float 1", "!!float"),
        ("! 1", "!"),
    ],
)
def test_explicit_tags_are_refused(tmp_path: Path, value: str, shown: str) -> None:
    problem = only_problem(write(tmp_path, f"name: x\nfield: {value}\n"))
    assert (problem.line, problem.col, problem.path) == (2, 8, "field")
    assert problem.message == f"explicit tags are not allowed (got {shown})"


def test_python_tag_is_refused_and_never_run(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    text = (
        "name: x\n"
        f"levers: !!python/object/apply:os.system ['echo hi; touch {marker}']\n"
        "other: !!python/object/apply:os.system ['echo hi']\n"
    )
    problems = problems_of(write(tmp_path, text))
    assert not marker.exists()
    assert "hi" not in capfd.readouterr().out
    assert [(p.line, p.path) for p in problems] == [(2, "levers"), (3, "other")]
    assert problems[0].message == (
        "explicit tags are not allowed (got !!python/object/apply:os.system)"
    )


def test_multi_document_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "name: one\n---\nname: two\n"))
    assert (problem.line, problem.col) == (2, 1)
    assert problem.message == "multi-document files are not allowed"


def test_single_explicit_document_is_fine(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "---\nname: one\n...\n")).data == {"name": "one"}


def test_problems_in_the_first_of_several_documents_are_found(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "a: 1\na: 2\n---\nb: 3\n"))
    assert [(p.line, p.message) for p in problems] == [
        (2, "duplicate key 'a' (first at line 1)"),
        (3, "multi-document files are not allowed"),
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "~\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert problem.message.startswith("the file is empty")


@pytest.mark.parametrize(
    ("text", "got"), [("- a\n- b\n", "a list"), ("just text\n", "'just text'"), ("42\n", "'42'")]
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert (problem.line, problem.col) == (1, 1)
    assert problem.message.startswith("the top level must be a mapping")
    assert problem.message.endswith(f"(got {got})")


def test_duplicate_keys_deep_in_the_tree(tmp_path: Path) -> None:
    text = "levers:\n  a:\n    unit: x\n  b:\n    unit: y\n  a:\n    unit: z\n"
    problem = only_problem(write(tmp_path, text))
    assert (problem.line, problem.col, problem.path) == (6, 3, "levers.a")
    assert problem.message == "duplicate key 'a' (first at line 2)"


def test_duplicate_in_a_list_item_uses_the_index(tmp_path: Path) -> None:
    text = "constraints:\n  - expr: a\n  - expr: b\n    expr: c\n"
    problem = only_problem(write(tmp_path, text))
    assert (problem.line, problem.path) == (4, "constraints[1].expr")


def test_keys_equal_as_values_are_duplicates(tmp_path: Path) -> None:
    # 2024 and 2024.0 would collide in the dict; the second must not win silently.
    problem = only_problem(write(tmp_path, "milestones:\n  2024: 1B\n  2024.0: 2B\n"))
    assert (problem.line, problem.path) == (3, "milestones.2024.0")
    assert problem.message == "duplicate key 2024.0 (first at line 2)"


def test_non_string_keys_are_kept(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, "per_period:\n  2024: 400M\n  2025: 800M\n"))
    assert loaded.data == {"per_period": {2024: "400M", 2025: "800M"}}
    assert loaded.positions[("per_period", 2025)] == (3, 9)


@pytest.mark.parametrize(
    ("text", "line", "got"),
    [("? [a, b]\n: 1\n", 1, "a list"), ("name: x\n{a: 1}: 2\n", 2, "a mapping")],
)
def test_non_scalar_keys_are_refused(tmp_path: Path, text: str, line: int, got: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert problem.line == line
    assert problem.message == f"a key must be a plain value (got {got})"


@pytest.mark.parametrize(
    ("value", "write_instead"), [("010", "10"), ("0777", "777"), ("-007", "-7"), ("00", "0")]
)
def test_leading_zero_integers_are_refused(tmp_path: Path, value: str, write_instead: str) -> None:
    problem = only_problem(write(tmp_path, f"name: x\nlevers:\n  a:\n    max_units: {value}\n"))
    assert (problem.line, problem.col, problem.path) == (4, 16, "levers.a.max_units")
    assert f"write {write_instead}, or quote it" in problem.message
    assert problem.message.endswith(f"(got {value})")


def test_quoted_or_non_octal_leading_zeros_are_fine(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, "a: '010'\nb: 0\nc: 09\nd: 0.5\n"))
    assert loaded.data == {"a": "010", "b": 0, "c": "09", "d": 0.5}


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("name: x\nlevers: [a, b\nother: 1\n", 3, 6, "expected ',' or ']'"),
        ("name: x\n  bad: 1\n", 2, 6, "mapping values are not allowed here"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "expected <block end>"),
        ("name: 'open\n", 2, 1, "unexpected end of stream"),
        ("a:\t1\n", 1, 3, "tab"),
    ],
)
def test_yaml_syntax_errors(tmp_path: Path, text: str, line: int, col: int, fragment: str) -> None:
    problem = only_problem(write(tmp_path, text))
    assert (problem.line, problem.col) == (line, col)
    assert problem.message.startswith("YAML syntax error: ")
    assert fragment in problem.message


def test_control_characters_are_located(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "name: x\nunit: a\x07b\n"))
    assert (problem.line, problem.col) == (2, 8)
    assert "U+0007" in problem.message


def test_scalars_pyyaml_cannot_construct(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "start: 2024-13-45\nmask: 0b_\n"))
    assert [(p.line, p.path) for p in problems] == [(1, "start"), (2, "mask")]
    assert problems[0].message.startswith("cannot read '2024-13-45'")


def test_deep_nesting_is_refused_without_recursion_error(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert problem.line == 1
    assert "levels deep" in problem.message


def test_non_finite_floats_are_left_for_validation(tmp_path: Path) -> None:
    loaded = load_yaml(write(tmp_path, "a: .inf\nb: 1e9\nc: 1.0e+9\n"))
    assert loaded.data == {"a": float("inf"), "b": "1e9", "c": 1e9}


YAMLISH = st.text(
    alphabet=st.sampled_from(list("ab01e.:-[]{}&*!#|>'\"\n\t ,?%@`~<=_")), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_no_input_escapes_as_anything_but_scenario_error(text: str) -> None:
    try:
        loaded = load_yaml_text(text, file="fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.file == "fuzz.yaml" and p.message for p in exc.problems)
    else:
        assert isinstance(loaded.data, dict)
        assert () in loaded.positions


# libyaml's C parser serves texts that load; everything else is read by PyYAML's
# own parser.  Whichever serves, the result must be the one the Python parser gives.

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
CONFIG_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(CONFIGS.rglob("*.yaml"))]
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="libyaml is not installed")


def typed(value: object) -> object:
    """A value with the type of every part: 1, 1.0 and True compare equal, these do not."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(text: str, parser: Literal["libyaml", "python"]) -> tuple[object, ...]:
    """What loading the text with one parser gives: data and positions, or the problems."""
    try:
        loaded = loader._load(text, "t.yaml", "", parser=parser)
    except ScenarioError as exc:
        return ("refused", [(p.message, p.line, p.col, p.path) for p in exc.problems])
    return ("loaded", typed(loaded.data), [(typed(k), v) for k, v in loaded.positions.items()])


def raw_events(text: str, loader_class: Any) -> object:
    """The parser's events as the loader reads them, or that the parser refuses the text."""
    try:
        return [
            (type(e).__name__, getattr(e, "value", None), getattr(e, "implicit", None),
             e.start_mark.line, e.start_mark.column)
            for e in yaml.parse(text, Loader=loader_class)
            if isinstance(e, NodeEvent)
        ]
    except yaml.YAMLError:
        return "refused"


@needs_libyaml
@pytest.mark.parametrize(
    "text",
    [
        "a:\t1\n",  # a tab between tokens: libyaml accepts it
        "a: |#\n  x\n",  # a comment glued to a block scalar's header: libyaml accepts it
        "a:\n\ufeff  b: 1\n",  # a byte-order mark starting a line: libyaml skips it
        "a: 1\n? b",  # no final line break: libyaml marks b's empty value a line lower
        "a: {b: , c: 1}\n",  # libyaml marks b's empty value at the ",", PyYAML after the ":"
        # libyaml: an empty "!" node is not plain, so "" would not be null; the file
        # is refused (explicit tag), so the Python parser reports it anyway
        "!\n",
    ],
)
def test_texts_libyaml_reads_differently_are_read_as_pyyaml_reads_them(text: str) -> None:
    assert raw_events(text, yaml.CSafeLoader) != raw_events(text, yaml.SafeLoader)
    assert outcome(text, "libyaml") == outcome(text, "python")


@needs_libyaml
def test_a_shipped_config_is_read_by_libyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pure-Python parser was used")

    monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)
    loaded = load_yaml(CONFIGS / "pakistan_it_exports.yaml")
    assert "it_workforce" in loaded.data["levers"]
    assert loaded.positions[("levers", "it_workforce", "max_units")][0] > 1


def test_a_refused_text_is_reported_in_pyyaml_words() -> None:
    # libyaml says "did not find expected ',' or ']'"; the message users see is PyYAML's.
    with pytest.raises(ScenarioError) as info:
        load_yaml_text("name: x\nlevers: [a, b\nother: 1\n")
    assert "YAML syntax error: expected ',' or ']', but got" in str(info.value)


WORDS = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N"]) | st.sampled_from("_ -.:#'\""),
    min_size=1,
    max_size=12,
)
SCALARS = st.one_of(
    WORDS,
    st.text(max_size=30),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e6, 2.6e9, 0.5, 1_000_000, "300k PKR", "10B", "1e9", "90%", "010", "1:30"]),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
)
YEARS = st.integers(2020, 2040)
LEVER = st.fixed_dictionaries(
    {"unit_cost": SCALARS, "max_units": SCALARS, "integer": st.booleans()},
    optional={
        "name": WORDS,
        "per_period": st.dictionaries(YEARS, SCALARS, max_size=3),
        "yield_curve": st.lists(st.lists(SCALARS, min_size=2, max_size=2), max_size=3),
        "notes": st.text(max_size=60),
        "since": st.dates(),
    },
)
SCENARIOS = st.fixed_dictionaries(
    {
        "name": WORDS,
        "currency": st.sampled_from(["USD", "PKR"]),
        "target": st.fixed_dictionaries(
            {"exports": SCALARS}, optional={"milestones": st.dictionaries(YEARS, SCALARS)}
        ),
        "levers": st.dictionaries(WORDS, LEVER, min_size=1, max_size=3),
    },
    optional={"periods": st.lists(YEARS, max_size=4), "extra": SCALARS},
)
DUMP_STYLES = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "default_style": st.sampled_from([None, "'", '"', "|", ">"]),
        "allow_unicode": st.booleans(),
        "width": st.sampled_from([20, 80, 1000]),
        "indent": st.sampled_from([2, 4]),
        "explicit_start": st.booleans(),
    }
)
DUMPED = st.builds(lambda data, style: yaml.safe_dump(data, **style), SCENARIOS, DUMP_STYLES)
SNIPPETS = [
    "&a ", "*a", "!!str ", "! ", "<<: ", "010", "1:30", "\x07", "\t", "\ufeff", "\u2028", "\r",
    "- ", "? ", ": ", "#", "|", ">", "|#", "{", "]", ",", "'", '"', "---\n", "...\n", "%YAML 1.1\n",
    "2024: x", "2024-13-45", "[" * 101, "\ud800", "{a: , b: }", "[a: ]",
]
# (what, which line, where in it, what to insert), the line and place taken modulo the text.
MUTATIONS = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "cut", "unindent"]),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.sampled_from(SNIPPETS),
)


def mutated(text: str, mutations: list[tuple[str, int, int, str]], final_break: bool) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for what, line, place, snippet in mutations:
        i = line % len(lines)
        j = place % (len(lines[i]) + 1)
        if what == "delete":
            del lines[i]
        elif what == "duplicate":
            lines.insert(i, lines[i])
        elif what == "insert":
            lines[i] = lines[i][:j] + snippet + lines[i][j:]
        elif what == "cut":
            lines[i] = lines[i][:j] + lines[i][j + 3 :]
        else:
            lines[i] = lines[i].lstrip(" ")
        lines = lines or [""]
    out = "".join(lines)
    return out if final_break else out.rstrip("\n")


YAML_TEXTS = st.builds(
    mutated,
    st.one_of(DUMPED, st.sampled_from(CONFIG_TEXTS)),
    st.lists(MUTATIONS, max_size=3),
    st.booleans() | st.just(True),
)


@needs_libyaml
@settings(max_examples=300, deadline=None)
@given(YAML_TEXTS)
def test_libyaml_and_the_python_parser_give_the_same_result(text: str) -> None:
    """Scenario-like dumps in several styles and mutated configs load alike either way."""
    served = loader._read(text, "t.yaml", "libyaml").strict
    event("served by libyaml" if served else "read by the Python parser")
    assert outcome(text, "libyaml") == outcome(text, "python")
