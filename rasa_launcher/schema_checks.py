"""`jsonschema.validate` that checks each schema once, for Rasa's hot paths.

Rasa 3.6 validates every answer of the action server (`RemoteAction._validate_action_result`) and
every event posted to its HTTP API (`validate_events_in_request_body`) with `jsonschema.validate`,
which first checks the schema itself against JSON Schema's 2020-12 metaschema, on every call, on
Rasa's event loop. Rasa's schemas are constants: that check was half of a Rasa replica's loop under
load (py-spy, `make cluster` 1×1), and `python -m bench.schema_checks` measures it per call.

`install()` puts `validate` in jsonschema's place before Rasa is imported. It validates exactly as
jsonschema's does (same validator class, same `best_match` error) and still checks each distinct
schema against the metaschema, once, keyed by its JSON text; a schema that is not JSON (or extra
arguments) goes to jsonschema's own `validate`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

STOCK_VALIDATE = jsonschema.validate


@functools.lru_cache(maxsize=64)
def checked_validator(cls: Any, schema_json: str) -> Any:
    """A validator for a schema checked against its metaschema (a SchemaError is raised, not cached)."""
    schema = json.loads(schema_json)
    cls.check_schema(schema)
    return cls(schema)


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    if args or kwargs:
        STOCK_VALIDATE(instance, schema, cls, *args, **kwargs)
        return
    try:
        schema_json = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        STOCK_VALIDATE(instance, schema, cls)
        return
    validator = checked_validator(cls or validators.validator_for(schema), schema_json)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def install() -> None:
    """Rasa imports `validate` from jsonschema when it calls it, so replacing the attribute suffices."""
    jsonschema.validate = validate
