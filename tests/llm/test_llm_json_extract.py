"""The one JSON-object extractor for model answers."""

from __future__ import annotations

import pytest

from distsafe.llm.json_extract import JSONExtractError, extract_json_object


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        '  ```json\n{"a": 1}\n```  ',
        '```\n{"a": 1}\n```',
        'Here you go: {"a": 1} -- done. {"b": 2}',
    ],
)
def test_finds_the_object(text):
    assert extract_json_object(text) == {"a": 1}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("no braces", "no '{'"),
        ('{"a": ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
    ],
)
def test_says_why_there_is_none(text, fragment):
    with pytest.raises(JSONExtractError, match=fragment):
        extract_json_object(text)
