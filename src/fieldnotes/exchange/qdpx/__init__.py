"""REFI-QDA projects (``.qdpx``): hand a whole project to NVivo, ATLAS.ti,
MAXQDA or QualCoder, and take theirs in.

A ``.qdpx`` file is a zip holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, schema ``fieldnotes/schemas/Project.xsd``) and a
``sources/`` folder with each document's plain text.

Example::

    from fieldnotes.exchange.qdpx import export_qdpx, import_qdpx

    counts = export_qdpx(project, Path("study.qdpx"))            # pseudonymised
    theirs, summary = import_qdpx(Path("nvivo.qdpx"), Path("theirs.fnp"))
    for warning in summary.warnings:
        print(warning)

How fieldnotes maps onto the format (decisions others can rely on):

* **Coders** are ``<Users>`` (their stored GUIDs). A coding is one
  ``<PlainTextSelection>`` whose ``guid`` is the coding's GUID, whose
  ``creatingUser`` is the coder's GUID and whose ``<Coding>`` child (a GUID
  derived from the coding's, so stable across exports) has a ``<CodeRef>`` to
  the code. Positions are character (code point) offsets into the source text,
  end exclusive. The selection's ``name`` is the start of the coded text (up
  to 200 characters), which lets an importer check that it lands on the words.
* **Codes** go through the codebook helpers of :mod:`fieldnotes.exchange.qdc`:
  stored GUIDs, ``#RRGGBB`` colours, one ``<Description>`` with ``Include:``,
  ``Exclude:`` and ``Example:`` paragraphs.
* **Attributes** are ``<Variables>`` (integer -> Integer, number -> Float,
  date -> Date, text -> Text) with values on the ``<TextSource>`` (documents)
  or the ``<Case>`` (cases). The document kind travels as a Text variable
  ``kind``; on import a variable called ``kind`` whose values are all
  fieldnotes kinds sets the kind (else documents are "other" and the values
  are kept as the attribute ``source_kind``). Boolean and DateTime variables
  of other tools arrive as text.
* **Cases** carry their attributes (``<VariableValue>``), their description
  and a ``<SourceRef>`` per member document. A case without a name and with a
  single ``<SourceRef>`` (how MAXQDA and Quirkos attach document variables)
  gives its values to that document instead of becoming a case.
* **Memos** are ``<Note>``s in ``<Notes>`` (title -> ``name``, text ->
  ``<PlainTextContent>``, coder -> ``creatingUser``), referenced by a
  ``<NoteRef>`` where the schema allows one: on the project (project memos),
  the ``<TextSource>`` (document memos), the ``<Code>`` (code memos) and the
  ``<PlainTextSelection>`` (coding memos). The schema gives cases no NoteRef,
  so a case memo is linked by a ``<Link>`` from the note to the case. On
  import, notes referenced from elsewhere, ``<Description>`` elements on a
  source or a selection, and notes nothing references (journals) all become
  memos; a note on a selection that could not be imported lands on the
  document, or on the project.
* **Pseudonymised by default**: everything is read through a view of the
  project (:mod:`fieldnotes.pseudonymise.view`), each column treated as
  :mod:`fieldnotes.store.classification` says: the sources hold the
  pseudonymised text, every selection is remapped onto it (a coding never
  shows half a pseudonym), and memo texts and titles, case names and
  descriptions, text attribute values, document names, code names and
  descriptions and the project name are scrubbed.
* **fieldnotes' own data** that the format has no place for (speaker turns
  with speakers and time codes, each document's original format and
  encoding) travels in ``fieldnotes/extension.xml``, namespace
  ``urn:fieldnotes:qdpx-extension:1``, an entry beside ``project.qde``:
  ``Project.xsd`` has no ``xs:any``, so foreign elements inside project.qde
  would make it invalid. Each ``<Source>`` carries the SHA-256 of the source
  text it was made for; on import its turns are used only when the text
  matches, else turns are detected again (with a warning). Written by
  :func:`.export.extension_xml`; pseudonymised exports carry turns mapped onto the
  pseudonymised text, their speakers through the same replacements.
* **Import is lenient** (see ``shared/refi-qda/README.md``): any ``.qde`` name,
  ``Sources/`` in any case, extra entries, any namespace (elements are matched
  on local names), RGB colours, ``<Sets/>``, backslash-flattened code names,
  missing or duplicate GUIDs (new ones are made), lost source texts (the
  document is imported and selections outside its text are reported), CRLF
  texts (normalised to LF with positions remapped so that selections keep
  their words; when the positions were evidently counted with LF line endings
  or in UTF-16 units, as some tools do, they are read that way), PDF, picture,
  audio and video sources (skipped and reported).
* **Import is strict about safety**: entries whose path is absolute, names a
  drive, climbs out with ``..`` or contains a backslash are refused, as are
  archives over 1 GB unpacked (or a ``.qde`` over 64 MB), with more than 10,000 entries, or with an entry
  compressed more than 200 times (a zip bomb); nothing is ever unpacked to
  disk, and files outside the archive (``file://``, ``absolute://``,
  ``relative://``) are never read: only a copy inside the archive is. The XML
  is parsed with defusedxml, DTDs and entities forbidden (no XXE). The import
  is one transaction into a temporary file that replaces nothing: on any
  failure the partial project is removed.

The package, one job a module: :mod:`.format` (names, types, GUIDs shared
by both directions), :mod:`.export` (a project -> .qdpx), :mod:`.archive`
(opening a .qdpx safely), :mod:`.reader` (project.qde -> plain records),
:mod:`.placement` (coded positions onto the stored text) and :mod:`.writer`
(records -> a new project).
"""

from fieldnotes.exchange.qdpx.archive import MAX_QDE_BYTES
from fieldnotes.exchange.qdpx.export import export_qdpx
from fieldnotes.exchange.qdpx.format import EXTENSION_ENTRY, NAMESPACE, ImportSummary, QdpxError
from fieldnotes.exchange.qdpx.writer import import_qdpx

__all__ = ["EXTENSION_ENTRY", "MAX_QDE_BYTES", "NAMESPACE", "ImportSummary", "QdpxError", "export_qdpx",
           "import_qdpx"]
