"""Custom rasa-sdk actions, one module per capability. The app hosts them at `/webhook`; the stock
action server (`rasa_sdk --actions actions`) can run them too."""
