"""Starts Rasa's server for the project (Rasa's environment, Python 3.10; never imported by the app).

`python -m rasa_launcher [rasa run options]` is `rasa run --enable-api` with the API's token taken
from the environment (`APP_RASA_TOKEN`) instead of the command line, where `ps` shows it to every
user of the machine (`command`). Two parts of Rasa's hot path are the project's own: JSON schemas
checked once rather than on every action call (`schema_checks`), and the SQL tracker store without
its count query on every save, which in a cluster awaits PostgreSQL on asyncpg (`tracker_store`, named
in the endpoints files)."""
