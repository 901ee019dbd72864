"""The FastAPI app: conversation API, Rasa action endpoint, health and metrics."""
