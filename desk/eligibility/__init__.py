"""Eligibility decided from the policy (handbook P6–P8, P10, P12, P13): the policy as data
(`knowledge/policy.yml`, read by `rules`), the facts of a case (`facts`: from an order or from the
customer's words, whose dates `customer_dates` reads), the decision per remedy with its reason
(`engine`), and that reason in words (`reason_text`). docs/eligibility.md has the rules and the
decisions the handbook leaves open."""
