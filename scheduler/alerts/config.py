"""``config/alerts.yaml``: where alert messages go and how often."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pricing.config import load_config_file

ALERTS_FILE = "alerts.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WebhookConfig(_Strict):
    """POST a JSON message (``subject``, ``text``, ``events``) to ``url``."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0)] = 10.0


class EmailConfig(_Strict):
    """Send a plain-text email through an SMTP server."""

    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Annotated[str, Field(pattern=r"^(none|starttls|ssl)$")] = "none"
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding it
    sender: str = Field(alias="from")
    to: Annotated[list[str], Field(min_length=1)]
    timeout_seconds: Annotated[float, Field(gt=0)] = 10.0


class PriceMovesConfig(_Strict):
    """Alert when a competitor's unit price for one of ``skus`` moves by more than
    ``threshold`` (a fraction: 0.05 is 5 %) from one trusted crawl to the next."""

    threshold: Annotated[float, Field(gt=0, lt=10)]
    skus: Annotated[list[str], Field(min_length=1)]


class AlertsConfig(_Strict):
    """``config/alerts.yaml``."""

    group_wait_seconds: Annotated[float, Field(ge=0)] = 300.0
    min_interval_minutes: Annotated[float, Field(ge=0)] = 360.0
    retry_seconds: Annotated[float, Field(gt=0)] = 300.0
    subject_prefix: str = "[pricing]"
    webhook: WebhookConfig | None = None
    email: EmailConfig | None = None
    price_moves: PriceMovesConfig | None = None


def load_alerts(config_dir: Path) -> AlertsConfig:
    """The alert settings; defaults with no channel when the file does not exist."""
    path = Path(config_dir) / ALERTS_FILE
    if not path.is_file():
        return AlertsConfig()
    return load_config_file(AlertsConfig, path)
