"""The installation's operators and their raw table browser (piccolo-admin at /admin/db/).

An operator runs the whole installation and already owns its database; an operator is a piccolo user
(``piccolo_user``), not a login of any network (``app_user``), and network staff never get one.
"""
