from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import AmountField, DateField, PointsField
from core.spreadsheets import EMPTY_FILE
from loyalty.models import Tier
from members.models import Customer, CustomerGroup
from members.phones import InvalidPhone, normalize_phone
from members.selectors import DEFAULT_SORT, SORTS, CustomerFilters

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
MONTHS = [("", _("Any"))] + [(str(month), _("Month %(month)d") % {"month": month}) for month in range(1, 13)]


def _tier_choices(shop):
    if not shop:
        return [("", _("Any"))]
    tiers = Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold")
    return [("", _("Any")), *tiers.values_list("pk", "name")]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Phone, name or e-mail"), "type": "search"}),
    )
    member = forms.ChoiceField(label=_("Member"), choices=YES_NO, required=False)
    has_email = forms.ChoiceField(label=_("Has e-mail"), choices=YES_NO, required=False)
    accepts_sms = forms.ChoiceField(label=_("Accepts SMS"), choices=YES_NO, required=False)
    birthday_month = forms.TypedChoiceField(
        label=_("Birthday month"), choices=MONTHS, coerce=int, empty_value=None, required=False
    )
    spent_min = AmountField(label=_("Spent from (₫)"), min_value=0, required=False)
    spent_max = AmountField(label=_("Spent up to (₫)"), min_value=0, required=False)
    last_order_after = DateField(label=_("Last order from"), required=False)
    last_order_before = DateField(label=_("Last order up to"), required=False)
    group = forms.TypedChoiceField(label=_("Group"), coerce=int, empty_value=None, required=False)
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int, empty_value=None, required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in SORTS] + [(f"-{key}", f"-{key}") for key in SORTS],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, shop=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = CustomerGroup.objects.for_shop(shop).values_list("pk", "name") if shop else []
        self.fields["group"].choices = [("", _("Any")), *groups]
        self.fields["tier"].choices = _tier_choices(shop)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("spent_min"), cleaned.get("spent_max")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The lowest spend is above the highest: swap them."))
        start, end = cleaned.get("last_order_after"), cleaned.get("last_order_before")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date: swap them."))
        return cleaned

    def filters(self) -> CustomerFilters:
        if not self.is_valid():
            return CustomerFilters()
        return CustomerFilters.from_params(self.cleaned_data)

    def sort_order(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or DEFAULT_SORT


class CustomerContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40)
    email = forms.EmailField(label=_("Email"), required=False)
    birthday = DateField(label=_("Birthday"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Customer.Gender.choices, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    accepts_email = forms.BooleanField(label=_("Accepts e-mail"), required=False)
    accepts_sms = forms.BooleanField(label=_("Accepts SMS"), required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_phone(self):
        try:
            phone = normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(str(error)) from error
        clash = Customer.objects.for_shop(self.customer.shop).filter(phone=phone).exclude(pk=self.customer.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("Another customer already has this phone number (%(phone)s).") % {"phone": phone}
            )
        return phone


class GroupCreateForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerGroup.Kind.choices, widget=forms.RadioSelect)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if CustomerGroup.objects.for_shop(self.shop).filter(name=name).exists():
            raise forms.ValidationError(_("A group with this name already exists."))
        return name


class GroupRulesForm(forms.Form):
    """The conditions of a rule group, all combined with AND."""

    name = forms.CharField(label=_("Group name"), max_length=200)
    member = forms.ChoiceField(label=_("Member"), choices=YES_NO, required=False)
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int, empty_value=None, required=False)
    points_min = PointsField(label=_("Points from"), required=False)
    spent_min = AmountField(label=_("Spent from (₫)"), min_value=0, required=False)
    spent_max = AmountField(label=_("Spent up to (₫)"), min_value=0, required=False)
    ordered_within_days = forms.IntegerField(
        label=_("Ordered within the last N days"), min_value=1, max_value=3650, required=False
    )
    no_order_for_days = forms.IntegerField(
        label=_("No order for at least N days"), min_value=1, max_value=3650, required=False
    )
    birthday_month = forms.TypedChoiceField(
        label=_("Birthday month"), choices=MONTHS, coerce=int, empty_value=None, required=False
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("Any")), *Customer.Gender.choices[1:]], required=False
    )
    has_email = forms.ChoiceField(label=_("Has e-mail"), choices=YES_NO, required=False)
    accepts_sms = forms.ChoiceField(label=_("Accepts SMS"), choices=YES_NO, required=False)

    def __init__(self, *args, shop, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop, self.group = shop, group
        self.fields["tier"].choices = _tier_choices(shop)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = CustomerGroup.objects.for_shop(self.shop).filter(name=name)
        if self.group is not None:
            clash = clash.exclude(pk=self.group.pk)
        if clash.exists():
            raise forms.ValidationError(_("A group with this name already exists."))
        return name

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("spent_min"), cleaned.get("spent_max")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The lowest spend is above the highest: swap them."))
        return cleaned

    def rules(self) -> dict:
        return CustomerFilters.from_params({k: v for k, v in self.cleaned_data.items() if k != "name"}).to_params()


class PhoneListForm(forms.Form):
    file = forms.FileField(
        label=_("A list of phones (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": _("Choose the file with the phones, then upload it."), "empty": EMPTY_FILE},
    )


class AddToGroupForm(CustomerFilterForm):
    target = forms.ModelChoiceField(label=_("Group"), queryset=CustomerGroup.objects.none())

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, shop=shop, **kwargs)
        self.fields["target"].queryset = CustomerGroup.objects.for_shop(shop).filter(kind=CustomerGroup.Kind.STATIC)
