from __future__ import annotations

import bibtexparser

from papers.parsing.base import SourceFormat
from papers.parsing.bibtex import format_authors, parse_bibtex, parse_bibtex_document

TENSORIR = """\
@inproceedings{feng2023tensorir,
  title={Tensorir: An abstraction for automatic tensorized program optimization},
  author={Feng, Siyuan and Hou, Bohan and Jin, Hongyi and others},
  booktitle={Proceedings of the 28th ACM International Conference on Architectural Support for Programming Languages and Operating Systems, Volume 2},
  pages={804--817},
  year={2023}
}
"""  # noqa: E501

MAMBA = """\
@article{gu2023mamba,
  title={Mamba: Linear-time sequence modeling with selective state spaces},
  author={Gu, Albert and Dao, Tri},
  journal={arXiv preprint arXiv:2312.00752},
  year={2023}
}
"""


def test_parse_bibtex_maps_fields():
    entries, problems = parse_bibtex(TENSORIR, topic="Tensor Program Optimization")
    assert problems == []
    [entry] = entries
    assert entry.title == "Tensorir: An abstraction for automatic tensorized program optimization"
    assert entry.topic == "Tensor Program Optimization"
    assert entry.authors == "Siyuan Feng, Bohan Hou, Hongyi Jin and others"
    assert entry.venue == "ASPLOS"
    assert entry.year == 2023
    assert entry.pages == "804-817"
    assert entry.citation_key == "feng2023tensorir"
    assert entry.entry_type == "inproceedings"
    assert entry.fields["pages"] == "804--817"
    assert entry.fields["author"].startswith("Feng, Siyuan and")
    assert entry.raw == TENSORIR.rstrip("\n")
    assert entry.line == 1
    assert entry.url == ""


def test_parse_bibtex_arxiv_journal_gives_venue_and_url():
    [entry], _ = parse_bibtex(MAMBA)
    assert entry.venue == "arXiv"
    assert entry.url == "https://arxiv.org/abs/2312.00752"
    assert entry.authors == "Albert Gu, Tri Dao"


def test_parse_bibtex_eprint_gives_arxiv_url_but_explicit_url_wins():
    text = """
@misc{a, title={A}, eprint={2401.01234}, archivePrefix={arXiv}}
@misc{b, title={B}, eprint={2401.01234}, url={https://example.org/b}}
"""
    first, second = parse_bibtex(text)[0]
    assert first.url == "https://arxiv.org/abs/2401.01234"
    assert first.venue == "arXiv"
    assert second.url == "https://example.org/b"


def test_parse_bibtex_latex_title_and_short_name():
    text = r"""@inproceedings{jiang2024megascale,
  title={$\{$MegaScale$\}$: Scaling large language model training to more than 10,000 $\{$GPUs$\}$},
  booktitle={21st USENIX Symposium on Networked Systems Design and Implementation (NSDI 24)},
  year={2024}
}
@misc{kwon, title={(vLLM) Efficient Memory Management}}
@misc{sh, title={Some Paper}, shorthand={SP}}
"""
    megascale, vllm, shorthand = parse_bibtex(text)[0]
    assert megascale.title == (
        "MegaScale: Scaling large language model training to more than 10,000 GPUs"
    )
    assert megascale.venue == "NSDI"
    assert (vllm.short_name, vllm.title) == ("vLLM", "Efficient Memory Management")
    assert (shorthand.short_name, shorthand.title) == ("SP", "Some Paper")


def test_parse_bibtex_line_offset_and_lines_are_one_based():
    text = "\n\n" + MAMBA + "\n" + TENSORIR
    mamba, tensorir = parse_bibtex(text, line_offset=10)[0]
    assert mamba.line == 13
    assert tensorir.line == 13 + MAMBA.count("\n") + 1


def test_parse_bibtex_non_numeric_year_is_none():
    [entry], problems = parse_bibtex("@misc{k, title={T}, year={19x9}}")
    assert entry.year is None
    assert problems == []


def test_parse_bibtex_unquoted_year_and_string_macro():
    [entry], _ = parse_bibtex('@string{conf = "OSDI"}\n@misc{k, title={T}, year=2020, month=jan}')
    assert entry.year == 2020
    assert entry.fields["month"] == "jan"


def test_parse_bibtex_unbalanced_braces_keeps_valid_entries():
    text = """@article{good1,
  title={Good one},
  year={2020}
}

@article{broken,
  title={Broken {one},
  year={2021}
}

@article{good2,
  title={After the broken one},
  year={2022}
}
"""
    entries, problems = parse_bibtex(text, line_offset=4)
    assert [e.citation_key for e in entries] == ["good1", "good2"]
    assert [e.line for e in entries] == [5, 15]
    [problem] = problems
    assert problem.line == 10
    assert problem.entry == "broken"
    assert "'broken'" in problem.message
    assert "line 10" in problem.message
    assert "unbalanced braces" in problem.message


def test_parse_bibtex_unclosed_last_entry_is_a_problem():
    entries, problems = parse_bibtex("@misc{ok, title={OK}}\n@misc{cut, title={Cut off")
    assert [e.citation_key for e in entries] == ["ok"]
    assert [(p.line, p.entry) for p in problems] == [(2, "cut")]


def test_parse_bibtex_entry_without_title_is_skipped_with_problem():
    text = "@misc{titled, title={Here}}\n\n@misc{untitled,\n  author={Doe, Jane}\n}\n"
    entries, problems = parse_bibtex(text)
    assert [e.citation_key for e in entries] == ["titled"]
    [problem] = problems
    assert problem.line == 3
    assert problem.entry == "untitled"
    assert "'untitled'" in problem.message
    assert "line 3" in problem.message
    assert "no title" in problem.message


def test_parse_bibtex_blank_title_counts_as_missing():
    entries, problems = parse_bibtex("@misc{blank, title={  }}")
    assert entries == []
    assert "'blank'" in problems[0].message


def test_parse_bibtex_duplicate_key_keeps_first():
    text = "@misc{dup, title={First}}\n@misc{other, title={Other}}\n@misc{dup, title={Second}}\n"
    entries, problems = parse_bibtex(text)
    assert [e.title for e in entries] == ["First", "Other"]
    [problem] = problems
    assert problem.message == "duplicate BibTeX key 'dup' (line 3); the first entry was kept."
    assert (problem.line, problem.entry) == (3, "dup")


def test_parse_bibtex_duplicate_field_is_a_problem():
    entries, problems = parse_bibtex("@misc{twice, title={T}, author={A}, author={B}}")
    assert entries == []
    assert "'twice'" in problems[0].message
    assert "author" in problems[0].message


def test_parse_bibtex_empty_text():
    assert parse_bibtex("") == ([], [])


def test_format_authors_forms():
    assert format_authors("Feng, Siyuan and Hou, Bohan and others") == (
        "Siyuan Feng, Bohan Hou and others"
    )
    assert format_authors("Siyuan Feng and Bohan Hou") == "Siyuan Feng, Bohan Hou"
    assert format_authors("Lamy-Poirier, Joel") == "Joel Lamy-Poirier"
    assert format_authors("van der Berg, Jr, Hans") == "Hans van der Berg Jr"
    assert format_authors("{Barnes and Noble} and Doe, J.") == "Barnes and Noble, J. Doe"


def test_format_authors_latex_accents():
    assert format_authors(r"Goiri, {\'I}{\~n}igo and Richt{\'a}rik, Peter") == (
        "Íñigo Goiri, Peter Richtárik"
    )


def test_parse_bibtex_document_uses_file_stem_as_title_and_topic():
    document = parse_bibtex_document(MAMBA + TENSORIR, "uploads/my-refs.bib")
    assert document.format == SourceFormat.BIBTEX
    assert document.title == "my-refs"
    assert document.topics == ["my-refs"]
    assert {e.topic for e in document.entries} == {"my-refs"}
    assert len(document.entries) == 2


def _big_bib(n: int) -> str:
    return "\n".join(
        f"@inproceedings{{key{i},\n"
        f"  title={{$\\{{$Sys{i}$\\}}$: A study of {{GPU}} things number {i}}},\n"
        f"  author={{Feng, Siyuan and Hou, Bohan and R{{\\'e}}, Christopher and others}},\n"
        f"  booktitle={{18th USENIX Symposium on Operating Systems Design and Implementation"
        f" (OSDI 24)}},\n"
        f"  pages={{804--817}},\n  year={{2023}}\n}}\n"
        for i in range(n)
    )


def test_parse_bibtex_many_entries_are_all_read_in_order_and_cleaned():
    entries, problems = parse_bibtex(_big_bib(300))
    assert problems == []
    assert [e.citation_key for e in entries] == [f"key{i}" for i in range(300)]
    assert entries[-1].title == "Sys299: A study of GPU things number 299"
    assert entries[-1].authors == "Siyuan Feng, Bohan Hou, Christopher Ré and others"
    assert entries[-1].line == 299 * 8 + 1


# Macros (case-insensitive, the later definition winning), concatenations, inner and
# escaped braces, quotes inside braces, bare numbers, empty and padded values.
DELIMITERS = r"""
@string{conf = "OSDI"}
@string{Proc = {Proceedings of }}
@string{late = "first"}
@string{LATE = "second"}
@misc{a, title={Plain}, year=2020, month=jan, booktitle=conf, series=Late}
@misc{b, title={{GPU} Kernels for {X}}, note={a} # {b}, howpublished="quoted {with "inner"} braces"}
@misc{c, title="Quoted title", note="a" # "b", series = CONF, publisher={Escaped \} brace}}
@misc{d, title={T}, author = {Last, First and {Barnes and Noble}}, number = 12, edition = {"q"} }
@misc{e, title = { spaced }, note = {}, key = "", address = proc # conf}
"""


def test_parse_bibtex_field_values_match_bibtexparsers_default_middleware():
    entries, problems = parse_bibtex(DELIMITERS)
    library = bibtexparser.parse_string(DELIMITERS)  # resolves macros, strips delimiters
    expected = {b.key: {f.key: f.value for f in b.fields} for b in library.entries}
    assert problems == []
    assert {e.citation_key: e.fields for e in entries} == expected
    assert expected["a"]["series"] == "second"
    assert expected["b"]["note"] == "{a} # {b}"


def test_parse_bibtex_short_or_implausible_year_is_none():
    entries, _ = parse_bibtex("@misc{a, title={A}, year={23}}\n@misc{b, title={B}, year={3023}}")
    assert [e.year for e in entries] == [None, None]


def test_parse_bibtex_field_names_in_any_case():
    [entry], problems = parse_bibtex(
        "@InProceedings{k,\n  Title = {Mixed Case},\n  YEAR = 2021,\n  BookTitle = {OSDI},\n}"
    )
    assert problems == []
    assert (entry.title, entry.year, entry.venue) == ("Mixed Case", 2021, "OSDI")
    assert entry.fields == {"Title": "Mixed Case", "YEAR": "2021", "BookTitle": "OSDI"}
    assert entry.entry_type == "inproceedings"
