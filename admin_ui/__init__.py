"""Staff console and advertiser / webmaster cabinets, mounted into the network app under ``/ui``.

Server-rendered pages (litestar + Jinja2, no JavaScript) in English and Russian that call the same services as
the API: log-in, log-out and webmaster sign-up; the webmaster's dashboard, offer catalogue and offer page,
conversions, balance and withdrawals; the advertiser's conversions review; the staff moderation queue of
pending offers and webmasters. Every page enforces its role on the server and every form carries a CSRF
token. docs/ui.md lists what exists and what is not built yet.
"""

from admin_ui.mount import routes, template_config

__all__ = ["routes", "template_config"]
