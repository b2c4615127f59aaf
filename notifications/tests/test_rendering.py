import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.rendering import (
    MissingValuesError,
    TemplateSyntaxError,
    parse,
    placeholders,
    render,
    render_many,
)


def test_renders_simple_and_spaced_placeholders():
    assert render(
        "Deal {{deal_id}} is {{ status }}.", {"deal_id": 123, "status": "open"}
    ) == ("Deal 123 is open.")


def test_renders_multiple_placeholders_and_repeats():
    text = "{{a}}-{{ b }}-{{a}}\nAction: {{ action }}"

    assert (
        render(text, {"a": 1, "b": 2.5, "action": "Review"})
        == "1-2.5-1\nAction: Review"
    )


def test_dotted_paths_follow_dict_keys_and_list_indices():
    context = {"deal": {"address": {"city": "Austin"}, "units": [{"n": 1}, {"n": 2}]}}

    assert (
        render("{{ deal.address.city }} #{{ deal.units.1.n }}", context) == "Austin #2"
    )


def test_values_render_with_str():
    assert (
        render("{{a}} {{b}} {{c}}", {"a": None, "b": True, "c": [1]}) == "None True [1]"
    )


def test_missing_values_are_all_named():
    with pytest.raises(MissingValuesError) as caught:
        render_many(["{{ a }} {{ b.c }}", "{{ d.0 }} {{ a }}"], {"b": {}, "d": []})

    assert caught.value.missing == ["a", "b.c", "d.0"]


@pytest.mark.parametrize(
    "path", ["a.__class__", "a.__class__.__mro__", "a.keys", "a.upper", "s.__len__"]
)
def test_attributes_are_never_followed(path):
    context = {"a": {"x": 1}, "s": "text"}

    with pytest.raises(MissingValuesError) as caught:
        render("{{ " + path + " }}", context)

    assert caught.value.missing == [path]


def test_index_into_a_string_is_not_followed():
    with pytest.raises(MissingValuesError):
        render("{{ s.0 }}", {"s": "abc"})


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("Deal {{ deal_id }", 5, "not closed"),
        ("{{}}", 0, "empty placeholder"),
        ("x {{   }}", 2, "empty placeholder"),
        ("{{ a b }}", 0, "invalid placeholder"),
        ("{{ a. }}", 0, "invalid placeholder"),
        ("{{ 1abc }}", 0, "invalid placeholder"),
        ("{{ a {{ b }}", 0, "not closed"),
        ("oops }} {{ a }}", 5, "without a matching"),
        ("{{ a }} }}", 8, "without a matching"),
    ],
)
def test_malformed_syntax_names_the_position(text, position, message):
    with pytest.raises(TemplateSyntaxError, match=message) as caught:
        parse(text)

    assert caught.value.position == position
    assert f"position {position}" in str(caught.value)


def test_placeholders_lists_distinct_paths_in_order():
    assert placeholders("{{ b }} {{a}}", None, "{{ b }} {{ c.d }}") == ["b", "a", "c.d"]


def test_single_braces_are_literal():
    assert render("{a} { {b} }", {}) == "{a} { {b} }"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
template_text = st.lists(
    st.sampled_from(["{{", "}}", " ", ".", "a", "b", "0", "_", "__class__", "x{", "}"])
    | st.text(max_size=5),
    max_size=30,
).map("".join)


@given(text=template_text, context=st.dictionaries(st.text(max_size=8), json_values))
def test_rendering_raises_only_our_own_errors(text, context):
    try:
        result = render(text, context)
    except (TemplateSyntaxError, MissingValuesError):
        return
    assert isinstance(result, str)
