import datetime
import secrets

import factory
from django.utils import timezone

from campaigns.models import Campaign, Offer, Recipient
from members.tests.factories import CustomerFactory
from shops.tests.factories import ShopFactory


class OfferFactory(factory.django.DjangoModelFactory):
    """50.000 ₫ off an order of 300.000 ₫ or more, valid 7 days from the send, a unique code each."""

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
    """A 5-1 notice by email to all members, a draft."""

    class Meta:
        model = Campaign

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Chiến dịch {n}")
    kind = Campaign.Kind.NOTICE
    audience = Campaign.Audience.ALL
    send_email = True
    send_sms = False
    email_subject = "Tin mới từ {ten_shop}"
    email_body = "Chào {ten|bạn},\n\nCửa hàng có bộ sưu tập mới."
    sms_text = "Chao {ten|ban}, cua hang co bo suu tap moi."
    holdout_seed = factory.LazyFunction(lambda: secrets.token_hex(8))

    class Params:
        with_offer = factory.Trait(
            kind=Campaign.Kind.OFFER,
            offer=factory.SubFactory(OfferFactory, shop=factory.SelfAttribute("..shop")),
            email_body="Chào {ten|bạn},\n\nMã {ma_uu_dai} giảm {gia_tri}, dùng đến {han_dung}.",
            sms_text="Ma {ma_uu_dai} giam {gia_tri}, den {han_dung}",
        )


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    campaign = factory.SubFactory("campaigns.tests.factories.OfferCampaignFactory")
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..campaign.shop"))


class OfferCampaignFactory(CampaignFactory):
    """A 5-2 campaign with unique codes, its audience taken (preparing), to be sent tomorrow."""

    name = "Tri ân khách hàng"
    kind = Campaign.Kind.OFFER
    state = Campaign.State.PREPARING
    offer = factory.SubFactory(OfferFactory, shop=factory.SelfAttribute("..shop"))
    send_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    started_at = factory.LazyFunction(timezone.now)


class AutomationFactory(CampaignFactory):
    """A 5-3 birthday automation by email, on since a week ago, run at 09:00 shop time."""

    name = "Chúc mừng sinh nhật"
    kind = Campaign.Kind.BIRTHDAY
    state = Campaign.State.ACTIVE
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    run_hour = 9
    email_subject = "Chúc mừng sinh nhật {ten|bạn}"
    email_body = "Chào {ten|bạn},\n\n{ten_shop} chúc bạn sinh nhật vui vẻ."
