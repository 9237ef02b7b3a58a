"""JSON as Python values: the honest type of free-form data (what json.loads returns).

Use it where the data really is arbitrary JSON: a receipt's `data`, a parsed YAML or JSON
document before it is validated, a request body the model service records. Where the
shape is known, a TypedDict or a pydantic model says more.

Pure typing, no pydantic: the CLI imports it and must load no pydantic. pydantic models
use pydantic's own `JsonValue`, which has the same shape (mypy treats the two as one).
"""

from __future__ import annotations

from typing import TypeAlias

JsonValue: TypeAlias = list["JsonValue"] | dict[str, "JsonValue"] | str | bool | int | float | None
JsonObject: TypeAlias = dict[str, JsonValue]
