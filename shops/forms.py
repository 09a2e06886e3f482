import re
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from core.fields import DateField
from shops.models import ActivityKind, Shop, User
from shops.selectors import SYSTEM_ACTOR
from shops.services import normalize_username


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


def _time_zone_choices():
    # Vietnam's zone first, then the rest alphabetically.
    names = sorted(zoneinfo.available_timezones() - {"Asia/Ho_Chi_Minh"})
    return [("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh (UTC+7)")] + [(name, name) for name in names if "/" in name]


class ShopSettingsForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=200)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices)
    auto_activate_members = forms.BooleanField(
        label=_("Make customers members automatically on their first paid order"), required=False
    )
    slug = forms.CharField(
        label=_("Member page address"),
        max_length=40,
        required=False,
        help_text=_(
            "Members reach their own page at /m/<this address>/. Lower-case letters, digits and hyphens. "
            "Once printed on receipts, change it only if you must: the old address stops working."
        ),
    )

    def __init__(self, *args, shop: Shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the shop's name."))
        return name

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        if not slug:
            return self.shop.slug  # left empty: kept as it is
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) or len(slug) < 3:
            raise forms.ValidationError(
                _("Use at least 3 lower-case letters or digits, with hyphens between words, such as hoa-mai.")
            )
        if Shop.objects.filter(slug=slug).exclude(pk=self.shop.pk).exists():
            raise forms.ValidationError(_("Another shop has this address: choose another."))
        return slug


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    # Vietnamese order: the family name (Họ) comes first.
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices, initial=User.Role.STAFF)
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput)

    def clean_username(self):
        username = normalize_username(self.cleaned_data["username"])
        if not username.replace(".", "").replace("_", "").replace("-", "").replace("@", "").isalnum():
            raise forms.ValidationError(_("Use only letters, digits and . _ - @ in a username."))
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(
                _("The username %(username)s is taken: choose another.") % {"username": username}
            )
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class StaffUpdateForm(forms.Form):
    # Vietnamese order: the family name (Họ) comes first.
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False)


class ActivityFilterForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(shop=shop).order_by("username")
        self.fields["person"].choices = [
            ("", _("Everyone")),
            (SYSTEM_ACTOR, _("system")),
            *[(str(user.pk), user.display_name) for user in staff],
        ]
        self.fields["kind"].choices = [("", _("All kinds")), *ActivityKind.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date: swap them."))
        return cleaned

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
