"""The errors every action raises when a rule forbids what was asked: each carries a Chinese message.

Views show the message next to `field` when the form has it; the JSON API answers 422 (invalid),
403 (forbidden) or 409 (conflict) with `code`, `message` and `field`."""

from __future__ import annotations


class ActionError(Exception):
    """A rule refused the action. `field` names the form field to show it next to, if any."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(ActionError):
    code = "forbidden"


class Conflict(ActionError):
    """Someone else changed the record first."""

    code = "conflict"
