"""Rasa's routing step after DIET (Rasa's environment, Python 3.10; never imported by the app).

`decision.py` weighs the intent DIET predicted against the knowledge base's evidence the app sends
with each customer message (metadata "evidence", engine/routing_evidence.py): a message the retriever
would answer outright goes to the knowledge base even when DIET leans to a greeting, a lookup, a case
or out of scope. It imports nothing of Rasa, so the routed calibration (bench.routed_calibration)
replays it. `evidence_router.py` is the pipeline component (config.yml) that applies it. docs/routing.md
says why and how the thresholds were chosen."""
