from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Sign-in and security"

    def ready(self) -> None:
        # Connect the signal receivers.
        from . import signin_log, two_factor  # noqa: F401
