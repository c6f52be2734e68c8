from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from dentruong.accounts import services
from dentruong.accounts.models import User


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, max_length=4096)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)


class InitialPasswordForm(AdminPasswordChangeForm):
    """The admin's "change password" form: a password an administrator sets is one the
    user must replace at their next login."""

    def save(self, commit: bool = True) -> User:
        user = self.user
        assert isinstance(user, User)
        if not self.cleaned_data.get("set_usable_password", True):
            saved: User = super().save(commit=commit)  # password login switched off
            return saved
        password = self.cleaned_data["password1"]
        if commit:
            services.set_initial_password(user=user, password=password)
        else:
            user.set_password(password)
            user.must_change_password = True
        return user
