"""GeoReport v2's two formats: JSON, and XML with the specification's element names."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import msgspec

__all__ = ["JSON", "XML", "render"]

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"

# Characters XML 1.0 cannot carry at all (a resident's text may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# A list's element name → the name of each element in it.
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        tag = _ITEMS.get(element.tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, tag), inner)
    elif value is not None:  # None: an empty element, as the specification's examples have
        element.text = _text(value)


def render(content: Any, xml_root: str | None, *, as_xml: bool) -> tuple[bytes, str]:
    """The body and its media type; ``xml_root`` names the XML document's root element."""
    if not as_xml:
        return msgspec.json.encode(content), JSON
    assert xml_root is not None
    root = ET.Element(xml_root)
    _fill(root, msgspec.to_builtins(content))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), XML
