"""The policy file: its rules are exactly the engine's, a bad file is refused with the rule and the
field named, its place is one setting, and editing a window changes a decision without code."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from desk.eligibility.engine import Remedy, Verdict, decide
from desk.eligibility.facts import CaseFacts, Part
from desk.eligibility.rules import RULE_IDS, PolicyError, load_policy, parse_policy
from desk.settings import DeskSettings

POLICY_FILE = Path(__file__).resolve().parents[3] / "knowledge" / "policy.yml"

EXPECTED_IDS = {
    "P6.no_reason_return",
    "P7.quality_return",
    "P7.exchange",
    "P7.repair",
    "P8.whole_unit",
    "P8.motor",
    "P8.compressor",
    "P8.battery",
    "P8.accessory",
    "P8.consumable",
    "P8.excluded_cause",
    "P8.out_of_warranty",
    "P10.installation",
    "P12.price_protection",
    "P13.invoice_title_change",
    "P13.special_invoice",
}


def document() -> dict[str, Any]:
    loaded = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def rule_of(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(rule for rule in doc["rules"] if rule["id"] == rule_id)
    return found


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_the_file_covers_exactly_the_rule_ids() -> None:
    ids = [rule["id"] for rule in document()["rules"]]
    assert sorted(ids) == sorted(EXPECTED_IDS)  # each once
    assert RULE_IDS == EXPECTED_IDS
    policy = load_policy(POLICY_FILE)
    assert set(policy.rules) == EXPECTED_IDS


def test_every_rule_cites_its_clause_and_has_both_titles() -> None:
    for rule in load_policy(POLICY_FILE).rules.values():
        assert rule.id.startswith(f"{rule.clause}.")
        assert rule.title.zh and rule.title.en


def test_the_handbook_numbers() -> None:
    policy = load_policy(POLICY_FILE)
    assert (policy.no_reason_return.window.days, policy.quality_return.window.days) == (7, 7)
    assert (policy.exchange.window.days, policy.repair.window.days) == (15, 15)
    assert {part: rule.months for part, rule in policy.warranties.items()} == {
        Part.WHOLE_UNIT: 12,
        Part.MOTOR: 24,
        Part.COMPRESSOR: 24,
        Part.BATTERY: 12,
        Part.ACCESSORY: 6,
    }
    assert policy.installation.window.days == policy.invoice_title_change.window.days == 30
    assert policy.special_invoice.window.days == 30
    assert policy.price_protection.window.days == 7


def test_the_setting_says_where_the_file_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DESK_POLICY_FILE", raising=False)
    assert DeskSettings().policy_file == POLICY_FILE
    monkeypatch.setenv("DESK_POLICY_FILE", str(tmp_path / "other.yml"))
    assert DeskSettings().policy_file == tmp_path / "other.yml"


def test_editing_a_window_changes_the_decision_without_code(tmp_path: Path) -> None:
    facts = CaseFacts(today=date(2026, 3, 11), delivered_on=date(2026, 3, 1))  # day 10
    assert decide(facts, load_policy(POLICY_FILE))[Remedy.NO_REASON_RETURN].verdict is Verdict.NOT_ALLOWED
    doc = document()
    rule_of(doc, "P6.no_reason_return")["window"]["days"] = 14
    edited = decide(facts, load_policy(write(tmp_path, doc)))[Remedy.NO_REASON_RETURN]
    assert (edited.verdict, edited.reason.last_day, edited.reason.days) == (Verdict.ALLOWED, date(2026, 3, 15), 14)


def test_editing_a_warranty_period_and_an_exclusion(tmp_path: Path) -> None:
    doc = document()
    rule_of(doc, "P8.battery")["months"] = 18
    rule_of(doc, "P12.price_protection")["excluded_flags"] = ["flash_sale"]
    policy = load_policy(write(tmp_path, doc))
    battery = CaseFacts(today=date(2026, 12, 12), invoice_on=date(2025, 10, 12), part=Part.BATTERY)
    assert decide(battery, policy)[Remedy.WARRANTY].verdict is Verdict.ALLOWED
    coupon = CaseFacts(today=date(2026, 3, 3), paid_on=date(2026, 3, 1), coupon_price=True)
    assert decide(coupon, policy)[Remedy.PRICE_PROTECTION].verdict is Verdict.ALLOWED


def _broken(edit: str) -> dict[str, Any]:
    doc = document()
    if edit == "negative days":
        rule_of(doc, "P7.exchange")["window"]["days"] = -1
    elif edit == "unknown condition":
        rule_of(doc, "P6.no_reason_return")["excluded_conditions"] = ["opened_consumable", "scratched"]
    elif edit == "missing rule":
        doc["rules"] = [rule for rule in doc["rules"] if rule["id"] != "P10.installation"]
    elif edit == "unknown rule":
        doc["rules"].append({**rule_of(doc, "P7.exchange"), "id": "P7.refund"})
    elif edit == "duplicate rule":
        doc["rules"].append(rule_of(doc, "P7.exchange"))
    elif edit == "wrong clause":
        rule_of(doc, "P12.price_protection")["clause"] = "P11"
    elif edit == "missing title":
        del rule_of(doc, "P8.motor")["title"]["en"]
    elif edit == "unknown field":
        rule_of(doc, "P8.motor")["years"] = 2
    elif edit == "bad anchor":
        rule_of(doc, "P13.special_invoice")["window"]["counted_from"] = "signature"
    return doc


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("negative days", r"rule P7\.exchange: field 'window\.days'"),
        ("unknown condition", r"rule P6\.no_reason_return: field 'excluded_conditions\.1'"),
        ("missing rule", r"missing rules P10\.installation"),
        ("unknown rule", r"rule P7\.refund: unknown rule id"),
        ("duplicate rule", r"rule P7\.exchange: appears twice"),
        ("wrong clause", r"rule P12\.price_protection: .*clause 'P11' does not match"),
        ("missing title", r"rule P8\.motor: field 'title\.en'"),
        ("unknown field", r"rule P8\.motor: field 'years'"),
        ("bad anchor", r"rule P13\.special_invoice: field 'window\.counted_from'"),
    ],
)
def test_a_bad_file_names_the_rule_and_the_field(tmp_path: Path, edit: str, message: str) -> None:
    path = write(tmp_path, _broken(edit))
    with pytest.raises(PolicyError, match=message) as raised:
        load_policy(path)
    assert str(path) in str(raised.value)


def test_not_a_policy_at_all(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="top-level 'rules' list"):
        parse_policy(["rules"], "x.yml")
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(broken)
