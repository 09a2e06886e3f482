import factory

from shops.models import Shop, User

TEST_PASSWORD = "an-honest-Passw0rd"


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True  # the defaults hook writes other rows, not the shop

    name = factory.Sequence(lambda n: f"Cửa hàng {n}")
    slug = factory.Sequence(lambda n: f"cua-hang-{n}")

    @factory.post_generation
    def defaults(shop, create, extracted, **kwargs):
        """What every shop is made with (``loyalty.services.shop_open``): pages only read it."""
        if create and extracted is not False:
            from loyalty.services import loyalty_defaults_create

            loyalty_defaults_create(shop=shop)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nhanvien{n}")
    first_name = "Lan"
    last_name = "Nguyễn"
    shop = factory.SubFactory(ShopFactory)
    role = User.Role.STAFF
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OwnerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"chushop{n}")
    role = User.Role.OWNER
