from django import forms
from django.utils.translation import gettext_lazy


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Your phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0912 345 678"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The 6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


class RedeemForm(forms.Form):
    reward = forms.IntegerField(widget=forms.HiddenInput)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
