"""What a column's sample values should look like when the spec gives no hint: a kind, a
range and a NULL share guessed from the column's name and type (maps as data)."""
from __future__ import annotations

import re

from generator.model import Column, ColumnHint

# (name pattern, kind, low, high): first match wins; text columns only.
TEXT_NAMES = [
    (r"e_?mail", "email", None, None), (r"(^|_)slug$", "slug", None, None),
    (r"user_?name|handle|login", "username", None, None), (r"first_name|given_name", "first_name", None, None),
    (r"last_name|family_name|surname", "last_name", None, None),
    (r"full_name|display_name|contact_name|author", "name", None, None),
    (r"company|organi[sz]ation|business_name", "company", None, None),
    (r"url|website|homepage|link|href|endpoint|webhook|avatar|logo|image|icon", "url", None, None),
    (r"domain|host", "domain", None, None), (r"phone|mobile|tel$|fax", "phone", None, None),
    (r"(^|_)ip(_address)?$", "ip", None, None), (r"user_agent", "user_agent", None, None),
    (r"path$|file_?name", "file_path", None, None), (r"mime|content_type|file_type", "mime", None, None),
    (r"country", "country", None, None), (r"city|town", "city", None, None), (r"colou?r", "color", None, None),
    (r"currency", "currency", None, None), (r"hash|checksum|digest|fingerprint", "hex", 64, 64),
    (r"token|secret|api_key|password|nonce", "token", 32, 32), (r"prefix", "code", 8, 8),
    (r"(^|_)(sku|code|ref|reference|external_id|\w+_id)$", "code", 10, 10),
    (r"(^|_)key$", "key", None, None),
    (r"title|subject|headline|caption|label|heading", "title", None, None),
    (r"content|body|instructions|prompt|message|transcript|answer|text$|embed_code", "text", 40, 600),
    (r"description|summary|bio|about|notes?$|comment|reason|details|excerpt", "text", 20, 200),
    (r"(^|_)name$", "title", None, None),
]
# Text columns with few distinct values in practice (statuses, kinds, metrics): a palette.
CATEGORY_NAMES = r"(^|_)(status|state|type|kind|category|source|model|channel|plan|role|metric|event|action" \
                 r"|resource_type|tier|level|stage|provider|pricing|language|locale|theme|format|tag|group|unit)$"

# (name pattern, low, high): integer and numeric columns.
NUMBER_NAMES = [
    (r"position|(^|_)order$|rank|sort|step|(^|_)index$|chunk_index|seq", 1, 40),
    (r"satisfaction|rating|stars|score", 1, 5), (r"priority", 0, 5), (r"version|revision", 1, 5),
    (r"percent|pct|ratio|rate", 0, 100), (r"tokens?(_used|_count)?$", 10, 4000),
    (r"bytes|file_size|(^|_)size$", 1000, 10000000), (r"minutes|duration_min", 5, 240),
    (r"seconds|duration|response_time|latency|elapsed", 1, 3600), (r"price|amount|cost|fee|revenue|total_\w+", 1, 999),
    (r"count|total|quantity|qty|uses|usage|failures?", 0, 300), (r"age$", 18, 90), (r"year", 1990, 2025),
]
# (name pattern, share true)
BOOL_NAMES = [(r"archived|deleted|escalated|cancel|blocked|banned|spam|failed|is_ai|is_team", 0.15),
              (r"active|enabled|required|visible|verified|completed|published|allowed", 0.75)]
# Time columns: (pattern, role). Roles: base (the row's own time), after (an event after base, often NULL),
# future (a deadline after base), near (around base).
TIME_NAMES = [(r"^(created|inserted|added|registered|joined)_(at|on)$", "base"),
              (r"^(updated|modified|changed)_(at|on)$", "updated"),
              (r"deleted|archived|revoked|cancell?ed|banned", "rare"),
              (r"expires|ends|end$|until|due|deadline|valid_to|trial_end|period_end|renews", "future"),
              (r"start|begin|first_seen|period_start|valid_from|week_of|(^|_)date$|(^|_)day$", "near"),
              (r".", "after")]
NULL_SHARE = {"after": 0.4, "rare": 0.9, "future": 0.2}
DEFAULT_NULL = 0.1


def text_kind(col: Column, table_name: str) -> ColumnHint:
    name = col.name.lower()
    if name == "name" and re.search(r"user|profile|customer|member|contact|person|employee|people", table_name):
        return ColumnHint("name")
    for pattern, kind, low, high in TEXT_NAMES:
        if re.search(pattern, name):
            return ColumnHint(kind, low, high)
    if re.search(CATEGORY_NAMES, name):
        return ColumnHint("category")
    return ColumnHint("words", 1, 4)


def number_range(col: Column) -> tuple[int, int]:
    name = col.name.lower()
    return next(((lo, hi) for p, lo, hi in NUMBER_NAMES if re.search(p, name)), (0, 1000))


def true_share(col: Column) -> float:
    name = col.name.lower()
    return next((share for p, share in BOOL_NAMES if re.search(p, name)), 0.5)


def time_role(col: Column) -> str:
    name = col.name.lower()
    return next(role for p, role in TIME_NAMES if re.search(p, name))


def null_share(col: Column, role: str | None = None) -> float:
    if not col.nullable:
        return 0.0
    return NULL_SHARE.get(role or "", DEFAULT_NULL)
