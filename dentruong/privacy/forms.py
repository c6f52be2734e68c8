"""Forms of the rights requests: register one, act on one. Clean values go to
`dentruong.privacy.services`, which has the last word (PrivacyError)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dentruong.people.forms import NameField
from dentruong.people.models import Relationship
from dentruong.privacy.models import RequestKind

DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class RightsRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("The guardian asks to"), choices=RequestKind.choices)
    requester_name = NameField(label=_("Requested by (full name)"), max_length=150)
    requester_relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=Relationship.choices
    )
    requester_contact = forms.CharField(
        label=_("Contact (phone, address)"), max_length=150, required=False
    )
    details = forms.CharField(
        label=_("What is asked"), max_length=2000, required=False, widget=forms.Textarea
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        input_formats=DATETIME_INPUT_FORMATS,
        required=False,
        help_text=_("dd/mm/yyyy hh:mm; empty: now"),
    )


class Action:
    START = "start"
    ANSWER_ACCESS = "answer_access"
    CORRECT = "correct"
    ERASE = "erase"
    WITHDRAW = "withdraw"
    REFUSE = "refuse"


ACTIONS = (
    (Action.START, _("Start working on it")),
    (Action.ANSWER_ACCESS, _("Give the data (export)")),
    (Action.CORRECT, _("Record the corrections made")),
    (Action.ERASE, _("Erase the data")),
    (Action.WITHDRAW, _("Withdraw the notice consents")),
    (Action.REFUSE, _("Refuse, with the reason")),
)
# The action that answers each kind of request (besides refusing).
ANSWER_OF = {
    RequestKind.ACCESS: Action.ANSWER_ACCESS,
    RequestKind.CORRECT: Action.CORRECT,
    RequestKind.DELETE: Action.ERASE,
    RequestKind.OBJECT: Action.WITHDRAW,
}


class ActForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea)
