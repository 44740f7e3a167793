"""Reading forms: required fields, and values the API's schemas refuse, as messages next to their field."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from admin_ui.session import UiContext
from network.accounts.password_reset import PASSWORD_MAX, PASSWORD_MIN

_MSGSPEC_PATH = re.compile(r"at `\$\.([A-Za-z0-9_]+)")
_MSGSPEC_MISSING = re.compile(r"missing required field `([A-Za-z0-9_]+)`")


@dataclass
class FormErrors:
    """Messages per field (shown next to it) and for the whole form (shown above it)."""

    fields: dict[str, str]
    form: list[str]

    def __bool__(self) -> bool:
        return bool(self.fields or self.form)

    @classmethod
    def empty(cls) -> FormErrors:
        return cls({}, [])

    def flattened(self) -> FormErrors:
        """Every message for the top of the page, when the form they belong to is no longer shown (the item
        was decided meanwhile and left the list)."""
        return FormErrors({}, [*self.form, *self.fields.values()])


def misplaced(errors: FormErrors | None, failed: object, shown: set[object]) -> FormErrors | None:
    return errors.flattened() if errors and failed is not None and failed not in shown else None


def invalid_input(exc: msgspec.ValidationError, ctx: UiContext) -> FormErrors:
    """A form value the API's schema refuses (msgspec): the message goes next to the field."""
    text = str(exc)
    missing = _MSGSPEC_MISSING.search(text)
    if missing:
        return FormErrors({missing.group(1): ctx.t("err.required")}, [])
    at = _MSGSPEC_PATH.search(text)
    if at:
        return FormErrors({at.group(1): ctx.t("err.invalid_value")}, [])
    return FormErrors({}, [ctx.t("err.invalid")])


def required(values: dict[str, str], ctx: UiContext, *names: str) -> FormErrors:
    errors = FormErrors.empty()
    for name in names:
        if not values.get(name):
            errors.fields[name] = ctx.t("err.required")
    return errors


def check_new_password(
    values: dict[str, str], ctx: UiContext, errors: FormErrors, field: str, again: str, mismatch_key: str
) -> None:
    """A new password typed twice (``field``, ``again``): the sign-up policy's length (10 to 256 characters,
    network/accounts/password_reset.py) and the two the same, as messages next to the fields."""
    password = values.get(field, "")
    if password and len(password) < PASSWORD_MIN:
        errors.fields[field] = ctx.t("err.password_short")
    elif len(password) > PASSWORD_MAX:
        errors.fields[field] = ctx.t("err.invalid_value")
    elif password and values.get(again) and values[again] != password:
        errors.fields[again] = ctx.t(mismatch_key)
