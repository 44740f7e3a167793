"""The SMTP URL setting: schemes, default ports, percent-decoded credentials, and refusals."""

from __future__ import annotations

import pytest

from network.mail import SmtpTarget, mailer_from_settings, parse_smtp_url
from network.settings import MailSettings, load_settings


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://mail.example") == SmtpTarget("mail.example", 25, False, "", "")
    assert parse_smtp_url("smtps://u:p%40ss%3Aw@mail.example") == SmtpTarget(
        "mail.example", 465, True, "u", "p@ss:w"
    )
    assert parse_smtp_url("smtp://me@127.0.0.1:2525").port == 2525
    for bad in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError, match="CPANET_SMTP_URL"):
            parse_smtp_url(bad)


def test_mail_settings() -> None:
    assert mailer_from_settings(MailSettings()) is None
    settings = load_settings(
        {
            "CPANET_SMTP_URL": "smtps://a:b@mail.example",
            "CPANET_MAIL_FROM": "Net <no-reply@net.example>",
            "CPANET_PASSWORD_RESET_TTL_SECONDS": "900",
        }
    )
    assert settings.mail.configured and settings.mail.mail_from == "Net <no-reply@net.example>"
    assert settings.security.password_reset_ttl_seconds == 900
    assert mailer_from_settings(settings.mail) is not None
    assert load_settings({}).security.password_reset_ttl_seconds == 3600
