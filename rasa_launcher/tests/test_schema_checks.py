"""The launcher's `jsonschema.validate` against jsonschema's own, on Rasa's schemas, run by the Rasa
environment's Python (scripts/rasa-tests.sh)."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

import jsonschema
from jsonschema import Draft202012Validator, SchemaError, ValidationError

from rasa_launcher import schema_checks

GOOD_ANSWER = {
    "events": [{"event": "slot", "timestamp": None, "name": "last_faq_id", "value": "p06-return-window"}],
    "responses": [{"text": "自签收次日起 7 天内可无理由退货。"}, {"custom": {"turn": {"outcome": "answered"}}}],
}
BAD_ANSWERS = [
    {"events": {"event": "slot"}, "responses": []},  # events not a list
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"event": "slot", "name": 7}], "responses": []},
    {"events": [], "responses": ["a text, not an object"]},
    ["not", "an", "object"],
]


def action_spec() -> dict[str, Any]:
    from rasa.core.actions.action import RemoteAction

    spec: dict[str, Any] = RemoteAction("action_answer_faq", None).action_response_format_spec()
    return spec


def stock_error(instance: Any, schema: Any) -> ValidationError | None:
    try:
        schema_checks.STOCK_VALIDATE(instance, schema)
    except ValidationError as error:
        return error
    return None


class ValidateLikeJsonschema(unittest.TestCase):
    def setUp(self) -> None:
        schema_checks.checked_validator.cache_clear()

    def test_a_good_answer_passes(self) -> None:
        self.assertIsNone(stock_error(GOOD_ANSWER, action_spec()))
        schema_checks.validate(GOOD_ANSWER, action_spec())

    def test_a_bad_answer_gets_the_error_jsonschema_gives(self) -> None:
        for answer in BAD_ANSWERS:
            with self.subTest(answer=answer):
                expected = stock_error(answer, action_spec())
                self.assertIsNotNone(expected)
                with self.assertRaises(ValidationError) as raised:
                    schema_checks.validate(answer, action_spec())
                assert expected is not None
                self.assertEqual(raised.exception.message, expected.message)
                self.assertEqual(list(raised.exception.absolute_path), list(expected.absolute_path))

    def test_the_schema_is_checked_once_not_per_call(self) -> None:
        check = Draft202012Validator.check_schema
        with mock.patch.object(Draft202012Validator, "check_schema", side_effect=check) as checked:
            for _ in range(3):
                schema_checks.validate(GOOD_ANSWER, action_spec())  # a new, equal dict each time, as Rasa builds it
        self.assertEqual(checked.call_count, 1)

    def test_a_broken_schema_is_refused_every_time(self) -> None:
        for _ in range(2):
            with self.assertRaises(SchemaError):
                schema_checks.validate({}, {"type": "no_such_type"})

    def test_a_schema_that_is_not_json_goes_to_jsonschema(self) -> None:
        schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "x-note": {1, 2}}
        with mock.patch.object(schema_checks, "STOCK_VALIDATE") as stock:
            schema_checks.validate({"n": 1}, schema)
        stock.assert_called_once_with({"n": 1}, schema, None)


class InstalledForRasa(unittest.TestCase):
    def setUp(self) -> None:
        schema_checks.checked_validator.cache_clear()
        self.addCleanup(setattr, jsonschema, "validate", jsonschema.validate)
        schema_checks.install()

    def test_rasa_validates_action_answers_with_it(self) -> None:
        from rasa.core.actions.action import RemoteAction

        action = RemoteAction("action_answer_faq", None)
        check = Draft202012Validator.check_schema
        with mock.patch.object(Draft202012Validator, "check_schema", side_effect=check) as checked:
            self.assertTrue(action._validate_action_result(GOOD_ANSWER))
            self.assertTrue(action._validate_action_result(GOOD_ANSWER))
            with self.assertRaises(ValidationError) as raised:
                action._validate_action_result(BAD_ANSWERS[0])
        self.assertEqual(checked.call_count, 1)
        self.assertIn("Failed to validate Action server response", raised.exception.message)


if __name__ == "__main__":
    unittest.main()
