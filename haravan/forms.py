from django import forms
from django.utils.translation import gettext_lazy as _


class ConnectionForm(forms.Form):
    store_name = forms.CharField(label=_("Haravan store name"), max_length=200, required=False)
    access_token = forms.CharField(
        label=_("Private app access token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the saved token. It is stored encrypted and never shown again."),
    )
    client_id = forms.CharField(label=_("App client id (OAuth)"), max_length=200, required=False)
    client_secret = forms.CharField(
        label=_("App client secret (signs webhooks)"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the saved secret."),
    )

    def clean_access_token(self):
        token = self.cleaned_data["access_token"].replace(" ", "")
        if token.lower().startswith("bearer"):
            token = token[6:]
        return token
