import datetime

import factory
from django.utils import timezone

from campaigns.models import Campaign, Offer, Recipient
from members.tests.factories import CustomerFactory
from shops.tests.factories import ShopFactory


class OfferFactory(factory.django.DjangoModelFactory):
    """50,000 ₫ off an order of 300,000 ₫ or more, a unique code each, valid 7 days."""

    class Meta:
        model = Offer

    shop = factory.SubFactory(ShopFactory)
    kind = Offer.Kind.FIXED_AMOUNT
    value = 50_000
    minimum_order = 300_000
    validity = Offer.Validity.DAYS
    valid_days = 7
    codes = Offer.Codes.UNIQUE


class CampaignFactory(factory.django.DjangoModelFactory):
    """A 5-2 campaign with an offer, its audience taken (preparing), to be sent tomorrow."""

    class Meta:
        model = Campaign

    shop = factory.SubFactory(ShopFactory)
    name = "Tri ân khách hàng"
    kind = Campaign.Kind.OFFER
    state = Campaign.State.PREPARING
    offer = factory.SubFactory(OfferFactory, shop=factory.SelfAttribute("..shop"))
    send_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    started_at = factory.LazyFunction(timezone.now)


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    campaign = factory.SubFactory(CampaignFactory)
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..campaign.shop"))
