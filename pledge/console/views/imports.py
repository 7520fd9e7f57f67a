from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from pledge.console.decorators import staff_view
from pledge.intake.imports import ImportRefused, import_batch_create, import_read
from pledge.intake.models import ImportBatch
from pledge.intake.tasks import run_import
from pledge.inventory.labels import basis_name
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import LEGAL_BASES

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("First line: email, name, phone, company, language (only email is required)."),
    )
    source = forms.ChoiceField(label=_("Where the data comes from"))
    basis = forms.ChoiceField(label=_("Legal basis"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            (key, source.name) for key, source in current_inventory().other_sources.items()
        ]
        self.fields["basis"].choices = [(basis, basis_name(basis)) for basis in LEGAL_BASES]


@staff_view("import_people")
def upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB. Split it."))
        else:
            try:
                read = import_read(
                    upload.read(),
                    source=form.cleaned_data["source"],
                    basis=form.cleaned_data["basis"],
                )
            except ImportRefused as refused:
                form.add_error("file", str(refused))
            else:
                batch = import_batch_create(
                    read=read,
                    source=form.cleaned_data["source"],
                    basis=form.cleaned_data["basis"],
                    file_name=upload.name or "",
                    actor=request.actor,
                )
                return redirect("console:import_batch", public_id=batch.public_id)
    return render(request, "console/import.html", {"form": form})


@staff_view("import_people")
def batch(request, public_id):
    batch = get_object_or_404(ImportBatch, public_id=public_id)
    if request.method == "POST" and batch.finished_at is None and not batch.done:
        run_import.enqueue(batch.pk)
        return redirect(f"{request.path}?started=1")
    started = request.GET.get("started") == "1" or batch.done > 0
    return render(
        request,
        "console/import_batch.html",
        {
            "batch": batch,
            "started": started,
            "refresh": started and batch.finished_at is None,
        },
    )
