"""Confirmation pages before permanent or disruptive actions, the same way for each of them (a helper module
the views share, not a blueprint).

The action's URL answers GET with a page that says what will happen (who is affected, how many, whether
it can be undone) and a POST form carrying the CSRF token, the action's own fields and an explicit
``confirm`` field; a POST without that field changes nothing and shows the page again. Plain HTML: no
JavaScript is needed.
"""
from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request

CONFIRM = "yes"


@dataclass
class Confirmation:
    """What a confirmation page says, and its buttons."""

    title: str
    effects: list[str]  # what will happen, who is affected, how many
    undo: str  # whether and how it can be undone
    button: str
    cancel_url: str
    permanent: bool = False
    notes: list[str] = field(default_factory=list)


def confirmed() -> bool:
    """True when the POST carries the confirmation page's explicit ``confirm`` field."""
    return request.form.get("confirm") == CONFIRM


def confirmation_page(confirmation: Confirmation, form, *, problem: str | None = None):
    """The confirmation page (status 200), or, with ``problem``, shown again after a refused POST (400)."""
    html = render_template("confirm.html", c=confirmation, form=form, problem=problem, confirm_value=CONFIRM)
    return html, 400 if problem else 200


def unless_confirmed(confirmation: Confirmation, form, *, refusal: str | None = None):
    """The confirmation page while the action is not confirmed: on GET, and again (400) after a POST that is
    unconfirmed or whose form does not check; None once confirmed, when the action may go ahead.

    With a ``refusal`` (why the action cannot be taken at all: nothing to confirm), that is said on the page
    the confirmation's cancel link leads to."""
    if refusal:
        flash(refusal, "error")
        return redirect(confirmation.cancel_url)
    if request.method == "GET":
        return confirmation_page(confirmation, form)
    if not (form.validate_on_submit() and confirmed()):
        return refused_page(confirmation, form)
    return None


def refused_page(confirmation: Confirmation, form):
    """The page again after a POST that cannot go ahead: unconfirmed, or a field missing."""
    if not confirmed():
        return confirmation_page(confirmation, form, problem="Nothing was changed: confirm on this page to go ahead.")
    return confirmation_page(confirmation, form, problem="Nothing was changed: correct the form below.")
