"""Outgoing postbacks to webmasters: endpoints, signed delivery with retries, the delivery log."""
