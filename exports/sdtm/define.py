"""define.xml (CDISC Define-XML 2.1) describing the SDTM files of one export.

One ``ItemGroupDef`` per domain written (name, label, class, structure, key variables in ``KeySequence``, the
transport file as its ``def:leaf``) and one ``ItemDef`` per variable (data type, the length the files have, the
label). Written with the standard library's ElementTree: the document is small (metadata only). The tests check it
against the Define-XML 2.1 schema shipped in ``odmlib`` (in the CORE environment).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .domains import CHAR, Domain

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STANDARD = "STD.SDTMIG.3.4"
MANDATORY = {"STUDYID", "DOMAIN", "USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL"}
CLASSES = {
    "DM": "SPECIAL PURPOSE", "EX": "INTERVENTIONS", "AE": "EVENTS", "DS": "EVENTS", "RS": "FINDINGS",
    "LB": "FINDINGS", "SUPPDM": "RELATIONSHIP", "SUPPAE": "RELATIONSHIP",
}  # fmt: skip

ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)


def _o(name: str) -> str:
    return f"{{{ODM}}}{name}"


def _d(name: str) -> str:
    return f"{{{DEF}}}{name}"


def _description(parent, text: str) -> None:
    translated = ET.SubElement(ET.SubElement(parent, _o("Description")), _o("TranslatedText"))
    translated.set(XML_LANG, "en")
    translated.text = text


def _mandatory(variable) -> str:
    return "Yes" if variable.name in MANDATORY or variable.key or variable.name.endswith("SEQ") else "No"


def _item_def(mdv, domain: Domain, variable, lengths: dict[str, int]) -> None:
    item = ET.SubElement(mdv, _o("ItemDef"), OID=f"IT.{domain.name}.{variable.name}", Name=variable.name)
    if variable.type == CHAR and variable.name.endswith("DTC"):
        item.set("DataType", "datetime")
    elif variable.type == CHAR:
        item.set("DataType", "text")
        item.set("Length", str(lengths[variable.name]))
    else:
        item.set("DataType", "integer" if variable.integer else "float")
        item.set("Length", "8")
    item.set("SASFieldName", variable.name)
    _description(item, variable.label)


def define_xml_bytes(domains: list[tuple[Domain, dict[str, int]]], *, study: str, created: str) -> bytes:
    """Define-XML 2.1 for ``domains``, each with the lengths of its character variables in the files written;
    ``created`` is the export's time."""
    root = ET.Element(
        _o("ODM"),
        {"FileType": "Snapshot", "FileOID": f"{study}.SDTM.define", "ODMVersion": "1.3.2",
         "CreationDateTime": created, "Originator": "exports.sdtm", _d("Context"): "Submission"},
    )  # fmt: skip
    study_element = ET.SubElement(root, _o("Study"), OID=study)
    globals_ = ET.SubElement(study_element, _o("GlobalVariables"))
    for name, text in (("StudyName", study), ("StudyDescription", f"{study} SDTM"), ("ProtocolName", study)):
        ET.SubElement(globals_, _o(name)).text = text
    mdv = ET.SubElement(study_element, _o("MetaDataVersion"),
                        {"OID": "MDV.SDTMIG.3.4", "Name": f"{study} SDTM", _d("DefineVersion"): "2.1.0"})  # fmt: skip
    standards = ET.SubElement(mdv, _d("Standards"))
    ET.SubElement(standards, _d("Standard"), OID=STANDARD, Name="SDTMIG", Type="IG", Version="3.4", Status="Final")
    for domain, _lengths in domains:
        name = domain.name
        group = ET.SubElement(
            mdv, _o("ItemGroupDef"),
            {"OID": f"IG.{name}", "Name": name, "Repeating": "No" if name == "DM" else "Yes",
             "IsReferenceData": "No", "SASDatasetName": name, "Purpose": "Tabulation",
             _d("Structure"): domain.structure, _d("StandardOID"): STANDARD, _d("ArchiveLocationID"): f"LF.{name}"}
            | ({"Domain": name} if not name.startswith("SUPP") else {"Domain": name[4:]}),
        )  # fmt: skip
        _description(group, domain.label)
        for order, variable in enumerate(domain.variables, 1):
            ref = ET.SubElement(group, _o("ItemRef"), ItemOID=f"IT.{name}.{variable.name}", OrderNumber=str(order),
                                Mandatory=_mandatory(variable))  # fmt: skip
            if variable.key:
                ref.set("KeySequence", str(variable.key))
        ET.SubElement(group, _d("Class"), Name=CLASSES[name])
        leaf = ET.SubElement(group, _d("leaf"), {"ID": f"LF.{name}", f"{{{XLINK}}}href": f"{name.lower()}.xpt"})
        ET.SubElement(leaf, _d("title")).text = f"{name.lower()}.xpt"
    for domain, lengths in domains:
        for variable in domain.variables:
            _item_def(mdv, domain, variable, lengths)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)
