"""The post/task id codec: built and parsed in one place."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsafe.models.ids import (
    IdKind,
    format_id,
    interaction_id,
    parse_id,
    parse_post_id,
    parse_task_id,
    post_id,
    task_id,
)


def test_format_and_parse_by_hand():
    assert post_id(7) == "post_7"
    assert task_id(0) == "task_0"
    assert format_id(IdKind.POST, 12) == "post_12"
    assert parse_post_id("post_12") == 12
    assert parse_task_id("task_3") == 3
    assert interaction_id(2, 5, 9) == "2-5-9"


@pytest.mark.parametrize(
    "text", ["", "post", "post_", "post_-1", "post_1a", "task_4", "Post_4", " post_4", "post_²", "post_1.0"]
)
def test_not_a_post_id_parses_to_minus_one(text):
    assert parse_post_id(text) == -1


def test_kinds_do_not_mix():
    assert parse_task_id(post_id(3)) == -1
    assert parse_post_id(task_id(3)) == -1


@given(st.sampled_from(list(IdKind)), st.integers(min_value=0, max_value=2**62))
def test_round_trip(kind, number):
    text = format_id(kind, number)
    assert text.startswith(kind.value + "_")
    assert parse_id(kind, text) == number


@given(
    st.sampled_from(list(IdKind)),
    st.one_of(st.text(max_size=12), st.from_regex(r"(post|task)_[0-9]{1,5}", fullmatch=True)),
)
def test_parse_is_total_and_inverts_format(kind, text):
    n = parse_id(kind, text)
    assert n >= -1  # never raises; -1 for anything that is not an id of this kind
    if n >= 0:  # then the text is the prefix and the decimal digits of n (leading zeros allowed)
        prefix = kind.value + "_"
        assert text.startswith(prefix) and int(text[len(prefix) :]) == n
