from django.apps import AppConfig


class NetcoreConfig(AppConfig):
    name = "netcore"
    verbose_name = "Netcore CE"
