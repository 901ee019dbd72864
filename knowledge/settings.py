"""Settings of the knowledge package (environment prefix `KNOWLEDGE_`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.language import Language

PACKAGE_DIR = Path(__file__).resolve().parent


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_", extra="ignore")

    faq_dir: Path = PACKAGE_DIR / "faq"
    index_dir: Path = Path("var/index")
    calibration_file: Path = PACKAGE_DIR / "calibration.yml"
    dev_set: Path = PACKAGE_DIR / "eval" / "dev.yml"
    # A sentence-transformers model name or path; empty means the adapted model when one has been
    # made (`python -m knowledge adapt`), else the bundled offline MiniLM.
    embedding_model: str = ""
    adapted_model_dir: Path = Path("var/adapted-model")
    # The languages the embedding model understands. The bundled MiniLM knows almost no Chinese
    # (244 CJK characters in its vocabulary), so Chinese questions skip it; with a multilingual
    # model set both, then `python -m knowledge calibrate`.
    dense_languages: list[Language] = ["en"]
    # How often a running process looks for a rebuilt index (seconds).
    reload_interval: float = 2.0

    def model_in_use(self) -> str | None:
        """The model queries and the index are embedded with (None: the bundled MiniLM)."""
        if self.embedding_model:
            return self.embedding_model
        from knowledge.adaptation import read_adaptation

        if read_adaptation(self.adapted_model_dir) is not None:
            return str(self.adapted_model_dir)
        return None


@lru_cache(maxsize=1)
def get_settings() -> KnowledgeSettings:
    return KnowledgeSettings()
