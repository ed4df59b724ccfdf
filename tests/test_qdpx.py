"""REFI-QDA project exchange (.qdpx): export, import, safety, round trip."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from fieldnotes.exchange.qdpx import ImportSummary, QdpxError, export_qdpx, import_qdpx
from fieldnotes.project import Project

from conftest import write

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "fieldnotes" / "schemas" / "Project.xsd"
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def coded(project: Project) -> Project:
    """The sample project with a codebook, codings by two coders, memos on
    every kind of target and attributes of every type on documents and cases."""
    project.codebook.add_code("Workload/Caseload", description="Talk of caseload.\n\nSecond «paragraph» & <more>.",
                     inclusion="Numbers of children.", exclusion="Admin time.", example="\"I've got 24.\"",
                     colour="#d55e00")
    project.codebook.add_code("Workload/Caseload/Complex cases", colour="#0072B2")
    project.codebook.add_code("Training ✓", description="Stronger Practice sessions")
    project.codebook.add_code("Relationships")
    s, e = project.coding.find_text("p1_int_sw01.txt", "Stronger Practice training")
    training, _ = project.coding.apply_coding("p1_int_sw01.txt", "Training ✓", s, e)
    project.coding.apply_coding("p1_int_sw01.txt", "Caseload", s, e + 12, coder="bob")
    s, e = project.coding.find_text("p1_int_sw01.txt", "the relationship-based stuff")
    project.coding.apply_coding("p1_int_sw01.txt", "Relationships", s, e)
    project.coding.apply_coding("p1_int_sw01.txt", "Relationships", s, e, coder="bob")
    doc = project.document("p2_int_sw03.txt")
    project.coding.apply_coding("p2_int_sw03.txt", "Complex cases", 0, 40)
    project.coding.apply_coding("p2_int_sw03.txt", "Relationships", 10, len(doc.text))
    project.memos.add("project", None, "Phase 2 sampling is thin on LAC.", title="Sampling")
    project.memos.add("document", "p1_int_sw01.txt", "Recorded at Hadley Hub.", title="Setting")
    project.memos.add("code", "Caseload", "Merge with Workload?")
    project.memos.add("coding", training.id, "Cohort started in May.", coder="bob")
    project.memos.add("case", "SW01", "Interviewed in all three phases.")
    project.attributes.set_attribute("p1_int_sw01.txt", "hours", "37.5")
    case_id = project.conn.execute("SELECT id FROM cases WHERE name = 'SW01'").fetchone()[0]
    project.attributes.set_typed("case", case_id, "caseload", 24, None)
    project.attributes.set_typed("case", case_id, "first_seen", "2025-06-10", None)
    project.conn.execute("UPDATE cases SET description = 'Child protection social worker' WHERE id = ?", [case_id])
    return project


def snapshot(project: Project) -> dict:
    """Everything a round trip must keep, in comparable form."""
    def memo_target(memo):
        if memo.target_type == "coding":
            c = project.coding.coding(int(memo.target.split()[-1]))
            return (c.document, c.code, c.start, c.end, c.coder)
        return memo.target

    return {
        "documents": [(d.name, d.kind, d.cases, d.attributes, project.document(d.name).text,
                       project.document(d.name).guid) for d in project.documents()],
        "codes": [(c.path, c.colour, c.description, c.inclusion, c.exclusion, c.example, c.guid)
                  for c in project.codebook.codes()],
        "codings": sorted((c.document, c.code, c.start, c.end, c.coder, c.guid, c.text) for c in project.coding.codings()),
        "cases": [(c.name, c.documents, c.attributes) for c in project.attributes.cases()],
        "case_descriptions": project.conn.execute("SELECT name, description FROM cases ORDER BY name").fetchall(),
        "variables": [(v.name, v.type, v.documents, v.values) for v in project.attributes.variables()],
        "memos": sorted((m.target_type, str(memo_target(m)), m.title, m.text, m.coder or "") for m in project.memos.list()),
        "coders": project.conn.execute("SELECT name, guid FROM coders ORDER BY name").fetchall(),
    }


def test_round_trip_keeps_documents_codes_codings_cases_attributes(sample_project, tmp_path):
    project = coded(sample_project)
    out = tmp_path / "out" / "study.qdpx"
    out.parent.mkdir()
    counts = export_qdpx(project, out, pseudonymised=False)
    assert counts == {"users": 2, "codes": 5, "variables": 10, "cases": 13, "documents": 16, "codings": 6,
                      "memos": 5}
    assert [p.name for p in out.parent.iterdir()] == ["study.qdpx"]  # no temporary file left behind

    back, summary = import_qdpx(out, tmp_path / "back.fnp")
    try:
        assert isinstance(summary, ImportSummary)
        assert summary.warnings == []
        assert (summary.documents, summary.codes, summary.codings, summary.cases, summary.variables,
                summary.memos, summary.coders) == (16, 5, 6, 13, 9, 5, 2)
        before, after = snapshot(project), snapshot(back)
        for key in before:
            assert after[key] == before[key], key
        # Spot checks with real values, in case both sides were wrong alike.
        caseload = back.codebook.code("Workload/Caseload")
        assert (caseload.colour, caseload.description, caseload.inclusion, caseload.exclusion, caseload.example) == (
            "#D55E00", "Talk of caseload.\n\nSecond «paragraph» & <more>.", "Numbers of children.", "Admin time.",
            "\"I've got 24.\"")
        assert caseload.guid == project.codebook.code("Workload/Caseload").guid
        training = [c for c in back.coding.codings() if c.code == "Training ✓"]
        assert [(c.text, c.coder) for c in training] == [("Stronger Practice training", "tester")]
        sw01 = next(c for c in back.attributes.cases() if c.name == "SW01")
        assert sw01.attributes == {"caseload": 24, "first_seen": "2025-06-10"}
        assert sw01.documents == ("p1_int_sw01.txt", "p1_obs_homevisit01.md", "p2_int_sw01.txt", "p2_obs_duty01.txt",
                                  "p3_int_sw01.txt")
        types = {v.name: v.type for v in back.attributes.variables()}
        assert types == {"caseload": "integer", "date": "date", "first_seen": "date", "hours": "number",
                         "phase": "integer", "role": "text", "site": "text", "team": "text",
                         "years_qualified": "integer"}
        assert back.document("p1_int_sw01.txt").attributes["hours"] == 37.5
        assert back.document("p2_fg_managers.vtt").kind == "focus_group"
        # An import is not undoable piece by piece, and it says where it came from.
        assert back.history.entries() == []
        assert back.conn.execute("SELECT count(*) FROM audit WHERE action = 'qdpx.import'").fetchone()[0] == 1
    finally:
        back.close()


def test_project_qde_validates_and_guids_are_stable(sample_project, tmp_path, schema):
    project = coded(sample_project)
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    for target, pseudonymised in ((first, False), (second, True)):
        export_qdpx(project, target, pseudonymised=pseudonymised)
        with zipfile.ZipFile(target) as archive:
            qde = archive.read("project.qde").decode("utf-8")
            names = set(archive.namelist())
        schema.validate(qde)
        doc = ET.fromstring(qde)
        users = {u.get("guid") for u in doc.iterfind("q:Users/q:User", NS)}
        codes = {c.get("guid") for c in doc.iter(f"{{{NS['q']}}}Code")}
        sources = doc.findall("q:Sources/q:TextSource", NS)
        assert len(sources) == 16
        for source in sources:
            assert source.get("plainTextPath") == f"internal://{source.get('guid')}.txt"
            assert f"sources/{source.get('guid')}.txt" in names
            assert source.get("creatingUser") in users
            for selection in source.iterfind("q:PlainTextSelection", NS):
                assert selection.get("creatingUser") in users
                assert selection.find("q:Coding/q:CodeRef", NS).get("targetGUID") in codes
        guid_sets = {e.get("guid") for e in doc.iter() if e.get("guid")} - {None}
        if target is first:
            first_guids = guid_sets
    # Two exports of the same project (plain and pseudonymised) name everything alike.
    assert guid_sets == first_guids
    # The stored GUIDs are the ones written.
    with zipfile.ZipFile(first) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    for code in project.codebook.codes():
        assert f'guid="{code.guid}" name="{code.name}"' in qde
    for coding in project.coding.codings():
        assert f'<PlainTextSelection guid="{coding.guid}"' in qde


TRANSCRIPT = (
    "Interviewer: Can you tell me about the family?\n\n"
    "Anita Shah: I visited Jodie Clarke on Monday. Jodie said she was tired, and Kayden was at school.\n\n"
    "Interviewer: And the support?\n\n"
    "Anita Shah: Mrs Mensah helps Jodie with the school run. Kayden likes her a lot.\n"
)


def test_pseudonymised_export_has_no_real_name_and_codings_keep_their_words(tmp_path, nlp):
    project = Project.create(tmp_path / "s.fnp")
    try:
        project.intake.import_paths([write(tmp_path / "in" / "int.txt", TRANSCRIPT)])
        project.codebook.add_code("Family/Tiredness")
        project.codebook.add_code("Support")
        for code, words in (("Tiredness", "Jodie said she was tired"),
                            ("Support", "Mrs Mensah helps Jodie with the school run"),
                            ("Support", "Kayden likes her")):
            start, end = project.coding.find_text("int", words)
            coding, _ = project.coding.apply_coding("int", code, start, end)
        project.memos.add("coding", coding.id, "Kayden seemed settled; ask Anita about Jodie.")
        project.memos.add("project", None, "Follow up with Anita Shah in phase 2.")
        project.attributes.add_case_link(project.document_id("int"), "Anita Shah")
        project.attributes.set_attribute("int", "worker", "Anita Shah")
        project.pseudonyms.detect_entities(nlp=nlp)
        project.pseudonyms.set_entity_status(None, "accepted")
        people = [e for e in project.pseudonyms.entities() if e.category == "PERSON"]
        surfaces = {s for e in people for s in e.surfaces}
        assert {"Anita Shah", "Jodie"} <= surfaces

        out = tmp_path / "safe.qdpx"
        counts = export_qdpx(project, out)  # pseudonymised is the default
        assert counts["documents_pseudonymised"] == 1 and counts["codings"] == 3 and counts["memos"] == 2
        assert counts["strings_pseudonymised"] >= 4  # two memos, the case name, the attribute value
        with zipfile.ZipFile(out) as archive:
            everything = "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
        for surface in sorted(surfaces):
            assert not re.search(rf"(?<!\w){re.escape(surface)}(?!\w)", everything), surface
        for real in ("Anita", "Jodie", "Mensah"):
            assert real not in everything

        text, mapping = project.pseudonyms.pseudonymised("int")
        expected = sorted((c.code, text[slice(*mapping.range_to_view(c.start, c.end))]) for c in project.coding.codings())
        back, summary = import_qdpx(out, tmp_path / "back.fnp")
        try:
            assert summary.warnings == []
            assert back.document("int").text == text
            assert sorted((c.code, c.text) for c in back.coding.codings()) == expected
            tired = next(t for code, t in expected if code == "Family/Tiredness")
            assert tired.endswith(" said she was tired") and tired.startswith("[")
            assert [c.name for c in back.attributes.cases()] == [project.pseudonyms.string_pseudonymiser()("Anita Shah")]
            assert "Anita" not in back.attributes.cases()[0].name
            scrub = project.pseudonyms.string_pseudonymiser()
            assert sorted(m.text for m in back.memos.list()) == sorted(scrub(m.text) for m in project.memos.list())
            assert all("Anita" not in m.text and "Jodie" not in m.text for m in back.memos.list())
            assert back.memos.list("coding")[0].text.endswith(" seemed settled; ask " + scrub("Anita") + " about "
                                                         + scrub("Jodie") + ".")
        finally:
            back.close()
    finally:
        project.close()


# -- safety --------------------------------------------------------------------------


def exported(tmp_path: Path) -> Path:
    project = Project.create(tmp_path / "small.fnp")
    try:
        project.intake.import_paths([write(tmp_path / "in" / "a.txt", "Some words about the caseload.\n")])
        project.codebook.add_code("Caseload")
        project.coding.apply_coding("a.txt", "Caseload", 20, 28)
        out = tmp_path / "small.qdpx"
        export_qdpx(project, out, pseudonymised=False)
    finally:
        project.close()
    return out


def with_extra_entry(source: Path, target: Path, name: str, data: bytes = b"pwned", **changes) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            out.writestr(info, original.read(info))
        out.writestr(zipfile.ZipInfo(name), data)
        for key, value in changes.items():  # what the central directory declares
            setattr(out.filelist[-1], key, value)
    return target


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/x", "..\\evil", "sources/../../evil.txt", "C:/evil.txt"])
def test_zip_slip_entries_are_refused(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    bad = with_extra_entry(exported(tmp_path), tmp_path / "bad.qdpx", name)
    with pytest.raises(QdpxError) as caught:
        import_qdpx(bad, work / "new.fnp")
    message = str(caught.value)
    assert repr(name) in message and "zip slip" in message and "nothing was imported" in message
    assert list(work.iterdir()) == []  # no project, no partial file
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/x").exists()
    assert not any(p.name in {"evil.txt", "evil", "x"} for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("declared, words", [(3 * 1024**3, "1 GB"), (50 * 1024**2, "zip bomb")])
def test_zip_bomb_entries_are_refused(tmp_path, declared, words):
    bomb = with_extra_entry(exported(tmp_path), tmp_path / "bomb.qdpx", "sources/big.txt", b"0" * 1000,
                            file_size=declared)
    with zipfile.ZipFile(bomb) as archive:  # the archive really declares it
        assert archive.getinfo("sources/big.txt").file_size == declared
    with pytest.raises(QdpxError, match=words):
        import_qdpx(bomb, tmp_path / "new.fnp")
    assert not (tmp_path / "new.fnp").exists()
    assert not (tmp_path / ".new.fnp.partial").exists()


def test_xxe_in_project_qde_is_refused(tmp_path):
    secret = write(tmp_path / "secret.txt", "TOP SECRET")
    qde = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="x">'
        '<Notes><Note guid="6fa459ea-ee8a-4ca4-894e-db77e160355e"><PlainTextContent>&xxe;</PlainTextContent></Note>'
        "</Notes></Project>"
    )
    bad = tmp_path / "xxe.qdpx"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("project.qde", qde)
    with pytest.raises(QdpxError, match="DTD or entity declarations"):
        import_qdpx(bad, tmp_path / "new.fnp")
    assert not (tmp_path / "new.fnp").exists()


def test_refuses_existing_target_and_non_zip(tmp_path):
    source = exported(tmp_path)
    existing = write(tmp_path / "taken.fnp", "already here")
    with pytest.raises(QdpxError, match="already exists"):
        import_qdpx(source, existing)
    assert existing.read_text() == "already here"
    not_zip = write(tmp_path / "fake.qdpx", "<Project/>")
    with pytest.raises(QdpxError, match="a .qdpx file is a zip archive and this is not one"):
        import_qdpx(not_zip, tmp_path / "new.fnp")


# -- another tool's file ---------------------------------------------------------------

U1, U2 = "70daf61c-b6f0-4b5e-8c2f-548fde3ad3d4", "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
C_PLACES, C_KIND, C_MOOD, C_NEGLECT = (
    "c56a4180-65aa-42ec-a945-5fd21dec0538", "16fd2706-8baf-433b-82eb-8c7fada847da",
    "16FD2706-8BAF-433B-82EB-8C7FADA847DA", "886313e1-3b8a-4372-9b90-0c9aee199e5d")
S_INT, S_VISIT, S_LOST, S_DIARY, S_PDF = (
    "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3", "b1b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3",
    "c2b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3", "d3b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3",
    "e4b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3")
V_AGE, V_ROLE, V_CONSENT = ("0a5e847c-49ac-4304-9ec3-8e0f677684c5", "1a5e847c-49ac-4304-9ec3-8e0f677684c5",
                            "2a5e847c-49ac-4304-9ec3-8e0f677684c5")
N_JOURNAL, N_CODE = "3d1a26ec-bf3b-4ad8-8ed1-d910d744d58a", "4d1a26ec-bf3b-4ad8-8ed1-d910d744d58a"

INTERVIEW = ("Interviewer: How are the places you visit?\r\n"
             "Maria: The interesting places are the old mills.\r\n"
             "Interviewer: And the people?\r\n"
             "Maria: People are kind, mostly.\r\n")
VISIT = "Visit notes\r\n\r\nArrived at ten.\r\nThe garden was overgrown and the gate broken.\r\n"


def foreign_qdpx(tmp_path: Path) -> Path:
    """A .qdpx in the style of another tool: a .qde named after the project,
    "Sources/" capitalised, sources/.root, a colon namespace, RGB colours,
    <Sets/>, a backslash code name, <Description> memos, a duplicate GUID,
    CRLF texts (one with positions counted on the stored text, one on the LF
    text), a lost text, an external file, a PDF, nameless file-variable case."""
    places = INTERVIEW.index("interesting places")
    kind = INTERVIEW.index("People are kind")
    visit_lf = VISIT.replace("\r\n", "\n")
    garden = visit_lf.index("garden was overgrown")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="Interview study" origin="OtherQDA 12">
  <Users>
    <User guid="{U1}" name="Maria Researcher"/>
    <User guid="{U2}" name="Maria Researcher"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{C_PLACES}" name="interesting\\places" isCodable="true" color="255,0,0"/>
    <Code guid="{C_KIND}" name="Kindness" isCodable="true" color="0, 128, 255">
      <Description>Warmth between neighbours</Description>
      <NoteRef targetGUID="{N_CODE}"/>
    </Code>
    <Code guid="{C_MOOD}" name="Mood" isCodable="true"/>
    <Code guid="{C_NEGLECT}" name="Neglect" isCodable="true" color="#0f0"/>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{V_AGE}" name="Age" typeOfVariable="Integer"/>
    <Variable guid="{V_ROLE}" name="Role" typeOfVariable="Text"/>
    <Variable guid="{V_CONSENT}" name="Consent" typeOfVariable="Boolean"/>
  </Variables>
  <Cases>
    <Case guid="5a5e847c-49ac-4304-9ec3-8e0f677684c5" name="Maria">
      <VariableValue><VariableRef targetGUID="{V_ROLE}"/><TextValue>Resident</TextValue></VariableValue>
      <SourceRef targetGUID="{S_INT}"/>
    </Case>
    <Case guid="6a5e847c-49ac-4304-9ec3-8e0f677684c5">
      <VariableValue><VariableRef targetGUID="{V_ROLE}"/><TextValue>Volunteer</TextValue></VariableValue>
      <SourceRef targetGUID="{S_VISIT}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{S_INT}" name="Interview Maria.txt" plainTextPath="internal://{S_INT}.txt" creatingUser="{U1}">
      <Description>Recorded in the community centre.</Description>
      <PlainTextSelection guid="7a7e80ca-ed8c-4006-86b3-731e36baca19" startPosition="{places}"
          endPosition="{places + len('interesting places')}" creatingUser="{U1}">
        <Coding guid="8a7e80ca-ed8c-4006-86b3-731e36baca19" creatingUser="{U1}"><CodeRef targetGUID="{C_PLACES}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="9a7e80ca-ed8c-4006-86b3-731e36baca19" startPosition="{kind}"
          endPosition="{kind + len('People are kind')}" creatingUser="{U2}">
        <Description>Contrast with the mills.</Description>
        <Coding guid="aa7e80ca-ed8c-4006-86b3-731e36baca19"><CodeRef targetGUID="{C_KIND}"/></Coding>
      </PlainTextSelection>
      <VariableValue><VariableRef targetGUID="{V_AGE}"/><IntegerValue>34</IntegerValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{V_CONSENT}"/><BooleanValue>true</BooleanValue></VariableValue>
    </TextSource>
    <TextSource guid="{S_VISIT}" name="Visit notes" plainTextPath="relative:///transcripts/visit.txt">
      <PlainTextSelection guid="ba7e80ca-ed8c-4006-86b3-731e36baca19" name="garden was overgrown"
          startPosition="{garden}" endPosition="{garden + len('garden was overgrown')}" creatingUser="{U1}">
        <Coding guid="ca7e80ca-ed8c-4006-86b3-731e36baca19"><CodeRef targetGUID="{{{C_NEGLECT.upper()}}}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{S_LOST}" name="Lost diary" plainTextPath="internal://{S_LOST}.txt">
      <PlainTextSelection guid="da7e80ca-ed8c-4006-86b3-731e36baca19" startPosition="10" endPosition="25">
        <Coding guid="ea7e80ca-ed8c-4006-86b3-731e36baca19"><CodeRef targetGUID="{C_KIND}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{S_DIARY}" name="Diary" plainTextPath="file:///C:/Users/maria/Documents/diary.txt"/>
    <PDFSource guid="{S_PDF}" name="Leaflet" path="internal://{S_PDF}.pdf">
      <PDFSelection guid="fa7e80ca-ed8c-4006-86b3-731e36baca19" page="1" firstX="0" firstY="0" secondX="9" secondY="9">
        <Coding guid="0b7e80ca-ed8c-4006-86b3-731e36baca19"><CodeRef targetGUID="{C_KIND}"/></Coding>
      </PDFSelection>
    </PDFSource>
  </Sources>
  <Notes>
    <Note guid="{N_JOURNAL}" name="Journal" creatingUser="{U1}"><PlainTextContent>Day one went well.</PlainTextContent></Note>
    <Note guid="{N_CODE}" name="Code note"><PlainTextContent>Often about neighbours.</PlainTextContent></Note>
  </Notes>
  <Sets/>
</Project>
"""
    path = tmp_path / "other.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Interview study.qde", qde.encode("utf-8"))
        archive.writestr(f"Sources/{S_INT}.txt", INTERVIEW.encode("utf-8"))
        archive.writestr("Sources/visit.txt", VISIT.encode("utf-8"))
        archive.writestr(f"Sources/{S_LOST}.txt", b"\n")
        archive.writestr(f"Sources/{S_PDF}.pdf", b"%PDF-1.4 not really")
        archive.writestr("sources/.root", b"")
    return path


@pytest.fixture
def foreign(tmp_path):
    project, summary = import_qdpx(foreign_qdpx(tmp_path), tmp_path / "theirs.fnp")
    yield project, summary
    project.close()


def test_foreign_codings_land_on_the_same_words(foreign):
    project, summary = foreign
    assert sorted((c.document, c.code, c.text, c.coder) for c in project.coding.codings()) == [
        ("Interview Maria.txt", "Kindness", "People are kind", "Maria Researcher (2)"),
        ("Interview Maria.txt", "interesting/places", "interesting places", "Maria Researcher"),
        ("Visit notes", "Neglect", "garden was overgrown", "Maria Researcher"),
    ]
    interview = project.document("Interview Maria.txt")
    assert interview.text == INTERVIEW.replace("\r\n", "\n") and "\r" not in interview.text
    assert [t.speaker for t in interview.turns] == ["Interviewer", "Maria", "Interviewer", "Maria"]
    assert (summary.documents, summary.codings) == (3, 3)


def test_foreign_codebook_cases_variables_and_memos(foreign):
    project, summary = foreign
    codes = {c.path: c for c in project.codebook.codes()}
    assert sorted(codes) == ["Kindness", "Mood", "Neglect", "interesting", "interesting/places"]
    assert codes["interesting/places"].colour == "#FF0000"
    assert codes["interesting/places"].guid == C_PLACES
    assert codes["Kindness"].colour == "#0080FF" and codes["Kindness"].description == "Warmth between neighbours"
    assert codes["Neglect"].colour == "#00FF00"
    assert codes["Kindness"].guid == C_KIND and codes["Mood"].guid.lower() != C_KIND  # the duplicate got a new one
    assert [(c.name, c.documents, c.attributes) for c in project.attributes.cases()] == [
        ("Maria", ("Interview Maria.txt",), {"role": "Resident"})]
    assert {v.name: v.type for v in project.attributes.variables()} == {"age": "integer", "consent": "text", "role": "text"}
    assert project.document("Interview Maria.txt").attributes == {"age": 34, "consent": "true"}
    assert project.document("Visit notes").attributes == {"role": "Volunteer"}  # from the nameless case
    assert {d.name: d.kind for d in project.documents()} == {
        "Interview Maria.txt": "other", "Visit notes": "other", "Lost diary": "other"}
    memos = sorted((m.target_type, m.target or "", m.title, m.text, m.coder or "") for m in project.memos.list())
    kind_coding = next(c for c in project.coding.codings() if c.code == "Kindness")
    assert memos == [
        ("code", "Kindness", "Code note", "Often about neighbours.", ""),
        ("coding", f"coding {kind_coding.id}", "", "Contrast with the mills.", ""),
        ("document", "Interview Maria.txt", "", "Recorded in the community centre.", ""),
        ("project", "project", "Journal", "Day one went well.", "Maria Researcher"),
    ]
    assert (summary.codes, summary.cases, summary.variables, summary.memos, summary.coders) == (5, 1, 3, 4, 2)


def test_foreign_problems_are_reported_not_fatal(foreign):
    project, summary = foreign
    warnings = "\n".join(summary.warnings)
    assert "'Leaflet' is a PDF source: skipped" in warnings and "1 coding on it not imported" in warnings
    assert "'Diary' was skipped: its text is outside the .qdpx (file:///C:/Users/maria/Documents/diary.txt)" in warnings
    assert "'Lost diary': 1 coded passage outside its text (1 characters) (its text file in the .qdpx is empty) " \
           "skipped: 10-25" in warnings
    assert "'Visit notes': its coded positions fit the text counted with LF line endings" in warnings
    assert "'Visit notes': it points outside the .qdpx (relative:///transcripts/visit.txt); read the copy" in warnings
    assert "same GUID" in warnings and "'Kindness'" in warnings
    assert "two coders are called 'Maria Researcher'" in warnings
    assert project.document("Lost diary").text == "\n"
    assert project.coding.codings(document="Lost diary") == []


def test_sibling_codes_differing_only_in_case_become_one_code_and_keep_every_coding(tmp_path):
    # Another tool may hold "Care" and "care" side by side; the codebook finds
    # paths without case, so they become one code, and no coding is lost.
    with Project.create(tmp_path / "two.fnp") as project:
        project.intake.import_paths([write(tmp_path / "in" / "a.txt", "Some words about care and about the mood.\n")])
        project.codebook.add_code("Care")
        project.codebook.add_code("Mood")
        project.coding.apply_coding("a.txt", "Care", 17, 21)
        project.coding.apply_coding("a.txt", "Mood", 36, 40)
        export_qdpx(project, tmp_path / "two.qdpx", pseudonymised=False)
    with zipfile.ZipFile(tmp_path / "two.qdpx") as original, \
            zipfile.ZipFile(tmp_path / "cased.qdpx", "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith(".qde"):
                assert b'name="Mood"' in data
                data = data.replace(b'name="Mood"', b'name="care"')
            out.writestr(info, data)
    back, summary = import_qdpx(tmp_path / "cased.qdpx", tmp_path / "back.fnp")
    with back:
        assert [c.path for c in back.codebook.codes()] == ["Care"]
        assert sorted((c.code, c.text) for c in back.coding.codings()) == [("Care", "care"), ("Care", "mood")]
    assert summary.codings == 2
