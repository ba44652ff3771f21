"""Forms of the workspace pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from salesstudio.models import Bot, Role


class Styled:
    """Give every widget Bootstrap's class, so templates render fields with one include."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = {"select": "form-select", "checkbox": "form-check-input"}.get(
                getattr(widget, "input_type", None) or ("select" if isinstance(widget, forms.Select) else ""),
                "form-control",
            )
            widget.attrs.setdefault("class", css)


class FilePicker(forms.FileInput):
    """A file field whose button and "no file chosen" are the page's words, in the page's language (a browser's own
    file input says "Choose File" on a Chinese page when the browser speaks English); `multiple` takes several."""

    template_name = "salesstudio/widgets/file_picker.html"

    def __init__(self, attrs: dict | None = None, *, multiple: bool = False) -> None:
        self.allow_multiple_selected = multiple
        super().__init__(attrs)

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["class"] = "file-picker-input"  # shown as the label beside it (static/css/app.css)
        return context


class LoginForm(Styled, AuthenticationForm):
    pass


class StyledPasswordChangeForm(Styled, PasswordChangeForm):
    pass


class StyledPasswordResetForm(Styled, PasswordResetForm):
    pass


class StyledSetPasswordForm(Styled, SetPasswordForm):
    pass


class WorkspaceForm(Styled, forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=100)


class BotForm(Styled, forms.ModelForm):
    class Meta:
        model = Bot
        fields = ["name", "description", "dialect"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class InviteForm(Styled, forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.EDITOR)


class RoleForm(Styled, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class BundleUploadForm(Styled, forms.Form):
    file = forms.FileField(label=_("Bot file (.json)"), widget=FilePicker(attrs={"accept": ".json,application/json"}))


class SignUpForm(Styled, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
                               help_text=_("Letters (Chinese too), digits and @ . + - _ only."))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)

