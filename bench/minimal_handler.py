"""The floor for warm latency: the sail page, a claim and the task list as a minimal boto3 handler.

Same event in, same work on the same emulated table, same answer out, with nothing else:
no web framework, no validation library, no templates, no domain layer. It checks the JWT
the way the app does (PyJWT, HS256 pinned, audience and issuer), reads the caller's person
record (trusted for 60 s, as the app does), makes the route's own DynamoDB calls with the
low-level client, sends the same two emails a claim sends (raw MIME, text + HTML, through SES v2) and answers JSON.
bench.latency times it against ApiFunction's handler, interleaved.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import boto3
import jwt
from boto3.dynamodb.types import TypeDeserializer

_clients: dict[str, Any] = {}
_secret: dict[str, str] = {}
_people: dict[str, tuple[float, dict[str, Any]]] = {}
_des = TypeDeserializer()
TABLE = os.environ.get("TABLE_NAME", "quarterdeck")
SAIL = re.compile(r"^/api/sails/([\w-]{1,64})$")
CLAIM = re.compile(r"^/api/sails/([\w-]{1,64})/roles/(captain|crew-[1-9][0-9]?)/claim$")


def _client(name: str) -> Any:
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: _des.deserialize(v) for k, v in raw.items()}


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body, default=str),
    }


def _caller(event: dict[str, Any]) -> dict[str, Any] | None:
    if not _secret:
        value = _client("secretsmanager").get_secret_value(SecretId=os.environ["SIGNING_SECRET_ID"])
        _secret.update(json.loads(value["SecretString"]))
    header = (event.get("headers") or {}).get("authorization", "")
    token = header.partition(" ")[2]
    try:
        claims = jwt.decode(
            token, _secret["key"], algorithms=["HS256"], audience="quarterdeck-app", issuer="quarterdeck"
        )
    except jwt.PyJWTError:
        return None
    # The same 60-second trust in a person record read lately as the app (docs/decisions.md).
    seen = _people.get(claims["sub"])
    if seen and time.monotonic() - seen[0] < 60:
        person: dict[str, Any] | None = seen[1]
    else:
        key = {"pk": {"S": f"PERSON#{claims['sub']}"}, "sk": {"S": "META"}}
        found = _client("dynamodb").get_item(TableName=TABLE, Key=key)
        person = _item(found["Item"]) if "Item" in found else None
        if person is not None:
            _people[claims["sub"]] = (time.monotonic(), person)
    if person is None or claims["jti"] in (person.get("revoked") or {}):
        return None
    return dict(claims)


def sail_page(sail_id: str, caller: dict[str, Any]) -> dict[str, Any]:
    # Waivers and history sort last (WAIVER#, ~HIST#): only an admin's page reads them.
    values = {":pk": {"S": f"SAIL#{sail_id}"}}
    condition = "pk = :pk"
    if caller["role"] != "admin":
        values[":end"] = {"S": "WAIVER#"}
        condition += " AND sk < :end"
    found = _client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression=condition, ExpressionAttributeValues=values
    )
    items = [_item(raw) for raw in found["Items"]]
    meta = next((i for i in items if i["sk"] == "META"), None)
    if meta is None:
        return _answer(404, {"error": {"code": "sail_not_found", "message": "There is no such sail."}})
    sail = {k: v for k, v in meta.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "type", "holders")}
    sail["roles"] = [
        {k: i[k] for k in ("slot", "state", "holder", "claimed_at") if k in i} for i in items if i["type"] == "role"
    ]
    lists: dict[str, list[dict[str, Any]]] = {}
    for i in (i for i in items if i["type"] == "check"):
        lists.setdefault(i["list"], []).append({k: i.get(k) for k in ("n", "label", "done", "done_by", "done_at")})
    sail["checklists"] = lists
    guest_fields = ("id", "name", "email", "party_size", "status")
    sail["guests"] = [{k: i[k] for k in guest_fields if k in i} for i in items if i["type"] == "guest"]
    if caller["role"] == "admin":
        sail["history"] = [{k: i.get(k) for k in ("at", "actor", "action")} for i in items if i["type"] == "history"]
    return _answer(200, sail)


def _mail(to: list[str], subject: str, text: str) -> None:
    sender = os.environ["SENDER_EMAIL"]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(to), subject
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    _client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": to},
        Content={"Raw": {"Data": message.as_bytes()}},
    )


def claim(sail_id: str, slot: str, caller: dict[str, Any]) -> dict[str, Any]:
    if caller["role"] not in ("admin", "crew"):
        return _answer(403, {"error": {"code": "forbidden", "message": "Crew only."}})
    dynamodb, pk = _client("dynamodb"), {"S": f"SAIL#{sail_id}"}
    found = dynamodb.batch_get_item(
        RequestItems={TABLE: {"Keys": [{"pk": pk, "sk": {"S": "META"}}, {"pk": pk, "sk": {"S": f"ROLE#{slot}"}}]}}
    )
    by_sk = {i["sk"]: i for i in (_item(raw) for raw in found["Responses"][TABLE])}
    meta, role = by_sk.get("META"), by_sk.get(f"ROLE#{slot}")
    if meta is None or role is None:
        return _answer(404, {"error": {"code": "not_found", "message": "No such sail or slot."}})
    if meta.get("status") == "cancelled" or role.get("state") != "open":
        return _answer(409, {"error": {"code": "role_state", "message": f"{slot} is {role.get('state')}."}})
    email, now = caller["sub"], datetime.now(UTC).replace(microsecond=0).isoformat()
    history = {"pk": pk, "sk": {"S": f"~HIST#{now}#{uuid.uuid4().hex[:16]}"}}
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": pk, "sk": {"S": f"ROLE#{slot}"}},
                    "UpdateExpression": (
                        "SET #state = :claimed, holder = :holder, claimed_at = :at REMOVE designated_at"
                    ),
                    "ConditionExpression": "attribute_exists(pk) AND #state = :open",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":claimed": {"S": "claimed"},
                        ":holder": {"S": email},
                        ":at": {"S": now},
                        ":open": {"S": "open"},
                    },
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {
                        "pk": pk,
                        "sk": {"S": f"HOLDER#{email}"},
                        "type": {"S": "holder"},
                        "slot": {"S": slot},
                        "email": {"S": email},
                        "since": {"S": now},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": {"pk": pk, "sk": {"S": "META"}},
                    "ConditionExpression": "attribute_exists(pk) AND #status <> :cancelled",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":cancelled": {"S": "cancelled"}},
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {
                        **history,
                        "type": {"S": "history"},
                        "at": {"S": now},
                        "actor": {"S": email},
                        "action": {"S": "role_claimed"},
                        "detail": {"M": {"slot": {"S": slot}}},
                    },
                }
            },
        ]
    )
    title = meta.get("title", "Sail")
    _mail([email], f"You're {slot} on {title}", f"You claimed {slot} on {title} ({meta.get('date')}).")
    admins = [a for a in os.environ.get("ADMIN_EMAILS", "").split(",") if a.strip() and a.strip() != email]
    if admins:
        _mail(admins, f"{email} claimed {slot} on {title}", f"{email} claimed {slot} on {title} ({meta.get('date')}).")
    return _answer(200, {"slot": slot, "state": "claimed", "holder": email, "claimed_at": now})


def tasks(caller: dict[str, Any], status: str | None) -> dict[str, Any]:
    if caller["role"] != "admin":
        return _answer(403, {"error": {"code": "forbidden", "message": "Admins only."}})
    columns: dict[str, list[dict[str, Any]]] = {}
    # The same reads as the app: open columns share TASKS#open (sort key <status>#...), the board
    # shows the 50 latest completed; one column is one Query of its sort-key prefix.
    reads = [(status, f"{status}#", None)] if status else [("open", "", None), ("completed", "completed#", 50)]
    for column, prefix, limit in reads:
        partition = "TASKS#completed" if column == "completed" else "TASKS#open"
        query: dict[str, Any] = {
            "TableName": TABLE,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
        }
        if prefix:
            query["KeyConditionExpression"] += " AND begins_with(gsi1sk, :prefix)"
            query["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        if limit:
            query["Limit"] = limit
        for raw in _client("dynamodb").query(**query)["Items"]:
            task = {k: v for k, v in _item(raw).items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk")}
            columns.setdefault(str(task.get("status")), []).append(task)
    return _answer(200, {"today": datetime.now(UTC).date().isoformat(), "columns": columns})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    caller = _caller(event)
    if caller is None:
        return _answer(401, {"error": {"code": "unauthenticated", "message": "Please sign in."}})
    if method == "GET" and (match := SAIL.match(path)):
        return sail_page(match.group(1), caller)
    if method == "POST" and (match := CLAIM.match(path)):
        return claim(match.group(1), match.group(2), caller)
    if method == "GET" and path == "/api/tasks":
        return tasks(caller, (event.get("queryStringParameters") or {}).get("status"))
    return _answer(404, {"error": {"code": "no_route", "message": "There is no such API route."}})
