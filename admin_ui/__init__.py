"""Staff console and advertiser / webmaster cabinets, mounted into the network app (see docs/architecture.md).

Not built yet: the cabinets are the admin_ui issue. The API they will call is complete (docs/api.md).
"""
