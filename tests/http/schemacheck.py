"""A JSON value against an OpenAPI 3.0 schema, the subset the declarations of http/openapi/*.json
use: $ref (to #/components/schemas/), allOf, oneOf, nullable, type, properties, required,
additionalProperties, items, enum, format (date-time, date), minimum, maximum, minLength, maxLength,
minItems. Standard library only (tests/http/test_openapi_schemas.py).

Strict: an object whose schema lists properties may have no other key unless the schema says
additionalProperties, so a field the SQL added and the declaration lacks is drift too."""
import re

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def resolve(doc, schema):
    """The schema a {$ref} names (followed until it is not a reference)."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/components/schemas/"):
            raise ValueError("unsupported $ref %r" % ref)
        schema = doc["components"]["schemas"][ref.split("/")[-1]]
        seen += 1
        if seen > 50:
            raise ValueError("$ref loop at %r" % ref)
    return schema


def errors(doc, schema, value, where="data", strict=True):
    """The ways value breaks schema, each 'path: what' (empty: it matches)."""
    out = []
    _check(doc, schema, value, where, strict, out)
    return out


def _nullable(doc, schema):
    s = resolve(doc, schema)
    return s.get("nullable") is True or any(_nullable(doc, x) for x in s.get("allOf", []))


def _properties(doc, schema):
    """Every property name an object schema (with its allOf parts) declares, and whether it is open."""
    s = resolve(doc, schema)
    names = set(s.get("properties", {}))
    open_ = "properties" not in s or s.get("additionalProperties", False) is not False
    for part in s.get("allOf", []):
        n, o = _properties(doc, part)
        names |= n
        open_ = open_ and o if "properties" in resolve(doc, part) else open_
    return names, open_


def _check(doc, schema, value, where, strict, out, closed=True):
    """closed: this level reports undeclared keys (an allOf part leaves that to its whole)."""
    schema = resolve(doc, schema)
    if value is None:
        if not _nullable(doc, schema) and schema != {}:
            out.append("%s: null, the schema does not allow it (nullable)" % where)
        return
    for part in schema.get("allOf", []):
        _check(doc, part, value, where, strict, out, closed=False)
    if "oneOf" in schema or "anyOf" in schema:
        alts = schema.get("oneOf", schema.get("anyOf"))
        fits = [a for a in alts if not errors(doc, a, value, where, strict)]
        if len(fits) == 0 or ("oneOf" in schema and len(fits) > 1):
            out.append("%s: matches %d of the %s alternatives" % (where, len(fits), "oneOf" if "oneOf" in schema else "anyOf"))
    t = schema.get("type")
    if t is not None and not TYPES[t](value):
        out.append("%s: %s, expected %s" % (where, type(value).__name__, t))
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append("%s: %r is not one of %r" % (where, value, schema["enum"]))
    if isinstance(value, str):
        fmt = schema.get("format")
        if fmt == "date-time" and not DATE_TIME.match(value):
            out.append("%s: %r is not a date-time" % (where, value))
        elif fmt == "date" and not DATE.match(value):
            out.append("%s: %r is not a date" % (where, value))
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append("%s: shorter than %d" % (where, schema["minLength"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append("%s: longer than %d" % (where, schema["maxLength"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append("%s: %r is less than %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            out.append("%s: %r is more than %r" % (where, value, schema["maximum"]))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append("%s: fewer than %d items" % (where, schema["minItems"]))
        if "items" in schema:
            for i, x in enumerate(value):
                _check(doc, schema["items"], x, "%s[%d]" % (where, i), strict, out)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                out.append("%s: no %r (required)" % (where, k))
        for k, v in value.items():
            if k in props:
                _check(doc, props[k], v, "%s.%s" % (where, k), strict, out)
            elif isinstance(schema.get("additionalProperties"), dict):
                _check(doc, schema["additionalProperties"], v, "%s.%s" % (where, k), strict, out)
        if strict and closed and ("properties" in schema or "allOf" in schema):
            names, open_ = _properties(doc, schema)
            extra = sorted(k for k in value if k not in names)
            if extra and not open_:
                out.append("%s: %s not declared" % (where, ", ".join(repr(k) for k in extra)))
