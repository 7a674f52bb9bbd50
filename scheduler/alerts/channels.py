"""Where alert messages go: a webhook (JSON over HTTP) and email over SMTP."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

import requests

from scheduler.alerts.config import AlertsConfig, EmailConfig, WebhookConfig
from scheduler.alerts.message import AlertMessage


class Channel(Protocol):
    """Somewhere a message goes. ``send`` raises on failure."""

    name: str

    def send(self, message: AlertMessage) -> None: ...


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config

    def send(self, message: AlertMessage) -> None:
        response = requests.post(
            self.config.url,
            json=message.as_json(),
            headers=self.config.headers,
            timeout=self.config.timeout_seconds,
        )
        response.raise_for_status()


class EmailChannel:
    name = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def send(self, message: AlertMessage) -> None:
        cfg = self.config
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, cfg.sender, ", ".join(cfg.to)
        mail.set_content(message.text)
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                timeout=cfg.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        with smtp:
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, os.environ.get(cfg.password_env or "", ""))
            smtp.send_message(mail)


def channels_for(config: AlertsConfig) -> list[Channel]:
    found: list[Channel] = []
    if config.webhook is not None:
        found.append(WebhookChannel(config.webhook))
    if config.email is not None:
        found.append(EmailChannel(config.email))
    return found
