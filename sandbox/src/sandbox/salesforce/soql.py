"""A SOQL subset for the Salesforce sandbox: parse, check against a schema, evaluate.

Pure Python so the query semantics (case-insensitive text comparison, datetime
literals compared as instants, nulls in `!=`, 15/18-character ids) can be unit
tested without a server. Supported:

    SELECT f1, Rel.f2 | COUNT() FROM Obj [WHERE ...] [ORDER BY f [ASC|DESC]
    [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]

with =, !=, <>, <, <=, >, >=, [NOT] IN (...), LIKE, INCLUDES/EXCLUDES, AND, OR,
NOT and parentheses. Errors carry the Salesforce error code (MALFORMED_QUERY,
INVALID_FIELD, INVALID_TYPE) and a message in Salesforce's style.

Record ids (the 18-character checksum, comparison by the first 15 characters) come from
`sandbox.salesforce.ids`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sandbox.salesforce.ids import is_sf_id

# ------------------------------------------------------------------------ errors


class SoqlError(Exception):
    """A query error as Salesforce reports it: `[{"message", "errorCode"}]` with HTTP 400."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def payload(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.code}]


def _located(text: str, pos: int, message: str) -> str:
    """Salesforce's error layout: the query, a caret under the column, row/column, message."""
    before = text[:pos]
    row = before.count("\n") + 1
    col = pos - (before.rfind("\n") + 1) + 1
    line = text.splitlines()[row - 1] if text else ""
    return f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{message}"


# ------------------------------------------------------------------------ schema

# Field types used for checking literals and for comparison semantics.
ID, REFERENCE, STRING, PICKLIST, MULTIPICKLIST, BOOLEAN, DOUBLE, DATETIME, DATE = (
    "id", "reference", "string", "picklist", "multipicklist", "boolean", "double", "datetime", "date",
)

# Relationship name -> related object, where it is not derivable from the name.
RELATIONSHIPS = {"Owner": "User", "CreatedBy": "User", "LastModifiedBy": "User", "Parent": None}

# docs/data-contract.md: the Account fields the sandbox always knows, with their types.
ACCOUNT_FIELDS: dict[str, str] = {
    "Id": ID, "Name": STRING, "Type": PICKLIST, "OwnerId": REFERENCE, "Owner.Name": STRING,
    "Website": STRING, "IsDeleted": BOOLEAN, "CreatedDate": DATETIME,
    "LastModifiedDate": DATETIME, "SystemModstamp": DATETIME,
    "Support_Level__c": PICKLIST, "CARR_This_Account__c": DOUBLE,
    "Number_of_Licenses_This_Account__c": DOUBLE, "Market_Segment__c": PICKLIST,
    "Sales_Segmentation__c": PICKLIST, "Technical_Account_Manager_Name__c": STRING,
    "Zendesk_Organization_ID__c": STRING, "Zendesk_Organization_Name__c": STRING,
    "GitLab_Deployment__c": MULTIPICKLIST,
}
DECLARED_FIELDS: dict[str, dict[str, str]] = {"Account": ACCOUNT_FIELDS}
# Fields every record has, whatever its object.
SYSTEM_FIELDS: dict[str, str] = {
    "Id": ID, "IsDeleted": BOOLEAN, "CreatedDate": DATETIME,
    "LastModifiedDate": DATETIME, "SystemModstamp": DATETIME,
}

_DATETIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def related_object(relationship: str, owner_object: str) -> str:
    """The object a relationship points at: Owner -> User, Foo__r -> Foo__c, Parent -> self."""
    if relationship in RELATIONSHIPS:
        return RELATIONSHIPS[relationship] or owner_object
    if relationship.endswith("__r"):
        return relationship[:-3] + "__c"
    return relationship


def relationship_id_field(relationship: str) -> str:
    """The lookup field holding a relationship's id: Owner -> OwnerId, Foo__r -> Foo__c."""
    return relationship[:-3] + "__c" if relationship.endswith("__r") else relationship + "Id"


def infer_type(name: str, value: Any) -> str:
    """A field type from a stored value (for fields not declared)."""
    if name == "Id":
        return ID
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return DOUBLE
    if isinstance(value, str):
        if _DATETIME_VALUE.match(value):
            return DATETIME
        if _DATE_VALUE.match(value):
            return DATE
        if name.endswith("Id") and is_sf_id(value):
            return REFERENCE
    return STRING


@dataclass
class Schema:
    """The known fields of one object: canonical name -> type ("Rel.Field" for relationships)."""

    sobject: str
    fields: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lower = {k.lower(): k for k in self.fields}

    def add(self, name: str, ftype: str) -> None:
        if name.lower() not in self._lower:
            self.fields[name] = ftype
            self._lower[name.lower()] = name

    def resolve(self, name: str) -> str | None:
        return self._lower.get(name.lower())

    def relationships(self) -> set[str]:
        return {k.split(".", 1)[0].lower() for k in self.fields if "." in k}

    @classmethod
    def build(cls, sobject: str, docs: Iterable[dict] = ()) -> Schema:
        """Declared fields of `sobject` plus the union of the keys of its stored docs.

        Types of undeclared fields come from the first non-null value seen.
        """
        declared = dict(DECLARED_FIELDS.get(sobject, SYSTEM_FIELDS))
        schema = cls(sobject, dict(declared))
        typed: set[str] = set(declared)  # names whose type is settled

        def note(path: str, name: str, value: Any) -> None:
            if path in typed:
                return
            if value is None:
                schema.add(path, STRING)
                return
            typed.add(path)
            canonical = schema.resolve(path)
            if canonical is None:
                schema.add(path, infer_type(name, value))
            else:
                schema.fields[canonical] = infer_type(name, value)

        for doc in docs:
            for key, value in doc.items():
                if key in typed or key == "attributes":
                    continue
                if isinstance(value, dict):
                    for sub, subval in value.items():
                        if sub != "attributes" and isinstance(subval, dict):  # Parent.Profile.Name
                            for sub2, val2 in subval.items():
                                if sub2 != "attributes":
                                    note(f"{key}.{sub}.{sub2}", sub2, val2)
                        elif sub != "attributes":
                            note(f"{key}.{sub}", sub, subval)
                else:
                    note(key, key, value)
        return schema


# ------------------------------------------------------------------------ tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\dT])
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+))(?![A-Za-z_])
  | (?P<string>')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
LIKE_ESCAPE = "\x00"  # marks a \% or \_ in a string literal: literal in LIKE, plain elsewhere

KEYWORDS = {
    "SELECT", "FROM", "WHERE", "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST",
    "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES",
    "TRUE", "FALSE", "NULL", "COUNT",
}


@dataclass(frozen=True)
class Token:
    kind: str  # ident, keyword, string, number, date, datetime, op, punct, eof
    value: Any
    pos: int
    text: str


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens; keywords are recognised case-insensitively."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise SoqlError("MALFORMED_QUERY", _located(text, pos, f"unexpected token: '{text[pos]}'"))
        kind = m.lastgroup
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "string":
            value, end = _read_string(text, pos)
            tokens.append(Token("string", value, pos, text[pos:end]))
            pos = end
            continue
        raw = m.group(kind)
        value: Any = raw
        if kind == "ident" and raw.upper() in KEYWORDS:
            kind, value = "keyword", raw.upper()
        elif kind == "number":
            value = float(raw) if any(c in raw for c in ".") else int(raw)
        elif kind == "datetime":
            value = parse_datetime(raw)
        elif kind == "date":
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                raise SoqlError("MALFORMED_QUERY", _located(text, pos, f"invalid date: {raw}")) from None
        tokens.append(Token(kind, value, pos, raw))
        pos = m.end()
    tokens.append(Token("eof", None, len(text), ""))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "'":
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            elif nxt in ("%", "_"):
                out.append(LIKE_ESCAPE + nxt)
            else:
                raise SoqlError(
                    "MALFORMED_QUERY",
                    _located(text, i, f"Invalid string literal '{text[start:i + 2]}'. Illegal escape sequence"),
                )
            i += 2
            continue
        out.append(ch)
        i += 1
    raise SoqlError("MALFORMED_QUERY", _located(text, start, "unterminated string literal"))


def parse_datetime(value: str) -> float:
    """Epoch seconds of an ISO date-time, with Z, +hh:mm or +hhmm (the stored form)."""
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def format_datetime(epoch: float) -> str:
    """Salesforce's stored/returned form: 2026-11-20T10:15:00.000+0000."""
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


# ------------------------------------------------------------------------ syntax


@dataclass
class FieldRef:
    name: str  # as written; `resolve` fills canonical
    pos: int
    canonical: str = ""
    ftype: str = STRING


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, date, datetime
    value: Any
    pos: int
    text: str


@dataclass
class Compare:
    field: FieldRef
    op: str  # =, !=, <, <=, >, >=, IN, NOT IN, LIKE, INCLUDES, EXCLUDES
    values: list[Literal]


@dataclass
class BoolOp:
    op: str  # AND, OR, NOT
    args: list[Any]


@dataclass
class OrderItem:
    field: FieldRef
    descending: bool = False
    nulls_first: bool | None = None

    @property
    def effective_nulls_first(self) -> bool:
        """SOQL's default: nulls first ascending, last descending."""
        return (not self.descending) if self.nulls_first is None else self.nulls_first


@dataclass
class Query:
    text: str
    sobject: str
    sobject_pos: int
    fields: list[FieldRef]
    count_only: bool = False
    where: Any = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.value in words

    def error(self, tok: Token | None = None, message: str | None = None) -> SoqlError:
        tok = tok or self.tok
        shown = tok.text if tok.kind != "eof" else "<EOF>"
        return SoqlError("MALFORMED_QUERY", _located(self.text, tok.pos, message or f"unexpected token: '{shown}'"))

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.error()
        return self.advance()

    def expect_punct(self, ch: str) -> Token:
        if self.tok.kind != "punct" or self.tok.value != ch:
            raise self.error()
        return self.advance()

    def field_ref(self) -> FieldRef:
        if self.tok.kind != "ident":
            raise self.error()
        tok = self.advance()
        return FieldRef(tok.value, tok.pos)

    # -- grammar
    def query(self) -> Query:
        self.expect_kw("SELECT")
        fields: list[FieldRef] = []
        count_only = False
        if self.is_kw("COUNT"):
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
            count_only = True
        else:
            fields.append(self.field_ref())
            while self.tok.kind == "punct" and self.tok.value == ",":
                self.advance()
                fields.append(self.field_ref())
        self.expect_kw("FROM")
        if self.tok.kind != "ident" or "." in self.tok.value:
            raise self.error()
        obj = self.advance()
        q = Query(self.text, obj.value, obj.pos, fields, count_only)
        if self.is_kw("WHERE"):
            self.advance()
            q.where = self.condition()
        if self.is_kw("ORDER"):
            self.advance()
            self.expect_kw("BY")
            q.order_by.append(self.order_item())
            while self.tok.kind == "punct" and self.tok.value == ",":
                self.advance()
                q.order_by.append(self.order_item())
        if self.is_kw("LIMIT"):
            self.advance()
            q.limit = self.non_negative_int()
        if self.is_kw("OFFSET"):
            self.advance()
            q.offset = self.non_negative_int()
        if self.tok.kind != "eof":
            raise self.error()
        return q

    def non_negative_int(self) -> int:
        if self.tok.kind != "number" or not isinstance(self.tok.value, int) or self.tok.value < 0:
            raise self.error()
        return self.advance().value

    def order_item(self) -> OrderItem:
        item = OrderItem(self.field_ref())
        if self.is_kw("ASC", "DESC"):
            item.descending = self.advance().value == "DESC"
        if self.is_kw("NULLS"):
            self.advance()
            if not self.is_kw("FIRST", "LAST"):
                raise self.error()
            item.nulls_first = self.advance().value == "FIRST"
        return item

    def condition(self) -> Any:
        """AND and OR cannot be mixed without parentheses, as in real SOQL."""
        first = self.unary()
        if not self.is_kw("AND", "OR"):
            return first
        op = self.tok.value
        args = [first]
        while self.is_kw("AND", "OR"):
            if self.tok.value != op:
                raise self.error()
            self.advance()
            args.append(self.unary())
        return BoolOp(op, args)

    def unary(self) -> Any:
        if self.is_kw("NOT"):
            self.advance()
            return BoolOp("NOT", [self.unary()])
        if self.tok.kind == "punct" and self.tok.value == "(":
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Compare:
        ref = self.field_ref()
        if self.tok.kind == "op":
            op = self.advance().value
            return Compare(ref, "!=" if op == "<>" else op, [self.literal()])
        if self.is_kw("NOT"):
            self.advance()
            if not self.is_kw("IN"):
                raise self.error()
            self.advance()
            return Compare(ref, "NOT IN", self.literal_list())
        if self.is_kw("IN", "INCLUDES", "EXCLUDES"):
            op = self.advance().value
            return Compare(ref, op, self.literal_list())
        if self.is_kw("LIKE"):
            self.advance()
            return Compare(ref, "LIKE", [self.literal()])
        raise self.error()

    def literal_list(self) -> list[Literal]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.tok.kind == "punct" and self.tok.value == ",":
            self.advance()
            values.append(self.literal())
        self.expect_punct(")")
        return values

    def literal(self) -> Literal:
        tok = self.tok
        if tok.kind in ("string", "number", "date", "datetime"):
            self.advance()
            return Literal(tok.kind, tok.value, tok.pos, tok.text)
        if tok.kind == "keyword" and tok.value in ("TRUE", "FALSE"):
            self.advance()
            return Literal("boolean", tok.value == "TRUE", tok.pos, tok.text)
        if tok.kind == "keyword" and tok.value == "NULL":
            self.advance()
            return Literal("null", None, tok.pos, tok.text)
        raise self.error()


def parse(text: str) -> Query:
    """Parse a SOQL query (syntax only); raises SoqlError(MALFORMED_QUERY)."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "unexpected token: <EOF>")
    return _Parser(text).query()


# ------------------------------------------------------------------- resolution

_LITERAL_FOR_TYPE = {
    ID: ("string",), REFERENCE: ("string",), STRING: ("string",), PICKLIST: ("string",),
    MULTIPICKLIST: ("string",), BOOLEAN: ("boolean",), DOUBLE: ("number",),
    DATETIME: ("datetime",), DATE: ("date",),
}
_TYPE_WORDS = {
    ID: "id", REFERENCE: "reference", STRING: "string", PICKLIST: "string",
    MULTIPICKLIST: "string", BOOLEAN: "boolean", DOUBLE: "double", DATETIME: "dateTime", DATE: "date",
}


def _no_such_column(q: Query, ref: FieldRef, schema: Schema) -> SoqlError:
    if "." in ref.name:
        rel, rest = ref.name.split(".", 1)
        if rel.lower() not in schema.relationships():
            msg = (
                f"Didn't understand relationship '{rel}' in field path. If you are attempting to use a "
                "custom relationship, be sure to append the '__r' after the custom relationship name. "
                "Please reference your WSDL or the describe call for the appropriate names."
            )
            return SoqlError("INVALID_FIELD", _located(q.text, ref.pos, msg))
        entity = related_object(next(k.split(".")[0] for k in schema.fields
                                     if k.lower().startswith(rel.lower() + ".")), schema.sobject)
        name = rest
    else:
        entity, name = schema.sobject, ref.name
    msg = (
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )
    return SoqlError("INVALID_FIELD", _located(q.text, ref.pos, msg))


def _resolve_ref(q: Query, ref: FieldRef, schema: Schema) -> None:
    canonical = schema.resolve(ref.name)
    if canonical is None:
        raise _no_such_column(q, ref, schema)
    ref.canonical = canonical
    ref.ftype = schema.fields[canonical]


def _check_literal(q: Query, ref: FieldRef, lit: Literal, op: str) -> None:
    if lit.kind == "null":
        if op not in ("=", "!="):
            raise SoqlError("MALFORMED_QUERY", _located(q.text, lit.pos, "unexpected token: 'null'"))
        return
    allowed = _LITERAL_FOR_TYPE.get(ref.ftype, ("string",))
    if lit.kind in allowed:
        return
    word = _TYPE_WORDS.get(ref.ftype, "string")
    quoted = "should be enclosed in quotes" if "string" in allowed else "should not be enclosed in quotes"
    msg = f"value of filter criterion for field '{ref.canonical}' must be of type {word} and {quoted}"
    raise SoqlError("INVALID_FIELD", _located(q.text, lit.pos, msg))


def _resolve_where(q: Query, node: Any, schema: Schema) -> None:
    if isinstance(node, BoolOp):
        for arg in node.args:
            _resolve_where(q, arg, schema)
        return
    _resolve_ref(q, node.field, schema)
    ref = node.field
    if node.op == "LIKE" and ref.ftype not in (STRING, PICKLIST, ID, REFERENCE):
        msg = f"invalid operator on {_TYPE_WORDS.get(ref.ftype, 'string')} field: LIKE"
        raise SoqlError("INVALID_FIELD", _located(q.text, ref.pos, msg))
    if node.op in ("INCLUDES", "EXCLUDES") and ref.ftype != MULTIPICKLIST:
        msg = f"invalid operator on {_TYPE_WORDS.get(ref.ftype, 'string')} field: {node.op}"
        raise SoqlError("INVALID_FIELD", _located(q.text, ref.pos, msg))
    for lit in node.values:
        _check_literal(q, ref, lit, "=" if node.op in ("IN", "NOT IN") else node.op)


def resolve(q: Query, schema: Schema) -> Query:
    """Check every field against the schema and record canonical names and types."""
    seen: set[str] = set()
    for ref in q.fields:
        _resolve_ref(q, ref, schema)
        if ref.canonical in seen:
            raise SoqlError("MALFORMED_QUERY", _located(q.text, ref.pos, f"duplicate field selected: {ref.canonical}"))
        seen.add(ref.canonical)
    if q.where is not None:
        _resolve_where(q, q.where, schema)
    for item in q.order_by:
        _resolve_ref(q, item.field, schema)
        if item.field.ftype == MULTIPICKLIST:
            msg = f"field '{item.field.canonical}' can not be sorted in a query call"
            raise SoqlError("INVALID_FIELD", _located(q.text, item.field.pos, msg))
    return q


# ------------------------------------------------------------------- evaluation


def getter(path: str) -> Callable[[dict], Any]:
    """Value of a field path in a stored doc (relationships nested without attributes)."""
    if "." not in path:
        return lambda doc: doc.get(path)
    parts = path.split(".")

    def get(doc: dict) -> Any:
        cur: Any = doc
        for part in parts:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(part)
        return cur

    return get


def _normalizer(ftype: str) -> Callable[[Any], Any]:
    """How a field's values compare: text folded, ids by 15 chars, datetimes as instants."""
    if ftype in (ID, REFERENCE):
        return lambda v: v[:15] if isinstance(v, str) else v
    if ftype in (STRING, PICKLIST, MULTIPICKLIST):
        return lambda v: v.casefold() if isinstance(v, str) else v
    if ftype == DATETIME:
        def dt(v: Any) -> Any:
            if isinstance(v, (int, float)):
                return float(v)
            try:
                return parse_datetime(v) if isinstance(v, str) else v
            except ValueError:
                return None
        return dt
    if ftype == DATE:
        def d(v: Any) -> Any:
            if isinstance(v, date):
                return v
            try:
                return date.fromisoformat(v[:10]) if isinstance(v, str) else v
            except ValueError:
                return None
        return d
    return lambda v: v


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == LIKE_ESCAPE and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _plain(value: Any) -> Any:
    return value.replace(LIKE_ESCAPE, "") if isinstance(value, str) else value


def _multi(value: Any) -> frozenset[str]:
    if not isinstance(value, str) or not value:
        return frozenset()
    return frozenset(p.strip().casefold() for p in value.split(";") if p.strip())


_ORDERING = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _compile_compare(node: Compare) -> Callable[[dict], bool]:
    get = getter(node.field.canonical)
    norm = _normalizer(node.field.ftype)
    op = node.op
    if op == "LIKE":
        rx = _like_regex(node.values[0].value or "")
        return lambda doc: isinstance(v := get(doc), str) and rx.fullmatch(v) is not None
    if op in ("INCLUDES", "EXCLUDES"):
        wanted = [_multi(_plain(lit.value)) for lit in node.values]

        def includes(doc: dict) -> bool:
            have = _multi(get(doc))
            return any(w <= have for w in wanted if w)

        if op == "INCLUDES":
            return includes
        return lambda doc: not includes(doc)
    values = [norm(_plain(lit.value)) for lit in node.values]
    if node.field.ftype == MULTIPICKLIST and op in ("=", "!=", "IN", "NOT IN"):
        sets = {_multi(_plain(lit.value)) if lit.value is not None else None for lit in node.values}

        def member(doc: dict) -> bool:
            v = get(doc)
            return (None if v is None else _multi(v)) in sets

        return member if op in ("=", "IN") else (lambda doc: not member(doc))
    if op in ("=", "IN"):
        target = set(values)
        return lambda doc: norm(get(doc)) in target
    if op in ("!=", "NOT IN"):
        target = set(values)
        return lambda doc: norm(get(doc)) not in target
    cmp = _ORDERING[op]
    ref = values[0]

    def ordered(doc: dict) -> bool:
        v = norm(get(doc))
        if v is None:
            return False
        try:
            return cmp(v, ref)
        except TypeError:
            return False

    return ordered


def compile_where(node: Any) -> Callable[[dict], bool]:
    """A predicate over stored docs for a resolved WHERE tree."""
    if node is None:
        return lambda doc: True
    if isinstance(node, Compare):
        return _compile_compare(node)
    preds = [compile_where(a) for a in node.args]
    if node.op == "NOT":
        inner = preds[0]
        return lambda doc: not inner(doc)
    if node.op == "AND":
        return lambda doc: all(p(doc) for p in preds)
    return lambda doc: any(p(doc) for p in preds)


def sort_docs(docs: list[dict], order_by: list[OrderItem]) -> list[dict]:
    """Stable multi-key sort with SOQL's null placement."""
    for item in reversed(order_by):
        get = getter(item.field.canonical)
        norm = _normalizer(item.field.ftype)
        nulls_first = item.effective_nulls_first
        # With reverse=True the flag order flips, so choose the flag accordingly.
        null_flag = (not nulls_first) if not item.descending else nulls_first

        def key(doc: dict, get=get, norm=norm, null_flag=null_flag) -> tuple:
            v = norm(get(doc))
            if v is None:
                return (null_flag, 0)
            return (not null_flag, v)

        docs.sort(key=key, reverse=item.descending)
    return docs


def projector(fields: list[FieldRef], sobject: str, version: str) -> Callable[[dict], dict]:
    """Build the function turning a stored doc into a result record: attributes, then the
    selected fields in order; relationship fields nested under one object with attributes."""
    url_prefix = f"/services/data/v{version}/sobjects/{sobject}/"
    plan: list[tuple[str, list[list[str]] | None]] = []
    groups: dict[str, list[list[str]]] = {}
    for ref in fields:
        parts = ref.canonical.split(".")
        if len(parts) == 1:
            plan.append((parts[0], None))
            continue
        if parts[0] not in groups:
            groups[parts[0]] = []
            plan.append((parts[0], groups[parts[0]]))
        groups[parts[0]].append(parts)

    def project_one(doc: dict) -> dict:
        rid = doc.get("Id")
        rec: dict[str, Any] = {
            "attributes": {"type": sobject, "url": url_prefix + rid} if rid else {"type": sobject}
        }
        for key, paths in plan:
            if paths is None:
                rec[key] = doc.get(key)
            else:
                for parts in paths:
                    _project_path(rec, doc, parts, sobject, version)
        return rec

    return project_one


def project(doc: dict, fields: list[FieldRef], sobject: str, version: str) -> dict:
    """One result record (see `projector`)."""
    return projector(fields, sobject, version)(doc)


def _attributes(sobject: str, record_id: Any, version: str) -> dict[str, str]:
    attrs = {"type": sobject}
    if record_id:
        attrs["url"] = f"/services/data/v{version}/sobjects/{sobject}/{record_id}"
    return attrs


def _project_path(rec: dict, doc: dict | None, parts: list[str], sobject: str, version: str) -> None:
    rel, rest = parts[0], parts[1:]
    nested = doc.get(rel) if isinstance(doc, dict) else None
    if not rest:
        rec[rel] = nested
        return
    if not isinstance(nested, dict):
        rec.setdefault(rel, None)
        return
    target_type = related_object(rel, sobject)
    existing = rec.get(rel)
    if not isinstance(existing, dict):
        rel_id = nested.get("Id") or (doc or {}).get(relationship_id_field(rel))
        existing = {"attributes": _attributes(target_type, rel_id, version)}
        rec[rel] = existing
    if len(rest) == 1:
        existing[rest[0]] = nested.get(rest[0])
    else:
        _project_path(existing, nested, rest, target_type, version)


@dataclass
class Result:
    """An evaluated query: the projected records (or only a count for COUNT())."""

    total: int
    records: list[dict]


def execute(q: Query, docs: Iterable[dict], version: str = "59.0") -> Result:
    """Filter, sort, slice and project resolved `q` over stored docs."""
    pred = compile_where(q.where)
    matched = [d for d in docs if pred(d)]
    if q.count_only:
        n = len(matched[q.offset :])
        return Result(n if q.limit is None else min(n, q.limit), [])
    if q.order_by:
        sort_docs(matched, q.order_by)
    end = None if q.limit is None else q.offset + q.limit
    sliced = matched[q.offset : end]
    one = projector(q.fields, q.sobject, version)
    return Result(len(sliced), [one(d) for d in sliced])


def run(text: str, docs: list[dict], sobject_schema: Schema | None = None, version: str = "59.0") -> Result:
    """Parse, resolve (against `sobject_schema`, or one built from `docs`) and execute."""
    q = parse(text)
    schema = sobject_schema or Schema.build(canonical_object(q.sobject, DECLARED_FIELDS) or q.sobject, docs)
    if schema.sobject.lower() != q.sobject.lower():
        raise invalid_type(q)
    q.sobject = schema.sobject
    resolve(q, schema)
    return execute(q, docs, version)


def canonical_object(name: str, known: Iterable[str]) -> str | None:
    """The known object name matching `name` case-insensitively (SOQL object names are)."""
    lowered = name.lower()
    return next((k for k in known if k.lower() == lowered), None)


def invalid_type(q: Query) -> SoqlError:
    msg = (
        f"sObject type '{q.sobject}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )
    return SoqlError("INVALID_TYPE", _located(q.text, q.sobject_pos, msg))
