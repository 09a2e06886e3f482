import time

from django import forms
from django.utils.translation import gettext_lazy as _

from core.crypto import decrypt, encrypt
from members.phones import InvalidPhone, normalize_phone
from messaging.destinations import DestinationRefused, smtp_destination_check
from messaging.models import Message, MessagingSettings
from messaging.senders import app_password
from messaging.services.accounts import EmailAccount, SmsAccount

# After a good test, the secret just used is kept (encrypted, in the staff member's own
# session, never in the page) for the next "Save" of that form, within this many seconds.
KEPT_SECRET_SECONDS = 15 * 60


class _SettingsForm(forms.ModelForm):
    """A part of the messaging settings with its secret: the secret is never shown back, an
    empty one keeps the saved one, and it must be typed again when the place it would be
    sent to changes (``secret_bound``)."""

    secret = ""
    secret_bound: tuple[str, ...] = ()
    account_class: type[EmailAccount] | type[SmsAccount]

    def __init__(self, *args, kept: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = kept  # from kept_secret(), after a good test of this form

    def clean(self):
        cleaned = super().clean()
        typed = cleaned.get(self.secret)
        if not typed and self.kept:
            fresh = time.time() - self.kept["at"] < KEPT_SECRET_SECONDS
            if fresh and self.kept["bound"] == self._bound(cleaned):
                cleaned[self.secret] = typed = decrypt(self.kept["secret"])
            else:
                self.add_error(self.secret, self.retype_message)
                return cleaned
        saved = getattr(self.instance, self.secret)
        moved = [name for name in self.secret_bound if name in self.changed_data]
        if not typed and saved and moved:
            self.add_error(self.secret, self.retype_message)
        return cleaned

    def _bound(self, values: dict) -> dict:
        return {name: values.get(name) for name in self.secret_bound}

    def account(self) -> EmailAccount | SmsAccount:
        """What the services take: the settings and the secret, not the test's fields."""
        return self.account_class(**{name: self.cleaned_data[name] for name in (*self._meta.fields, self.secret)})

    def kept_secret(self) -> dict | None:
        """What the session keeps after a good test: the secret typed for it (encrypted) and
        where it was sent, so that it only goes, unretyped, with those same settings."""
        if not (secret := self.cleaned_data.get(self.secret)):
            return None
        return {"secret": encrypt(secret), "bound": self._bound(self.cleaned_data), "at": time.time()}


class EmailSettingsForm(_SettingsForm):
    account_class = EmailAccount
    secret = "smtp_password"
    secret_bound = ("smtp_host", "smtp_port", "smtp_security", "smtp_username")
    retype_message = _(
        "Enter the app password again: a saved or tested password is only sent to the server and the Gmail "
        "address it was saved or tested with."
    )

    smtp_password = forms.CharField(
        label=_("App password (16 letters)"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Google shows it as “abcd efgh ijkl mnop”; the spaces are removed. Leave empty to keep the saved one: "
            "it is stored encrypted and never shown again."
        ),
    )
    test_to = forms.EmailField(
        label=_("Send the test to"),
        required=False,
        help_text=_("“Send a test” sends one email with the settings above, before they are saved."),
    )

    field_order = ["smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password", "from_email",
                   "from_name", "test_to"]  # fmt: skip

    class Meta:
        model = MessagingSettings
        fields = ["smtp_host", "smtp_port", "smtp_security", "smtp_username", "from_email", "from_name"]
        labels = {
            "smtp_host": _("SMTP server"),
            "smtp_port": _("Port"),
            "smtp_security": _("Encryption"),
            "smtp_username": _("Gmail address (login)"),
            "from_email": _("Sender address (empty: the Gmail address)"),
            "from_name": _("Sender name (e.g. the shop's name)"),
        }

    def clean_smtp_password(self):
        value = app_password(self.cleaned_data["smtp_password"])
        gmail = self.cleaned_data.get("smtp_host", "").endswith("gmail.com")
        if value and gmail and len(value) != 16:
            raise forms.ValidationError(
                _(
                    "A Gmail app password has 16 letters (this one has %(count)d). Copy it again from "
                    "Google account › Security › App passwords."
                )
                % {"count": len(value)}
            )
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("smtp_username") and not self.instance.smtp_password and not cleaned.get("smtp_password"):
            self.add_error("smtp_password", _("Enter the app password: none is saved yet."))
        place = [cleaned.get(name) for name in ("smtp_host", "smtp_port", "smtp_security")]
        if all(place):
            host, port, security = place
            try:
                smtp_destination_check(host=host, port=port, security=security)
            except DestinationRefused as refused:
                self.add_error(refused.field, refused.message)
            except OSError:
                pass  # a name that does not resolve: the test send says so in its own words
        return cleaned


class SmsSettingsForm(_SettingsForm):
    account_class = SmsAccount
    secret = "sms_password"
    secret_bound = ("sms_username",)
    retype_message = _("Enter the password again: the VietGuys account changed.")

    sms_password = forms.CharField(
        label=_("VietGuys password or token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved one: it is stored encrypted and never shown again."),
    )
    test_phone = forms.CharField(
        label=_("Send the test to (phone)"),
        required=False,
        max_length=40,
        help_text=_("“Send a test” sends one SMS with the settings above, before they are saved."),
    )

    field_order = ["sms_username", "sms_password", "sms_brandname", "sms_part_price", "test_phone"]

    class Meta:
        model = MessagingSettings
        fields = ["sms_username", "sms_brandname", "sms_part_price"]
        labels = {
            "sms_username": _("VietGuys account"),
            "sms_brandname": _("Brandname (the sender name registered with VietGuys)"),
            "sms_part_price": _("Price of one SMS part (₫), to show costs; 0 if unknown"),
        }

    def clean_test_phone(self):
        value = self.cleaned_data["test_phone"]
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except InvalidPhone as error:
            raise forms.ValidationError(str(error)) from error


class MessageForm(forms.Form):
    """A message to one customer, from their page."""

    channel = forms.ChoiceField(label=_("Send by"), choices=Message.Channel.choices, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject (email)"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    without_marks = forms.BooleanField(
        label=_("Send the SMS without Vietnamese marks (160 characters a part instead of 70)"), required=False
    )
    # Sent with the form and back: the same form submitted twice sends once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_body(self):
        # Browsers send a line break as CRLF; one line break is one character of an SMS.
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].split())  # one line: it is a header

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == Message.Channel.EMAIL and not cleaned.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        return cleaned
