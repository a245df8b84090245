"""Encrypting secrets at rest with Fernet, keyed by settings.FIELD_ENCRYPTION_KEY.

The setting may hold several comma-separated keys to rotate them: the first encrypts, any of them
decrypts, and `reencrypt` moves a token to the first key.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """A stored secret cannot be read with any of the configured keys."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty: secrets cannot be stored.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY holds an invalid Fernet key: {exc}"
        ) from None


def encrypt(plaintext: str) -> str:
    """Encrypt `plaintext` with the first configured key; returns a Fernet token as text."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made by `encrypt` with any configured key."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "the stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY "
            "(was the key changed without keeping the old one for rotation?)"
        ) from None


def reencrypt(token: str) -> str:
    """Return the token re-encrypted with the first configured key (for key rotation)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("the stored secret cannot be decrypted for rotation") from None
