"""The rating question as WeChat shows it: Official Account messages have no buttons, so the options
are numbered, and each number says what it means (not "1. 1 … 5. 5"), in the conversation's language."""

from __future__ import annotations

import pytest

from channels.wechat.render import chosen_option, with_options
from tests.rasa_domain import response

LABELS = {
    "zh": ["非常不满意", "不满意", "一般", "满意", "非常满意"],
    "en": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_rating_options_say_what_each_number_means(language: str) -> None:
    question = response("utter_ask_csat", language)
    buttons = [(b["title"], b["payload"]) for b in question["buttons"]]
    shown = with_options(question["text"], buttons, language)
    options = [line for line in shown.splitlines() if line[:1].isdigit() and ". " in line]
    assert options == [f"{n}. {label}" for n, label in enumerate(LABELS[language], start=1)]
    # The number a customer replies is the score they give.
    for reply in ("1", "4", "５"):
        number = chosen_option(reply)
        assert number is not None and buttons[number - 1][1] == f'/rate_service{{"csat":{number}}}'
