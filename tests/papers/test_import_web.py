"""Importing reading lists through the web (organizers only) and from the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from papers import duplicates
from papers.models import Listing, Paper, PendingImport, ReadingList
from tests.factories import OrganizerFactory, PaperFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("papers:import")

GOOD_BIB = b"""@inproceedings{kwon2023efficient,
  title={Efficient Memory Management for Large Language Model Serving with {PagedAttention}},
  author={Kwon, Woosuk and Li, Zhuohan},
  booktitle={Proceedings of the 29th Symposium on Operating Systems Principles},
  year={2023}
}

@article{gu2023mamba,
  title={Mamba: Linear-time sequence modeling with selective state spaces},
  author={Gu, Albert and Dao, Tri},
  journal={arXiv preprint arXiv:2312.00752},
  year={2023}
}
"""

PARTLY_BAD_BIB = b"""@article{good2020,
  title={A perfectly good entry},
  year={2020}
}

@article{broken2021,
  title={Unbalanced {braces here,
  year={2021}

@article{notitle2022,
  author={Nobody, Anne},
  year={2022}
}

@article{good2020,
  title={Same key again},
  year={2020}
}

@article{alsogood2019,
  title={Another good entry},
  year={2019}
}
"""


def _upload(client: Client, name: str, content: bytes):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def test_import_page_refuses_members(member_client: Client) -> None:
    response = member_client.get(IMPORT)
    assert response.status_code == 403
    assert "Only organizers can do this." in response.content.decode()
    assert _upload(member_client, "x.bib", GOOD_BIB).status_code == 403
    assert PendingImport.objects.count() == 0


def test_import_preview_shows_plan_and_writes_nothing(organizer_client: Client) -> None:
    PaperFactory(title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces")
    response = _upload(organizer_client, "review.bib", GOOD_BIB)
    pending = PendingImport.objects.get()
    assert response["Location"] == reverse("papers:import_preview", args=[pending.pk])
    preview = organizer_client.get(response["Location"])
    html = preview.content.decode()
    assert preview.context["plan"].new[0].entry.title.startswith("Efficient Memory Management")
    assert [m.paper.title for m in preview.context["plan"].existing] == [
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    ]
    assert "Import 1 new paper" in html
    assert "Nothing has been written yet." in html
    assert Paper.objects.count() == 1
    assert ReadingList.objects.count() == 0


def test_import_confirm_writes_and_a_second_click_changes_nothing(organizer_client: Client) -> None:
    _upload(organizer_client, "review.bib", GOOD_BIB)
    pending = PendingImport.objects.get()
    confirm = reverse("papers:import_confirm", args=[pending.pk])
    response = organizer_client.post(confirm, follow=True)
    reading_list = ReadingList.objects.get()
    assert (
        response.redirect_chain[-1][0] == f"{reverse('papers:paper_list')}?list={reading_list.pk}"
    )
    assert "Imported review.bib: 2 entries, 2 new papers" in response.content.decode()
    assert Paper.objects.count() == 2
    again = organizer_client.post(confirm, follow=True)
    assert "review.bib was already imported." in again.content.decode()
    assert Paper.objects.count() == 2
    assert Listing.objects.count() == 2


def test_big_import_previews_and_reports_its_duplicate_search_as_coming_after(
    organizer_client: Client, monkeypatch
) -> None:
    monkeypatch.setattr(duplicates, "INLINE_SEARCH_LIMIT", 1)  # GOOD_BIB has 2 papers
    response = _upload(organizer_client, "review.bib", GOOD_BIB)
    html = organizer_client.get(response["Location"]).content.decode()
    assert "possible duplicates: looked for after the import" in html
    assert "the search for possible duplicates runs in the background" in html
    pending = PendingImport.objects.get()
    done = organizer_client.post(reverse("papers:import_confirm", args=[pending.pk]), follow=True)
    assert "the search for duplicate candidates runs in the background" in done.content.decode()
    assert Paper.objects.duplicate_search_pending().count() == 2


def test_import_confirm_via_htmx_redirects_with_header(organizer_client: Client) -> None:
    _upload(organizer_client, "review.bib", GOOD_BIB)
    pending = PendingImport.objects.get()
    response = organizer_client.post(
        reverse("papers:import_confirm", args=[pending.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"].startswith(reverse("papers:paper_list") + "?list=")
    assert Paper.objects.count() == 2


def test_import_preview_of_another_organizer_is_hidden(organizer_client: Client) -> None:
    other = OrganizerFactory()
    pending = PendingImport.objects.create(uploaded_by=other, filename="x.bib", content=GOOD_BIB)
    assert (
        organizer_client.get(reverse("papers:import_preview", args=[pending.pk])).status_code == 404
    )
    response = organizer_client.post(reverse("papers:import_confirm", args=[pending.pk]))
    assert response.status_code == 404
    assert Paper.objects.count() == 0


def test_import_preview_forbidden_to_member_and_anonymous(member_client: Client, client) -> None:
    pending = PendingImport.objects.create(
        uploaded_by=OrganizerFactory(), filename="x.bib", content=GOOD_BIB
    )
    url = reverse("papers:import_preview", args=[pending.pk])
    assert member_client.get(url).status_code == 403
    assert client.get(url)["Location"].startswith(reverse("login"))


def test_import_partly_bad_file_imports_good_entries_and_reports_the_rest(
    organizer_client: Client,
) -> None:
    _upload(organizer_client, "mixed.bib", PARTLY_BAD_BIB)
    pending = PendingImport.objects.get()
    preview = organizer_client.get(reverse("papers:import_preview", args=[pending.pk]))
    problems = preview.context["plan"].problems
    messages = " | ".join(f"{p.line}:{p.entry}:{p.message}" for p in problems)
    assert len(problems) == 3, messages
    assert any(p.line == 6 for p in problems), messages  # unbalanced braces
    assert any("notitle2022" in p.entry or "notitle2022" in p.message for p in problems), messages
    assert any("good2020" in (p.entry + p.message) for p in problems), messages
    organizer_client.post(reverse("papers:import_confirm", args=[pending.pk]))
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        "A perfectly good entry",
        "Another good entry",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.bib", b"", "empty.bib"),
        ("blank.md", b"   \n\n  ", "blank.md"),
        ("latin1.bib", "@article{k, title={Caf\xe9}}".encode("latin-1"), "latin1.bib"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png"),
        ("notes.txt", b"Just some notes about papers we like.\nNothing structured.\n", "notes.txt"),
    ],
)
def test_import_unusable_file_gets_a_clear_error_and_writes_nothing(
    organizer_client: Client, name: str, content: bytes, message: str
) -> None:
    response = _upload(organizer_client, name, content)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in e for e in errors), errors
    assert message in response.content.decode()
    assert PendingImport.objects.count() == 0
    assert Paper.objects.count() == 0


def test_import_file_over_the_limit_is_refused(organizer_client: Client, settings) -> None:
    settings.READINGGROUP_MAX_IMPORT_BYTES = 1024
    content = GOOD_BIB * 10
    response = _upload(organizer_client, "huge.bib", content)
    assert response.context["form"].errors["file"] == [
        f"huge.bib is too big: {len(content) / 1024:.1f} KB ({len(content)} bytes); "
        "the limit is 1.0 KB (1024 bytes)."
    ]
    assert PendingImport.objects.count() == 0


def test_import_without_a_file_asks_for_one(organizer_client: Client) -> None:
    response = organizer_client.post(IMPORT, {})
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_import_command_reads_each_format(tmp_path: Path, fixtures_dir: Path) -> None:
    bib = tmp_path / "extra.bib"
    bib.write_bytes(GOOD_BIB)
    out = io.StringIO()
    call_command("import_list", str(bib), str(fixtures_dir / "reading-list.md"), stdout=out)
    text = out.getvalue()
    assert "extra.bib: 2 entries, 2 new papers" in text
    assert "reading-list.md: 118 entries" in text
    assert set(ReadingList.objects.values_list("format", flat=True)) == {"bibtex", "gitbook"}


def test_import_command_reports_unreadable_file_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bib"
    bad.write_bytes(b"\x00\x01\x02binary")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_list", str(bad), stderr=err)
    assert "bad.bib" in err.getvalue()
    assert ReadingList.objects.count() == 0
