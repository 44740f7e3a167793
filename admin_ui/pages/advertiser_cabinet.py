"""The advertiser cabinet's controllers beyond the conversions review (admin_ui/pages/advertiser.py), for
admin_ui/mount.py to register."""

from __future__ import annotations

from litestar import Controller

from admin_ui.pages.advertiser_access import AdvertiserAccessPages
from admin_ui.pages.advertiser_home import AdvertiserHomePages
from admin_ui.pages.advertiser_offers import AdvertiserOfferPages
from admin_ui.pages.advertiser_postbacks import AdvertiserPostbackPages
from admin_ui.pages.advertiser_terms import AdvertiserTermsPages

ADV_CONTROLLERS: list[type[Controller]] = [
    AdvertiserHomePages,
    AdvertiserOfferPages,
    AdvertiserAccessPages,
    AdvertiserTermsPages,
    AdvertiserPostbackPages,
]
