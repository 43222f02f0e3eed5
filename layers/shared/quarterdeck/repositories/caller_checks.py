"""The check a request's writes carry of the caller's standing (`store.guarded`): a
ConditionCheck on their person record, built here with the people's keys and attribute names
(`repositories.people` documents the record)."""

from __future__ import annotations

from typing import Any

from quarterdeck import keys
from quarterdeck.store import Write

CALLER = "caller"
"""The name of `caller_check`'s action in a transaction."""


def caller_check(email: str, *, jti: str, issued_ms: int, role: str | None) -> Write:
    """`PeopleRepository.caller_check`, for the table (and the in-memory twin, which checks the
    same record by the same rule: quarterdeck.auth.standing). Its placeholders start `qdg_` so
    the check can join the condition of a write to the same record."""
    names = {"#qdg_status": "status", "#qdg_revoked": "revoked", "#qdg_jti": jti, "#qdg_after": "sessions_after"}
    values: dict[str, Any] = {":qdg_removed": "removed", ":qdg_issued": issued_ms}
    condition = (
        "attribute_exists(pk) AND (attribute_not_exists(#qdg_status) OR #qdg_status <> :qdg_removed)"
        " AND attribute_not_exists(#qdg_revoked.#qdg_jti)"
        " AND (attribute_not_exists(#qdg_after) OR #qdg_after <= :qdg_issued)"
    )
    if role == "admin":
        names["#qdg_admin"] = "admin"
        values[":qdg_true"] = True
        condition += " AND #qdg_admin = :qdg_true"
    elif role == "crew":
        names.update({"#qdg_admin": "admin", "#qdg_role": "role"})
        values.update({":qdg_true": True, ":qdg_crew": "crew", ":qdg_admin_role": "admin"})
        condition += " AND (#qdg_admin = :qdg_true OR #qdg_role IN (:qdg_crew, :qdg_admin_role))"
    pk, sk = keys.person(email)
    return Write(
        "ConditionCheck",
        key={"pk": pk, "sk": sk},
        name=CALLER,
        condition=condition,
        names=names,
        values=values,
        return_old=True,
    )
