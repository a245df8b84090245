"""A posted form kept for the one page shown after its redirect (Post/Redirect/Get).

Every POST of the portal answers with a redirect, even when its form has errors or asks for
confirmation, so a reload never sends it again. What the page after the redirect needs (the data
as typed, the errors the rules gave, or "confirm this") is kept in the session under a key and
taken out when that page shows it: a second reload shows the plain page.
"""

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

SESSION_KEY = "kept_forms"
# Enough for any real text (the longest field takes 5,000 characters, so a longer text still
# shows its error); a flood of data is not copied into the session.
MAX_VALUE_CHARS = 10_000
MAX_VALUES = 200
NOT_KEPT = frozenset({"csrfmiddlewaretoken"})


def keep(
    request: HttpRequest,
    key: str,
    form,
    *,
    errors: list[str] | tuple[str, ...] = (),
    confirm: bool = False,
) -> None:
    """Keep `form`'s submitted data for the next display, with rule `errors` (the form's own are
    found again by validating) or with a pending confirmation."""
    data: dict[str, list[str]] = {}
    for name, values in list(form.data.lists())[:MAX_VALUES]:
        if name not in NOT_KEPT:
            data[name] = [str(v)[:MAX_VALUE_CHARS] for v in values[:MAX_VALUES]]
    kept = request.session.get(SESSION_KEY, {})
    kept[key] = {"data": data, "errors": list(errors), "confirm": confirm}
    request.session[SESSION_KEY] = kept


def restore(request: HttpRequest, key: str, form_class, **kwargs):
    """The kept form under `key` rebuilt and validated (its errors and the kept rule errors on
    it), with whether it waits for confirmation; (None, False) when nothing was kept. Taken out
    of the session: shown once."""
    kept = request.session.get(SESSION_KEY, {})
    state = kept.pop(key, None)
    if state is None:
        return None, False
    request.session[SESSION_KEY] = kept
    form = form_class(data=MultiValueDict(state["data"]), **kwargs)
    form.is_valid()
    for error in state["errors"]:
        form.add_error(None, error)
    return form, bool(state["confirm"]) and not form.errors
