"""Sandbox imitation of the Salesforce REST API (served over https).

What simple-salesforce and the Airflow SalesforceHook use: OAuth token and SOAP
login, SOQL query/queryAll with `nextRecordsUrl` paging, limits, describe, and
record reads/creates/updates/upserts/deletes. Records live in the store
collection `sf_<Object>` keyed by 18-character Id with ts = SystemModstamp.

Login also answers `POST /`: simple-salesforce builds its login URL as
`https://{domain}.salesforce.com/...`, so the sandbox connection uses the domain
`host:port#`, whose fragment swallows the rest of the URL and lands here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.app import ServiceContext
from sandbox.core.collections import sf_collection
from sandbox.core.record_pages import salesforce_routes
from sandbox.salesforce import ids, soql

try:  # msgspec (an Airflow dependency) decodes and encodes several times faster than json
    import msgspec

    _decode: Callable[[bytes | str], Any] = msgspec.json.Decoder().decode
    _encode: Callable[[Any], bytes | str] = msgspec.json.Encoder().encode
except ImportError:  # pragma: no cover - plain json still works, only slower
    _decode = json.loads

    def _encode(obj: Any) -> bytes | str:
        return json.dumps(obj, separators=(",", ":"))

API_VERSIONS = [f"{v}.0" for v in range(52, 63)]
DEFAULT_VERSION = "59.0"  # simple-salesforce's default, for logins whose URL carries none
DAILY_API_MAX = 15000
BATCH_SIZE = 2000
CURSOR_TTL = 15 * 60  # Salesforce drops idle query locators after 15 minutes
MAX_CURSORS = 20
MAX_CACHED_OBJECTS = 3  # parsed collections kept in memory between queries
CACHE_IDLE = 10 * 60
JSON_TYPE = "application/json;charset=UTF-8"
READ_ONLY_FIELDS = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
SESSION_INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
META_OBJECTS = "sf_objects"  # store meta: {object name: key prefix} of objects created through the API
LOGIN_FAULT = "Invalid username, password, security token; or user locked out."


class ApiError(Exception):
    """An error response in Salesforce's list shape."""

    def __init__(self, status: int, body: list[dict[str, Any]]):
        super().__init__(body[0]["message"] if body else "")
        self.status = status
        self.body = body


def _error(status: int, code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(status, [{"message": message, "errorCode": code, **extra}])


class SalesforceState:
    """Per-sandbox runtime state: sessions, API usage, query cursors and the clock."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.tokens: dict[str, float] = {}  # access token -> issued at (wall clock)
        self.usage_day = ""
        self.usage = 0
        self.cursors: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.doc_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.write_gen: dict[str, int] = {}
        self.cursor_seq = 0
        self.org_id = ids.make_id("00D", 1)
        self.user_id = ids.make_id("005", 1)
        anchor = ctx.config.now
        self.anchor = soql.parse_datetime(anchor) if anchor else None
        self.started = time.time()

    # -- clock: the data's "now" moves forward from the configured instant
    def now(self) -> float:
        if self.anchor is None:
            return time.time()
        return self.anchor + (time.time() - self.started)

    # -- sessions
    def issue_token(self) -> str:
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(72)}"
        with self.lock:
            self.tokens[token] = time.time()
        return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            issued = self.tokens.get(token)
            if issued is None:
                return False
            ttl = self.ctx.config.token_ttl
            if ttl and time.time() - issued > ttl:
                del self.tokens[token]
                return False
            return True

    # -- daily API usage, reported in Sforce-Limit-Info
    def count_call(self) -> int:
        day = time.strftime("%Y-%m-%d", time.gmtime(self.now()))
        with self.lock:
            if day != self.usage_day:
                self.usage_day, self.usage = day, 0
            self.usage += 1
            return self.usage

    # -- query cursors
    def new_cursor(self, pages: list[str], total: int, batch: int) -> str:
        with self.lock:
            self._expire()
            self.cursor_seq += 1
            cid = ids.make_id("01g", self.cursor_seq)
            self.cursors[cid] = {"pages": pages, "total": total, "batch": batch, "touched": time.time()}
            while len(self.cursors) > MAX_CURSORS:
                self.cursors.popitem(last=False)
            return cid

    def cursor(self, cid: str) -> dict[str, Any] | None:
        with self.lock:
            self._expire()
            cur = self.cursors.get(cid)
            if cur is not None:
                cur["touched"] = time.time()
                self.cursors.move_to_end(cid)
            return cur

    # -- parsed documents, reused while the collection is unchanged
    def docs(self, sobject: str) -> tuple[list[dict], soql.Schema]:
        """All docs of an object (including deleted) and its schema, cached.

        The cache is checked against (count, max seq, max ts) of the collection, so
        docs written straight into the store (loader, tests) are seen, and against
        this service's own writes.
        """
        coll = sf_collection(sobject)
        stamp = (
            self.ctx.store.conn.execute(
                "SELECT COUNT(*), MAX(seq), MAX(ts) FROM docs WHERE collection=?", (coll,)
            ).fetchone(),
            self.write_gen.get(coll, 0),
        )
        with self.lock:
            entry = self.doc_cache.get(coll)
            if entry is not None and entry["stamp"] == stamp:
                entry["touched"] = time.time()
                self.doc_cache.move_to_end(coll)
                return entry["docs"], entry["schema"]
        rows = self.ctx.store.conn.execute(
            "SELECT doc FROM docs WHERE collection=? ORDER BY seq", (coll,)
        ).fetchall()
        docs = _decode("[" + ",".join(r[0] for r in rows) + "]")
        schema = soql.Schema.build(sobject, docs)
        with self.lock:
            self.doc_cache[coll] = {"stamp": stamp, "docs": docs, "schema": schema, "touched": time.time()}
            self.doc_cache.move_to_end(coll)
            idle = time.time() - CACHE_IDLE
            for key in [k for k, v in self.doc_cache.items() if v["touched"] < idle]:
                del self.doc_cache[key]
            while len(self.doc_cache) > MAX_CACHED_OBJECTS:
                self.doc_cache.popitem(last=False)
        return docs, schema

    def wrote(self, sobject: str) -> None:
        coll = sf_collection(sobject)
        with self.lock:
            self.write_gen[coll] = self.write_gen.get(coll, 0) + 1
            self.doc_cache.pop(coll, None)

    def _expire(self) -> None:
        limit = time.time() - CURSOR_TTL
        for cid in [c for c, v in self.cursors.items() if v["touched"] < limit]:
            del self.cursors[cid]


# --------------------------------------------------------------------------- helpers


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return Response(body, status, headers=headers, media_type=JSON_TYPE)


def _known_objects(ctx: ServiceContext) -> dict[str, str]:
    """Object name -> key prefix for every object the sandbox knows."""
    known = {name: ids.STANDARD_KEY_PREFIXES.get(name, "") for name in soql.DECLARED_FIELDS}
    known.update(ctx.store.get_meta(META_OBJECTS, {}) or {})
    cached = ctx.extra.setdefault("sf_collections", {})
    known.update({k: v for k, v in cached.items() if k not in known})
    return known


def _resolve_object(ctx: ServiceContext, name: str) -> str | None:
    """The canonical name of an object, case-insensitively; None when unknown."""
    found = soql.canonical_object(name, _known_objects(ctx))
    if found:
        return found
    if ctx.store.count(sf_collection(name)):
        ctx.extra.setdefault("sf_collections", {})[name] = ids.STANDARD_KEY_PREFIXES.get(name, "")
        return name
    # Rare path: an object the loader wrote under another spelling.
    for coll in ctx.store.collections():
        if coll.startswith("sf_") and coll[3:].lower() == name.lower():
            ctx.extra.setdefault("sf_collections", {})[coll[3:]] = ids.STANDARD_KEY_PREFIXES.get(coll[3:], "")
            return coll[3:]
    return None


def _key_prefix(ctx: ServiceContext, sobject: str) -> str:
    """Key prefix of an object; custom objects get a0X on first use (kept in store meta)."""
    if sobject in ids.STANDARD_KEY_PREFIXES:
        return ids.STANDARD_KEY_PREFIXES[sobject]
    registry = ctx.store.get_meta(META_OBJECTS, {}) or {}
    if registry.get(sobject):
        return registry[sobject]
    used = set(registry.values())
    n = 0
    while True:
        prefix = "a" + ids.BASE62[n // 62] + ids.BASE62[n % 62]
        if prefix not in used:
            break
        n += 1
    registry[sobject] = prefix
    ctx.store.set_meta(META_OBJECTS, registry)
    return prefix


# --------------------------------------------------------------------------- login


def _check_password(ctx: ServiceContext, username: str | None, password: str | None) -> bool:
    creds = ctx.credentials
    expected = creds.get("password", "") + creds.get("security_token", "")
    return (
        username is not None and password is not None
        and hmac.compare_digest(username.lower(), creds.get("username", "").lower())
        and hmac.compare_digest(password, expected)
    )


def _oauth_response(ctx: ServiceContext, st: SalesforceState) -> Response:
    token = st.issue_token()
    issued = str(int(time.time() * 1000))
    key = ctx.credentials.get("consumer_secret", "").encode()
    sig = base64.b64encode(hmac.new(key, (ctx.base_url + issued).encode(), hashlib.sha256).digest()).decode()
    return _json({
        "access_token": token,
        "instance_url": ctx.base_url,
        "id": f"{ctx.base_url}/id/{st.org_id}/{st.user_id}",
        "token_type": "Bearer",
        "issued_at": issued,
        "signature": sig,
    })


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return _json({"error": error, "error_description": description}, status)


async def _oauth_token(request: Request, ctx: ServiceContext, st: SalesforceState) -> Response:
    form = await request.form()
    grant = form.get("grant_type")
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _oauth_error("invalid_client", "invalid client credentials", 401)
    creds = ctx.credentials
    client_ok = (
        client_id is not None and client_secret is not None
        and hmac.compare_digest(str(client_id), creds.get("consumer_key", ""))
        and hmac.compare_digest(str(client_secret), creds.get("consumer_secret", ""))
    )
    if grant == "client_credentials":
        if not client_ok:
            return _oauth_error("invalid_client", "invalid client credentials")
        return _oauth_response(ctx, st)
    if grant == "password":
        if client_id is None or client_id != creds.get("consumer_key"):
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if not client_ok:
            return _oauth_error("invalid_client", "invalid client credentials")
        if not _check_password(ctx, form.get("username"), form.get("password")):
            return _oauth_error("invalid_grant", "authentication failure")
        return _oauth_response(ctx, st)
    return _oauth_error("unsupported_grant_type", "grant type not supported")


def _soap_fault(code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, 500, media_type="text/xml;charset=UTF-8")


async def _soap_login(request: Request, ctx: ServiceContext, st: SalesforceState, version: str) -> Response:
    raw = await request.body()
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return _soap_fault("INVALID_LOGIN", LOGIN_FAULT)
    values: dict[str, str] = {}
    for el in root.iter():
        local = el.tag.rsplit("}", 1)[-1]
        if local in ("username", "password"):
            values[local] = el.text or ""
    if not _check_password(ctx, values.get("username"), values.get("password")):
        return _soap_fault("INVALID_LOGIN", LOGIN_FAULT)
    token = st.issue_token()
    base = ctx.base_url
    org = st.org_id[:15]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{base}/services/Soap/m/{version}/{org}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{base}/services/Soap/u/{version}/{org}</serverUrl>"
        f"<sessionId>{escape(token)}</sessionId><userId>{st.user_id}</userId>"
        f"<userInfo><organizationId>{st.org_id}</organizationId>"
        f"<userName>{escape(ctx.credentials.get('username', ''))}</userName>"
        f"<sessionSecondsValid>{ctx.config.token_ttl}</sessionSecondsValid></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, 200, media_type="text/xml;charset=UTF-8")


# --------------------------------------------------------------------------- query


def _batch_size(request: Request) -> int:
    """`Sforce-Query-Options: batchSize=N` (200..2000), else 2000."""
    opts = request.headers.get("sforce-query-options", "")
    m = re.search(r"batchSize=(\d+)", opts)
    if not m:
        return BATCH_SIZE
    return max(200, min(BATCH_SIZE, int(m.group(1))))


def _text(data: bytes | str) -> str:
    return data.decode() if isinstance(data, bytes) else data


def _page_body(total: int, done: bool, page: str, next_url: str | None) -> str:
    head = f'{{"totalSize":{total},"done":{"true" if done else "false"},'
    if next_url:
        head += f'"nextRecordsUrl":{json.dumps(next_url)},'
    return head + f'"records":{page}}}'


def _run_query(ctx: ServiceContext, st: SalesforceState, text: str, version: str,
               include_deleted: bool, batch: int) -> str:
    """Evaluate a query and return the first page (registering a cursor for the rest)."""
    q = soql.parse(text)
    sobject = _resolve_object(ctx, q.sobject)
    if sobject is None:
        raise soql.invalid_type(q)
    q.sobject = sobject
    docs, schema = st.docs(sobject)
    soql.resolve(q, schema)
    if not include_deleted:
        docs = [d for d in docs if not d.get("IsDeleted")]
    result = soql.execute(q, docs, version)
    records = result.records
    if len(records) <= batch:
        return _page_body(result.total, True, _text(_encode(records)), None)
    pages = [_text(_encode(records[i : i + batch])) for i in range(0, len(records), batch)]
    cid = st.new_cursor(pages, result.total, batch)
    return _page_body(result.total, False, pages[0], f"/services/data/v{version}/query/{cid}-{batch}")


def _query_more(st: SalesforceState, locator: str, version: str) -> str:
    cid, _, offset_s = locator.partition("-")
    cur = st.cursor(cid)
    if cur is None or not offset_s.isdigit() or int(offset_s) % cur["batch"]:
        raise _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    index = int(offset_s) // cur["batch"]
    if index >= len(cur["pages"]):
        raise _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    done = index == len(cur["pages"]) - 1
    nxt = None if done else f"/services/data/v{version}/query/{cid}-{(index + 1) * cur['batch']}"
    return _page_body(cur["total"], done, cur["pages"][index], nxt)


# --------------------------------------------------------------------------- records


def _record_out(doc: dict, sobject: str, version: str, fields: list[str] | None = None) -> dict:
    """A record as GET /sobjects returns it: flat fields (no relationship objects)."""
    out: dict[str, Any] = {"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{doc.get('Id')}"}}
    if fields:
        for name in fields:
            out[name] = doc.get(name)
        return out
    out.update({k: v for k, v in doc.items() if not isinstance(v, dict) and k != "attributes"})
    return out


def _clean_fields(ctx: ServiceContext, sobject: str, body: Any, existing: dict | None) -> dict[str, Any]:
    """Validate a write body: canonical names, no read-only or unknown fields."""
    if not isinstance(body, dict):
        raise _error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    schema = soql.Schema(sobject, dict(soql.DECLARED_FIELDS.get(sobject, soql.SYSTEM_FIELDS)))
    for key, value in (existing or {}).items():
        if not isinstance(value, dict):
            schema.add(key, soql.infer_type(key, value))
    custom_object = sobject.endswith("__c")
    out: dict[str, Any] = {}
    read_only: list[str] = []
    for key, value in body.items():
        if key == "attributes":
            continue
        canonical = schema.resolve(key)
        if canonical is None:
            if not custom_object and key not in READ_ONLY_FIELDS:
                raise _error(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}")
            canonical = key
        if canonical in READ_ONLY_FIELDS or "." in canonical or isinstance(value, dict):
            read_only.append(key)
            continue
        out[canonical] = value
    if read_only:
        raise _error(
            400, "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(read_only)}. Please check the security settings "
            "of this field and verify that it is read/write for your profile or permission set.",
            fields=read_only,
        )
    return out


def _seq_of(ctx: ServiceContext, coll: str, key: str) -> int | None:
    """Keep a record's position in the store when it is rewritten."""
    row = ctx.store.conn.execute("SELECT seq FROM docs WHERE collection=? AND key=?", (coll, key)).fetchone()
    return row[0] if row else None


def _save(ctx: ServiceContext, sobject: str, doc: dict, stamp: float) -> None:
    coll = sf_collection(sobject)
    ctx.store.put(coll, doc["Id"], doc, ts=int(stamp), seq=_seq_of(ctx, coll, doc["Id"]))
    ctx.extra["salesforce"].wrote(sobject)


def _stamp(st: SalesforceState, previous: dict | None) -> tuple[float, str]:
    """A modification time strictly after the record's last one."""
    now = st.now()
    if previous and previous.get("SystemModstamp"):
        try:
            now = max(now, soql.parse_datetime(previous["SystemModstamp"]) + 0.001)
        except ValueError:
            pass
    return now, soql.format_datetime(now)


def _find(ctx: ServiceContext, sobject: str, record_id: str) -> dict:
    if not ids.is_sf_id(record_id):
        raise _error(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {record_id}")
    doc = ctx.store.get(sf_collection(sobject), ids.to18(record_id))
    if doc is None:
        raise ApiError(404, NOT_FOUND)
    return doc


def _create(ctx: ServiceContext, st: SalesforceState, sobject: str, fields: dict[str, Any]) -> str:
    if sobject == "Account" and not fields.get("Name"):
        raise _error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", fields=["Name"])
    coll = sf_collection(sobject)
    prefix = _key_prefix(ctx, sobject)
    n = ctx.store.next_id(coll)
    while ctx.store.get(coll, ids.make_id(prefix, n)) is not None:
        n += 1
    record_id = ids.make_id(prefix, n)
    epoch, stamp = _stamp(st, None)
    doc = {"Id": record_id, **fields, "IsDeleted": False, "CreatedDate": stamp,
           "LastModifiedDate": stamp, "SystemModstamp": stamp}
    _save(ctx, sobject, doc, epoch)
    return record_id


def _update(ctx: ServiceContext, st: SalesforceState, sobject: str, doc: dict, fields: dict[str, Any]) -> None:
    epoch, stamp = _stamp(st, doc)
    doc.update(fields)
    if "OwnerId" in fields and isinstance(doc.get("Owner"), dict):
        doc.pop("Owner")  # the related name is no longer known
    doc["LastModifiedDate"] = stamp
    doc["SystemModstamp"] = stamp
    _save(ctx, sobject, doc, epoch)


def _match_external(st: SalesforceState, sobject: str, field: str, value: str) -> list[dict]:
    docs, _ = st.docs(sobject)
    return [d for d in docs if d.get(field) is not None and str(d.get(field)) == value]


def _describe(ctx: ServiceContext, st: SalesforceState, sobject: str, version: str) -> dict:
    schema = st.docs(sobject)[1]
    fields: list[dict[str, Any]] = []
    relationships: dict[str, str] = {}
    for name, ftype in schema.fields.items():
        if "." in name:
            relationships.setdefault(name.split(".", 1)[0], name)
            continue
        fields.append({
            "name": name, "label": name.removesuffix("__c").replace("_", " "), "type": ftype,
            "custom": name.endswith("__c"), "nillable": name not in ("Id", "Name", "IsDeleted"),
            "createable": name not in READ_ONLY_FIELDS, "updateable": name not in READ_ONLY_FIELDS,
            "externalId": name.endswith("__c") and "ID" in name.upper(),
            "referenceTo": [], "relationshipName": None,
        })
    by_name = {f["name"]: f for f in fields}
    for rel in relationships:
        id_field = soql.relationship_id_field(rel)
        entry = by_name.get(id_field)
        if entry is None:
            entry = {"name": id_field, "label": id_field, "type": "reference", "custom": id_field.endswith("__c"),
                     "nillable": True, "createable": True, "updateable": True, "externalId": False}
            fields.append(entry)
        entry.update(type="reference", referenceTo=[soql.related_object(rel, sobject)], relationshipName=rel)
    return {
        "name": sobject, "label": sobject.removesuffix("__c").replace("_", " "),
        "custom": sobject.endswith("__c"), "keyPrefix": _key_prefix(ctx, sobject) if sobject.endswith("__c")
        else ids.STANDARD_KEY_PREFIXES.get(sobject), "queryable": True, "createable": True,
        "updateable": True, "deletable": True, "fields": fields,
        "urls": {"sobject": f"/services/data/v{version}/sobjects/{sobject}",
                 "describe": f"/services/data/v{version}/sobjects/{sobject}/describe",
                 "rowTemplate": f"/services/data/v{version}/sobjects/{sobject}/{{ID}}"},
    }


def _limits(st: SalesforceState) -> dict:
    used = st.usage
    return {
        "DailyApiRequests": {"Max": DAILY_API_MAX, "Remaining": max(0, DAILY_API_MAX - used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
        "FileStorageMB": {"Max": 20, "Remaining": 20},
    }


# --------------------------------------------------------------------------- dispatch


def _sobject_call(ctx: ServiceContext, st: SalesforceState, method: str, parts: list[str],
                  version: str, body: Any, query_params: dict[str, str]) -> Response:
    """/sobjects/{obj}[/describe | /{id} | /{extField}/{value}]."""
    name = parts[0]
    sobject = _resolve_object(ctx, name)
    if sobject is None:
        if method in ("POST", "PATCH") and name.endswith("__c") and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", name):
            sobject = name  # custom objects come into being on their first write
            _key_prefix(ctx, sobject)
        else:
            raise ApiError(404, NOT_FOUND)
    rest = parts[1:]
    if not rest:
        if method == "POST":
            with st.write_lock:
                record_id = _create(ctx, st, sobject, _clean_fields(ctx, sobject, body, None))
            return _json({"id": record_id, "success": True, "errors": []}, 201)
        if method == "GET":
            return _json({"objectDescribe": {"name": sobject, "custom": sobject.endswith("__c")},
                          "recentItems": []})
        raise _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are GET,POST")
    if rest == ["describe"] and method == "GET":
        return _json(_describe(ctx, st, sobject, version))
    if len(rest) == 1:
        record_id = rest[0]
        if method == "GET":
            doc = _find(ctx, sobject, record_id)
            wanted = [f for f in query_params.get("fields", "").split(",") if f] or None
            return _json(_record_out(doc, sobject, version, wanted))
        with st.write_lock:
            doc = _find(ctx, sobject, record_id)
            if method == "PATCH":
                _update(ctx, st, sobject, doc, _clean_fields(ctx, sobject, body, doc))
                return Response(status_code=204)
            if method == "DELETE":
                if doc.get("IsDeleted"):
                    raise _error(404, "ENTITY_IS_DELETED", "entity is deleted")
                _update(ctx, st, sobject, doc, {})
                doc["IsDeleted"] = True
                _save(ctx, sobject, doc, soql.parse_datetime(doc["SystemModstamp"]))
                return Response(status_code=204)
        raise _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")
    if len(rest) == 2:
        return _external_id_call(ctx, st, method, sobject, rest[0], rest[1], version, body)
    raise ApiError(404, NOT_FOUND)


def _external_id_call(ctx: ServiceContext, st: SalesforceState, method: str, sobject: str,
                      field: str, value: str, version: str, body: Any) -> Response:
    """GET or upsert (PATCH) a record by an external id field."""
    canonical = st.docs(sobject)[1].resolve(field)
    if canonical is None and sobject.endswith("__c") and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", field):
        canonical = field  # a custom object's fields come into being on first write
    if canonical is None or "." in canonical:
        raise _error(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")
    if canonical == "Id":
        matches = [d for d in [ctx.store.get(sf_collection(sobject), ids.to18(value))]
                   if d is not None] if ids.is_sf_id(value) else []
    else:
        matches = _match_external(st, sobject, canonical, value)
    if len(matches) > 1:
        urls = [f"/services/data/v{version}/sobjects/{sobject}/{d['Id']}" for d in matches]
        return _json(urls, 300)
    if method == "GET":
        if not matches:
            raise ApiError(404, NOT_FOUND)
        return _json(_record_out(matches[0], sobject, version))
    if method != "PATCH":
        raise _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH")
    with st.write_lock:
        existing = matches[0] if matches else None
        if existing is not None:
            existing = ctx.store.get(sf_collection(sobject), existing["Id"]) or existing
        fields = _clean_fields(ctx, sobject, body, existing)
        if existing is None:
            if canonical != "Id":
                fields[canonical] = value
            record_id = _create(ctx, st, sobject, fields)
            return _json({"id": record_id, "success": True, "errors": [], "created": True}, 201)
        _update(ctx, st, sobject, existing, fields)
    if float(version) >= 46.0:  # from API 46.0 an update answers 200 with a body; before, 204
        return _json({"id": existing["Id"], "success": True, "errors": [], "created": False}, 200)
    return Response(status_code=204)


def _data_call(ctx: ServiceContext, st: SalesforceState, method: str, version: str, parts: list[str],
               params: dict[str, str], body: Any, batch: int) -> Response:
    """Everything under /services/data/vXX.X/ once the session is checked."""
    if not parts:
        base = f"/services/data/v{version}"
        return _json({"sobjects": f"{base}/sobjects", "query": f"{base}/query",
                      "queryAll": f"{base}/queryAll", "limits": f"{base}/limits"})
    head = parts[0]
    if head in ("query", "queryAll") and method == "GET":
        if len(parts) == 1:
            text = params.get("q")
            if not text:
                raise _error(400, "MALFORMED_QUERY", "A query string has to be specified")
            return _json(_run_query(ctx, st, text, version, head == "queryAll", batch))
        if len(parts) == 2:
            return _json(_query_more(st, parts[1], version))
    if head == "limits" and len(parts) == 1 and method == "GET":
        return _json(_limits(st))
    if head == "sobjects":
        if len(parts) == 1 and method == "GET":
            objects = _known_objects(ctx)
            return _json({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
                {"name": n, "label": n, "custom": n.endswith("__c"), "keyPrefix": p or None,
                 "queryable": True, "urls": {"sobject": f"/services/data/v{version}/sobjects/{n}"}}
                for n, p in sorted(objects.items())]})
        if len(parts) > 1:
            return _sobject_call(ctx, st, method, parts[1:], version, body, params)
    raise ApiError(404, NOT_FOUND)


_VERSION_PATH = re.compile(r"^v(\d+\.\d)(?:/(.*))?$")


def routes(ctx: ServiceContext) -> list[Route]:
    st = SalesforceState(ctx)
    ctx.extra["salesforce"] = st

    async def oauth_token(request: Request) -> Response:
        return await _oauth_token(request, ctx, st)

    async def soap(request: Request) -> Response:
        return await _soap_login(request, ctx, st, request.path_params["version"])

    async def login_root(request: Request) -> Response:
        """Login sent to `https://{host:port#}.salesforce.com/...`: SOAP or OAuth by content type."""
        if "xml" in request.headers.get("content-type", ""):
            return await _soap_login(request, ctx, st, DEFAULT_VERSION)
        return await _oauth_token(request, ctx, st)

    async def versions(request: Request) -> Response:
        return _json([{"label": f"API {v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS])

    async def data(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not token or not st.token_valid(token):
            return _json(SESSION_INVALID, 401, {"WWW-Authenticate": 'Token realm="sandbox"'})
        used = st.count_call()
        headers = {"Sforce-Limit-Info": f"api-usage={used}/{DAILY_API_MAX}"}
        m = _VERSION_PATH.match(request.path_params["rest"])
        if not m or m.group(1) not in API_VERSIONS:
            return _json(NOT_FOUND, 404, headers)
        version = m.group(1)
        parts = [p for p in (m.group(2) or "").split("/") if p]
        body: Any = None
        if request.method in ("POST", "PATCH"):
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return _json([{"message": "Unexpected character in request body",
                               "errorCode": "JSON_PARSER_ERROR"}], 400, headers)
        params = dict(request.query_params)
        batch = _batch_size(request)
        try:
            response = await run_in_threadpool(
                _data_call, ctx, st, request.method, version, parts, params, body, batch)
        except soql.SoqlError as exc:
            return _json(exc.payload(), 400, headers)
        except ApiError as exc:
            return _json(exc.body, exc.status, headers)
        response.headers.update(headers)
        return response

    return [
        Route("/", login_root, methods=["POST"]),
        Route("/services/oauth2/token", oauth_token, methods=["POST"]),
        Route("/services/Soap/u/{version}", soap, methods=["POST"]),
        Route("/services/data", versions),
        Route("/services/data/", versions),
        Route("/services/data/{rest:path}", data, methods=["GET", "POST", "PATCH", "DELETE"]),
        *salesforce_routes(ctx),
    ]
