from __future__ import annotations

import datetime

import pytest

from papers.parsing.venues import parse_venue_tag, venue_from_bibtex


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("OSDI20", ("OSDI", 2020)),
        ("arxiv24", ("arXiv", 2024)),
        ("ArXiv 25", ("arXiv", 2025)),
        ("arXiv '18", ("arXiv", 2018)),
        ("NIPS22", ("NeurIPS", 2022)),
        ("NIPS '12", ("NeurIPS", 2012)),
        ("NeurIPS '19", ("NeurIPS", 2019)),
        ("SOSP '23", ("SOSP", 2023)),
        ("SC '21'", ("SC", 2021)),
        ("OSDI' 20", ("OSDI", 2020)),
        ("atc24", ("ATC", 2024)),
        ("ATC '22", ("ATC", 2022)),
        ("EuroSys '23", ("EuroSys", 2023)),
        ("eurosys23", ("EuroSys", 2023)),
        ("e-Energy '24", ("e-Energy", 2024)),
        ("IEEE Micro 24", ("IEEE Micro", 2024)),
        ("MICRO '16", ("MICRO", 2016)),
        ("Journal of Supercomputing 24", ("Journal of Supercomputing", 2024)),
        ("USENIX 24", ("USENIX", 2024)),
        ("IEEE 23", ("IEEE", 2023)),
        ("SysML19", ("SysML", 2019)),
        ("sysml19", ("SysML", 2019)),
        ("EuroMLSys24", ("EuroMLSys", 2024)),
        ("ICCAD24", ("ICCAD", 2024)),
        ("HPCC22", ("HPCC", 2022)),
        ("CF23", ("CF", 2023)),
        ("MLSys24", ("MLSys", 2024)),
        ("mlsys '22", ("MLSys", 2022)),
        ("OSDI 2020", ("OSDI", 2020)),
        ("  SOSP23  ", ("SOSP", 2023)),
    ],
)
def test_parse_venue_tag_known_forms(tag, expected):
    assert parse_venue_tag(tag) == expected


def test_parse_venue_tag_unknown_placeholder():
    assert parse_venue_tag("x") == ("", None)
    assert parse_venue_tag("") == ("", None)
    assert parse_venue_tag("?") == ("", None)


def test_parse_venue_tag_unknown_well_formed_venue_keeps_spelling():
    assert parse_venue_tag("FooConf 21") == ("FooConf", 2021)


def test_parse_venue_tag_known_venue_without_year():
    assert parse_venue_tag("osdi") == ("OSDI", None)


def test_parse_venue_tag_two_digit_year_beyond_next_year_is_last_century():
    next_year = datetime.date.today().year + 1
    too_far = (next_year + 1) % 100
    assert parse_venue_tag(f"ISCA {too_far:02d}") == ("ISCA", 1900 + too_far)
    assert parse_venue_tag(f"ISCA {next_year % 100:02d}") == ("ISCA", next_year)
    assert parse_venue_tag("ISCA '98") == ("ISCA", 1998)


# Every booktitle/journal in fixtures/literature-review.md (grep -E 'booktitle|journal').
@pytest.mark.parametrize(
    ("field", "name", "expected"),
    [
        (
            "booktitle",
            "Proceedings of the 28th ACM International Conference on Architectural Support for "
            "Programming Languages and Operating Systems, Volume 2",
            "ASPLOS",
        ),
        ("journal", "arXiv preprint arXiv:2312.00752", "arXiv"),
        (
            "booktitle",
            "2021 IEEE International Symposium on High-Performance Computer Architecture (HPCA)",
            "HPCA",
        ),
        ("journal", "IEEE Micro", "IEEE Micro"),
        (
            "booktitle",
            "Proceedings of the 50th Annual International Symposium on Computer Architecture",
            "ISCA",
        ),
        ("booktitle", "Proceedings of the ACM SIGCOMM 2024 Conference", "SIGCOMM"),
        (
            "booktitle",
            "Proceedings of the ACM SIGCOMM 2012 conference on Applications, technologies, "
            "architectures, and protocols for computer communication",
            "SIGCOMM",
        ),
        (
            "booktitle",
            "18th USENIX Symposium on Networked Systems Design and Implementation (NSDI 21)",
            "NSDI",
        ),
        (
            "booktitle",
            "18th USENIX Symposium on Operating Systems Design and Implementation (OSDI 24)",
            "OSDI",
        ),
        ("journal", "Proceedings of Machine Learning and Systems", "MLSys"),
        ("journal", "Proceedings of the VLDB Endowment", "VLDB"),
        ("journal", "Advances in neural information processing systems", "NeurIPS"),
        ("journal", "Advances in Neural Information Processing Systems", "NeurIPS"),
        ("booktitle", "International conference on machine learning", "ICML"),
        ("booktitle", "Forty-first International Conference on Machine Learning", "ICML"),
        ("booktitle", "The Twelfth International Conference on Learning Representations", "ICLR"),
        (
            "booktitle",
            "Proceedings of the 43rd ACM Symposium on Principles of Distributed Computing",
            "PODC",
        ),
        (
            "booktitle",
            "Proceedings of the international conference for high performance computing, "
            "networking, storage and analysis",
            "SC",
        ),
        ("booktitle", "Proceedings of the 29th Symposium on Operating Systems Principles", "SOSP"),
        (
            "booktitle",
            "2024 ACM/IEEE 51st Annual International Symposium on Computer Architecture (ISCA)",
            "ISCA",
        ),
    ],
)
def test_venue_from_bibtex_literature_review_venues(field, name, expected):
    assert venue_from_bibtex({field: name}) == expected


def test_venue_from_bibtex_prefers_booktitle_and_ignores_field_case():
    assert venue_from_bibtex({"Booktitle": "Proc. of EuroSys (EuroSys '23)", "journal": "x"}) == (
        "EuroSys"
    )


def test_venue_from_bibtex_unknown_long_name_is_cleaned():
    fields = {"journal": "Journal  of {Very} Obscure\n   Results"}
    assert venue_from_bibtex(fields) == "Journal of Very Obscure Results"


def test_venue_from_bibtex_eprint_without_journal_is_arxiv():
    assert venue_from_bibtex({"eprint": "2401.00001", "archiveprefix": "arXiv"}) == "arXiv"


def test_venue_from_bibtex_no_venue_fields():
    assert venue_from_bibtex({"title": "Only a title"}) == ""


def test_parse_venue_tag_implausible_four_digit_year_is_dropped():
    assert parse_venue_tag("OSDI 3020") == ("OSDI", None)
