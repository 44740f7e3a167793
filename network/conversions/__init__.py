"""Conversions: advertiser postbacks, attribution, pricing by pinned terms, caps and the status lifecycle."""
