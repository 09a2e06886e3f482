"""The member's own page: the one-time codes a member signs in with."""

from django.db import models
from django.utils import timezone

from shops.models import ShopOwned, shop_key


class SignInCode(ShopOwned):
    """A one-time code asked for a phone. Stored as a keyed hash only (HMAC with the
    deployment's secret and the row's salt), so the table alone gives no code away. A row is
    written for a phone that is not a member too (no code is sent to it): the page answers
    the same and the limits count the same, so nothing tells who shops there."""

    shop = shop_key(db_index=False)  # every index leads with the shop
    phone = models.CharField(max_length=16)
    customer = models.ForeignKey("members.Customer", on_delete=models.CASCADE, null=True, related_name="+")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What the hourly limit per address counts: the address, or an IPv6 address's /64 (one
    # household or phone holds a whole /64, and can change its last half at will).
    address = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "phone", "-created_at"], name="sign_in_code_phone"),
            models.Index(fields=["address", "created_at"], name="sign_in_code_address"),
            models.Index(fields=["shop", "created_at"], name="sign_in_code_shop_time"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"
