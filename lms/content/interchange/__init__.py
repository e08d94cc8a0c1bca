"""Question interchange with other systems: GIFT, Aiken and Moodle XML in; GIFT, Moodle XML and an IMS QTI
2.1 content package out (one module per format, the shared parts in ``common``, the database side in
``service``).

Interim, to be moved: each format module keeps its per-type conversion in one small table of functions
keyed by the type's name, taken from its class in lms/questions/ (``SINGLE`` = ``SingleChoice.name``...,
in common.py): ``_READERS``/``_EXPORTERS`` in moodle_xml, ``_BUILDERS`` in qti, ``_answers`` and
``_export_answers`` in gift, the count limits and checks in ``common.question_problems``. Each entry
belongs on its type's class (``to_gift``/``from_gift``, ``to_moodle_xml``/``from_moodle_xml``, ``to_qti``,
and ``validate`` instead of ``question_problems``); the tables then become ``QUESTION_TYPES[name]`` calls,
and a type without a method is reported as not convertible (as ``ordering`` is today).
"""
from lms.content.interchange.aiken import parse_aiken
from lms.content.interchange.common import Defaults, Imported, ParsedQuestion, Problem
from lms.content.interchange.gift import export_gift, parse_gift
from lms.content.interchange.moodle_xml import UnsafeXML, export_moodle_xml, parse_moodle_xml
from lms.content.interchange.qti import export_qti


def parse_file(data: bytes, fmt: str, defaults: Defaults) -> Imported:
    """Read a file's bytes in a format ("gift", "aiken", "moodle-xml"). Raises UnsafeXML for an XML file
    refused whole, UnicodeDecodeError for text that is not UTF-8."""
    if fmt == "moodle-xml":
        return parse_moodle_xml(data, defaults)
    text = data.decode("utf-8")
    if fmt == "gift":
        return parse_gift(text, defaults)
    if fmt == "aiken":
        return parse_aiken(text, defaults)
    raise ValueError(f"unknown import format {fmt!r}")


def export_bank(bank: dict, fmt: str) -> tuple[bytes, list[str]]:
    """A bank (the bank-format dict) written in a format ("gift", "moodle-xml", "qti"), and what could not
    be written as it is."""
    if fmt == "gift":
        text, problems = export_gift(bank)
        return text.encode("utf-8"), problems
    if fmt == "moodle-xml":
        return export_moodle_xml(bank)
    if fmt == "qti":
        return export_qti(bank)
    raise ValueError(f"unknown export format {fmt!r}")


__all__ = ["Defaults", "Imported", "ParsedQuestion", "Problem", "UnsafeXML", "export_bank", "export_gift",
           "export_moodle_xml", "export_qti", "parse_aiken", "parse_file", "parse_gift", "parse_moodle_xml"]
