"""The config flow's rooms, one per kind of step; ``config_flow.py`` puts them together.

``base.py``: what every step shares (applying changes to an entry); ``bridges.py``: the MQTT
bridge menu, forms and reconfigure, driven by the bridge registry; ``discovery.py``: bridges
found on MQTT; ``cloud.py``: EG4 cloud login, station, reauth and reconfigure;
``options.py``: the options flow.
"""
