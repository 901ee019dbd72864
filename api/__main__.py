"""`python -m api`: serve the app with uvicorn on the configured address."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.log_config import configure_logging
from api.settings import get_settings


def main() -> None:
    configure_logging()
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
