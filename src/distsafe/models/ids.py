"""The one codec for the string ids of feed and task objects: "post_<N>", "task_<N>".

Inside the engine posts and tasks are integers (rows of numpy columns); their ids appear as strings only
at the edges (events, observations, agents' actions). Every place that builds or reads such a string goes
through `format_id` / `parse_id`, so the format lives here alone.
"""

from __future__ import annotations

from enum import Enum


class IdKind(str, Enum):
    """What an id names; its value is the id's prefix."""

    POST = "post"
    TASK = "task"


def format_id(kind: IdKind, number: int) -> str:
    """`format_id(IdKind.POST, 3) == "post_3"`."""
    return f"{kind.value}_{int(number)}"


def parse_id(kind: IdKind, text: str) -> int:
    """The number in an id of this kind; -1 when `text` is not one (wrong prefix, no digits, a sign)."""
    prefix = kind.value + "_"
    if text.startswith(prefix):
        digits = text[len(prefix) :]
        if digits.isascii() and digits.isdigit():
            return int(digits)
    return -1


def post_id(number: int) -> str:
    return format_id(IdKind.POST, number)


def task_id(number: int) -> str:
    return format_id(IdKind.TASK, number)


def parse_post_id(text: str) -> int:
    return parse_id(IdKind.POST, text)


def parse_task_id(text: str) -> int:
    return parse_id(IdKind.TASK, text)


def interaction_id(epoch: int, step: int, index: int) -> str:
    """Id of the index-th interaction of a step, as object agents see it in `InteractionOutcome`."""
    return f"{epoch}-{step}-{index}"
