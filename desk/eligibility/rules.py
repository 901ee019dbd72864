"""The policy file (`knowledge/policy.yml`, or `DESK_POLICY_FILE`): its model and its loader.

One rule per handbook clause, each with its id (`P6.no_reason_return` …), its clause, a bilingual
title and its parameters. The file is validated with pydantic when it is loaded: every rule id of
`RULE_IDS` exactly once, nothing else, each rule's fields checked by the model of its id; a bad file
raises `PolicyError` naming the file, the rule and the field. The engine (`engine.py`) reads the
numbers and lists from here, never from code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from desk.eligibility.facts import Condition, DamageCause, Part, PriceFlag
from desk.orders.records import Category


class PolicyError(ValueError):
    """A policy file that cannot be used."""


class Anchor(StrEnum):
    """The date a window is counted from (day 0)."""

    DELIVERY = "delivery"
    PAYMENT = "payment"
    INVOICE = "invoice"


class Title(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Window(BaseModel):
    """Within `days` days of `counted_from`: the last day is day `days` (day 0 is the anchor)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(ge=0, le=3650)
    counted_from: Anchor


class Rule(BaseModel):
    """What every rule has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    clause: str = Field(pattern=r"^P\d{1,2}$")
    title: Title

    @model_validator(mode="after")
    def _clause_matches_id(self) -> Rule:
        if self.id.split(".", 1)[0] != self.clause:
            raise ValueError(f"clause {self.clause!r} does not match the rule id {self.id!r}")
        return self


class WindowRule(Rule):
    window: Window


Payer = Literal["customer", "lumio"]


class ReturnRule(WindowRule):
    """P6, P7's return, exchange and repair: a window, exclusions, who pays the return shipping."""

    excluded_conditions: tuple[Condition, ...] = ()
    return_shipping: Payer
    insurance_pays_return_shipping: bool = False


class WarrantyRule(Rule):
    """P8's period for one part, from the invoice date; `categories`: the products that have it
    (empty: all)."""

    part: Part
    months: int = Field(ge=1, le=240)
    categories: tuple[Category, ...] = ()


class NotCoveredPartsRule(Rule):
    parts: tuple[Part, ...] = Field(min_length=1)


class ExcludedCauseRule(Rule):
    causes: tuple[DamageCause, ...] = Field(min_length=1)


class OutOfWarrantyRule(Rule):
    free_diagnosis: bool
    quote_before_repair: bool


class InstallationRule(WindowRule):
    categories: tuple[Category, ...] = Field(min_length=1)


class PriceProtectionRule(WindowRule):
    excluded_flags: tuple[PriceFlag, ...] = ()
    once: bool


class OnceRule(WindowRule):
    once: bool


class CompanyRule(WindowRule):
    companies_only: bool


# Every rule the file must hold, with the model that checks it.
RULE_MODELS: dict[str, type[Rule]] = {
    "P6.no_reason_return": ReturnRule,
    "P7.quality_return": ReturnRule,
    "P7.exchange": ReturnRule,
    "P7.repair": ReturnRule,
    "P8.whole_unit": WarrantyRule,
    "P8.motor": WarrantyRule,
    "P8.compressor": WarrantyRule,
    "P8.battery": WarrantyRule,
    "P8.accessory": WarrantyRule,
    "P8.consumable": NotCoveredPartsRule,
    "P8.excluded_cause": ExcludedCauseRule,
    "P8.out_of_warranty": OutOfWarrantyRule,
    "P10.installation": InstallationRule,
    "P12.price_protection": PriceProtectionRule,
    "P13.invoice_title_change": OnceRule,
    "P13.special_invoice": CompanyRule,
}
RULE_IDS: frozenset[str] = frozenset(RULE_MODELS)
WARRANTY_RULE_IDS = ("P8.whole_unit", "P8.motor", "P8.compressor", "P8.battery", "P8.accessory")


@dataclass(frozen=True)
class Policy:
    """The validated rules, by id and by role."""

    rules: dict[str, Rule]
    no_reason_return: ReturnRule
    quality_return: ReturnRule
    exchange: ReturnRule
    repair: ReturnRule
    warranties: dict[Part, WarrantyRule]
    not_covered_parts: NotCoveredPartsRule
    excluded_cause: ExcludedCauseRule
    out_of_warranty: OutOfWarrantyRule
    installation: InstallationRule
    price_protection: PriceProtectionRule
    invoice_title_change: OnceRule
    special_invoice: CompanyRule

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]


R = TypeVar("R", bound=Rule)


def _typed(rules: dict[str, Rule], rule_id: str, model: type[R]) -> R:
    rule = rules[rule_id]
    assert isinstance(rule, model)
    return rule


def parse_policy(document: Any, source: str = "policy") -> Policy:
    """The policy from a parsed YAML document; `PolicyError` naming the rule and field when wrong."""
    raw_rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(raw_rules, list):
        raise PolicyError(f"{source}: expected a top-level 'rules' list")
    rules: dict[str, Rule] = {}
    for position, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rule_id, str):
            raise PolicyError(f"{source}: rule {position}: field 'id' is missing")
        model = RULE_MODELS.get(rule_id)
        if model is None:
            raise PolicyError(f"{source}: rule {rule_id}: unknown rule id (known: {', '.join(sorted(RULE_IDS))})")
        if rule_id in rules:
            raise PolicyError(f"{source}: rule {rule_id}: appears twice")
        try:
            rules[rule_id] = model.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"field '{'.'.join(str(part) for part in problem['loc']) or '(rule)'}': {problem['msg']}"
                for problem in error.errors()
            )
            raise PolicyError(f"{source}: rule {rule_id}: {problems}") from None
    missing = RULE_IDS - rules.keys()
    if missing:
        raise PolicyError(f"{source}: missing rules {', '.join(sorted(missing))}")
    warranties: dict[Part, WarrantyRule] = {}
    for rule_id in WARRANTY_RULE_IDS:
        warranty = _typed(rules, rule_id, WarrantyRule)
        if warranty.part in warranties:
            raise PolicyError(f"{source}: rule {rule_id}: field 'part': {warranty.part} already has a warranty rule")
        warranties[warranty.part] = warranty
    not_covered = _typed(rules, "P8.consumable", NotCoveredPartsRule)
    if overlap := set(not_covered.parts) & warranties.keys():
        raise PolicyError(
            f"{source}: rule P8.consumable: field 'parts': {', '.join(sorted(overlap))} also has a warranty rule"
        )
    if uncovered := set(Part) - warranties.keys() - set(not_covered.parts):
        raise PolicyError(
            f"{source}: rule P8.consumable: field 'parts': no rule says whether {', '.join(sorted(uncovered))} "
            "is covered"
        )
    return Policy(
        rules=rules,
        no_reason_return=_typed(rules, "P6.no_reason_return", ReturnRule),
        quality_return=_typed(rules, "P7.quality_return", ReturnRule),
        exchange=_typed(rules, "P7.exchange", ReturnRule),
        repair=_typed(rules, "P7.repair", ReturnRule),
        warranties=warranties,
        not_covered_parts=not_covered,
        excluded_cause=_typed(rules, "P8.excluded_cause", ExcludedCauseRule),
        out_of_warranty=_typed(rules, "P8.out_of_warranty", OutOfWarrantyRule),
        installation=_typed(rules, "P10.installation", InstallationRule),
        price_protection=_typed(rules, "P12.price_protection", PriceProtectionRule),
        invoice_title_change=_typed(rules, "P13.invoice_title_change", OnceRule),
        special_invoice=_typed(rules, "P13.special_invoice", CompanyRule),
    )


@functools.cache
def current_policy() -> Policy:
    """The policy file `DESK_POLICY_FILE` names, loaded once per process (a changed file takes effect
    when the action server restarts)."""
    return load_policy()


def load_policy(path: Path | None = None) -> Policy:
    """The policy file at `path`, or where `DESK_POLICY_FILE` says (default `knowledge/policy.yml`)."""
    if path is None:
        from desk.settings import get_settings

        path = get_settings().policy_file
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML ({error})") from None
    return parse_policy(document, str(path))
