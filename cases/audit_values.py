"""Personal values beside the audit chain: what an entry's details commit to, and reading them back.

An entry's details are hashed into its case's chain. Personal values (the subject's name, email
and primary keys, recipients, free texts: notes, reasons, questions, verification notes, mail
errors) are not: each is replaced in the details by a salted commitment,

    {"commitment": SHA-256(salt ‖ UTF-8 JSON of the value)}

(the salt is 16 random bytes, the JSON has sorted keys and no spaces), and the value with its salt
is kept in the entry's row of AuditValues, keyed by that commitment. Retention erases the values
and salts: the chain still verifies, because it never hashed them, and a value that is kept can be
checked against the commitment the chain holds.

The rule: under a key named in PERSONAL_KEYS, at any depth of the details, every value (a string,
number, list, or each value of a nested object such as a change's "old" and "new") is committed
separately. These functions are pure: no database.
"""

import hashlib
import json
import re
import secrets
from typing import Any

# Keys whose values are personal, wherever they appear in an entry's details.
PERSONAL_KEYS = frozenset(
    {
        "subject_name",
        "subject_email",
        "primary_keys",
        "recipient",
        "notes",  # verification notes
        "text",  # a case note
        "reason",  # of a status change, an extension, a legal hold
        "question",  # the clarification asked of the subject
        "error",  # a mail server's answer can quote the address
    }
)
# What an erased value reads as, and a value whose row is gone without an erasure (tampering).
ERASED = "(erased)"
MISSING = "(missing)"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Values = dict[str, dict[str, Any]]  # commitment -> {"salt": hex, "value": the value}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def commitment_of(salt: str, value: Any) -> str:
    """SHA-256 over the salt's bytes and the value's canonical JSON (UTF-8)."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical_json(value).encode()).hexdigest()


def is_commitment(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and len(node) == 1
        and isinstance(node.get("commitment"), str)
        and bool(_HEX64.match(node["commitment"]))
    )


def _commit_all(node: Any, values: Values) -> Any:
    if isinstance(node, dict):
        return {key: _commit_all(value, values) for key, value in node.items()}
    salt = secrets.token_bytes(16).hex()
    digest = commitment_of(salt, node)
    values[digest] = {"salt": salt, "value": node}
    return {"commitment": digest}


def _split(node: Any, values: Values) -> Any:
    if isinstance(node, dict):
        return {
            key: _commit_all(value, values) if key in PERSONAL_KEYS else _split(value, values)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_split(item, values) for item in node]
    return node


def split_personal(details: dict) -> tuple[dict, Values]:
    """The details with every personal value replaced by its commitment, and the values (with
    their salts) keyed by commitment. `details` must already be plain JSON."""
    values: Values = {}
    return _split(details, values), values


def commitments_in(node: Any) -> list[str]:
    """Every commitment in an entry's details, in order."""
    if is_commitment(node):
        return [node["commitment"]]
    if isinstance(node, dict):
        return [c for value in node.values() for c in commitments_in(value)]
    if isinstance(node, list):
        return [c for item in node for c in commitments_in(item)]
    return []


def reveal(node: Any, values: Values | None, *, absent: str = ERASED) -> Any:
    """The details as they were given: each commitment replaced by its kept value, or by `absent`
    where the values are gone (None)."""
    if is_commitment(node):
        if values is None or node["commitment"] not in values:
            return absent
        return values[node["commitment"]]["value"]
    if isinstance(node, dict):
        return {key: reveal(value, values, absent=absent) for key, value in node.items()}
    if isinstance(node, list):
        return [reveal(item, values, absent=absent) for item in node]
    return node


def values_problem(details: dict, values: Values) -> str | None:
    """Why the kept values do not match the commitments of the details (None when they do): a
    value or salt changed, a value added or taken away."""
    committed = commitments_in(details)
    if sorted(committed) != sorted(values):
        return "its personal values are not the ones its details commit to"
    for digest, kept in values.items():
        try:
            matches = commitment_of(kept["salt"], kept["value"]) == digest
        except (KeyError, TypeError, ValueError):
            matches = False
        if not matches:
            return "a personal value does not match its commitment in the chain"
    return None
