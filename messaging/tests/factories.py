import factory

from members.tests.factories import CustomerFactory
from messaging.models import Message
from shops.tests.factories import ShopFactory


class MessageFactory(factory.django.DjangoModelFactory):
    """An email in the outbox, written as is (``message_queue`` is how a page queues one)."""

    class Meta:
        model = Message

    shop = factory.SubFactory(ShopFactory)
    customer = factory.SubFactory(
        CustomerFactory, shop=factory.SelfAttribute("..shop"), email=factory.Sequence(lambda n: f"khach{n}@example.vn")
    )
    channel = Message.Channel.EMAIL
    source = factory.Sequence(lambda n: f"manual:{n}")
    source_label = "Gửi từ trang khách hàng"
    recipient = factory.LazyAttribute(lambda message: message.customer.email)
    subject = "Cảm ơn bạn"
    body = "Cảm ơn bạn đã mua hàng."
