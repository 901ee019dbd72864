"""Starts Rasa's server for the project (Rasa's environment, Python 3.10; never imported by the app).

`python -m rasa_launcher [rasa run options]` is `rasa run --enable-api` with the API's token taken
from the environment (`APP_RASA_TOKEN`) instead of the command line, where `ps` shows it to every
user of the machine."""
