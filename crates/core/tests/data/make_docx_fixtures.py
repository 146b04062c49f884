#!/usr/bin/env python3
"""Makes the Word fixtures of crates/core/tests/docx.rs, from two producers.

- python-docx.docx: written by python-docx (lists numbered through their
  *style*, `heading 1` style names, a hyperlink built run by run);
- libreoffice.docx: a Flat ODT document written here, converted by
  LibreOffice (`soffice --headless --convert-to docx`), which numbers lists on
  the *paragraph* and names styles `Heading 1`, `Title`.

The generated files are committed, so the tests need neither tool. To remake
them (Debian 12):

    pip install python-docx
    apt-get install -y libreoffice-writer-nogui
    python3 crates/core/tests/data/make_docx_fixtures.py
"""

import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(width, height, rgb):
    """A small solid-colour PNG, without an imaging library."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def python_docx_fixture(path, image_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = docx.Document()
    document.add_paragraph("La Fondation Sillage ouvre un atelier numérique à Rennes", style="Title")

    opening = document.add_paragraph("RENNES, le 12 mars 2024 – La Fondation Sillage inaugure ce mardi un ")
    opening.add_run("atelier numérique").bold = True
    opening.add_run(" ouvert aux ")
    opening.add_run("associations").italic = True
    opening.add_run(" du quartier de Maurepas.")

    document.add_heading("Un programme en trois volets", level=1)
    document.add_paragraph("Les ateliers proposent :")
    for item in ("des formations à la bureautique ;", "un accompagnement aux démarches en ligne ;", "un prêt d'ordinateurs portables."):
        document.add_paragraph(item, style="List Bullet")

    document.add_heading("Calendrier", level=2)
    for item in ("Inscriptions en mars", "Premières séances en avril", "Bilan en décembre"):
        document.add_paragraph(item, style="List Number")

    # A hyperlink whose text Word would split over three runs (the middle one bold).
    paragraph = document.add_paragraph("Le programme complet est en ligne sur ")
    add_hyperlink(paragraph, "https://fondation-sillage.example/atelier", [("le site", False), (" de la", True), (" Fondation", False)])
    paragraph.add_run(". Un lien piégé reste du texte : ")
    add_hyperlink(paragraph, "javascript:alert(1)", [("ne cliquez pas", False)])
    paragraph.add_run(".")

    document.add_picture(image_path, width=Cm(4))
    inline = document.paragraphs[-1].runs[-1]._r.xpath(".//wp:inline")[0]
    inline.docPr.set("descr", "Les locaux de l'atelier numérique")

    document.add_paragraph("Les séances sont gratuites et ouvertes à tous.")
    document.add_paragraph("###")
    document.add_heading("À propos de la Fondation Sillage", level=2)
    document.add_paragraph(
        "La Fondation Sillage soutient depuis 2009 l'insertion professionnelle des jeunes en Bretagne."
    )
    contact = document.add_paragraph()
    contact.add_run("Contact presse :").bold = True
    document.add_paragraph("Marie Le Goff")
    document.add_paragraph("marie.legoff@fondation-sillage.example")
    document.add_paragraph("+33 2 99 00 11 22")
    document.core_properties.title = ""
    document.save(path)


def add_hyperlink(paragraph, url, runs):
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    for text, bold in runs:
        run = OxmlElement("w:r")
        properties = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), "Hyperlink")
        properties.append(style)
        if bold:
            properties.append(OxmlElement("w:b"))
        run.append(properties)
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = text
        run.append(t)
        link.append(run)
    paragraph._p.append(link)


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
  xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
  xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
  office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:styles>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard" style:class="text"/>
  <style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body" style:class="text"/>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="1" style:class="text"><style:text-properties fo:font-size="130%" fo:font-weight="bold"/></style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="2" style:class="text"><style:text-properties fo:font-size="115%" fo:font-weight="bold"/></style:style>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Heading" style:class="chapter"><style:text-properties fo:font-size="200%" fo:font-weight="bold"/></style:style>
 </office:styles>
 <office:automatic-styles>
  <style:style style:name="Bold" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="Italic" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
  <text:list-style style:name="Bullets">
   <text:list-level-style-bullet text:level="1" text:bullet-char="•"/>
  </text:list-style>
  <text:list-style style:name="Numbers">
   <text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."/>
  </text:list-style>
 </office:automatic-styles>
 <office:body>
  <office:text>
   <text:p text:style-name="Title">Harbour Trust opens a shore power berth for ferries</text:p>
   <text:p text:style-name="Text_20_body">Wellington, 2024-01-15</text:p>
   <text:p text:style-name="Text_20_body">The Harbour Trust has connected its <text:span text:style-name="Bold">first shore power berth</text:span>, so that <text:span text:style-name="Italic">inter-island ferries</text:span> can switch off their engines while docked.</text:p>
   <text:h text:style-name="Heading_20_1" text:outline-level="1">What changes for the port</text:h>
   <text:p text:style-name="Text_20_body">The berth brings three changes:</text:p>
   <text:list text:style-name="Bullets">
    <text:list-item><text:p>quieter nights for the waterfront;</text:p></text:list-item>
    <text:list-item><text:p>cleaner air near the terminal;</text:p></text:list-item>
    <text:list-item><text:p>lower fuel costs for operators.</text:p></text:list-item>
   </text:list>
   <text:h text:style-name="Heading_20_2" text:outline-level="2">Timeline</text:h>
   <text:list text:style-name="Numbers">
    <text:list-item><text:p>Trials in February</text:p></text:list-item>
    <text:list-item><text:p>Daily use from April</text:p></text:list-item>
   </text:list>
   <text:p text:style-name="Text_20_body">Details are on <text:a xlink:type="simple" xlink:href="https://harbour-trust.example/shore-power">the <text:span text:style-name="Bold">Trust's</text:span> website</text:a>, with the <text:a xlink:type="simple" xlink:href="mailto:press@harbour-trust.example">press office</text:a>.</text:p>
   <text:p text:style-name="Text_20_body"><draw:frame draw:name="Berth" text:anchor-type="as-char" svg:width="2cm" svg:height="1cm"><draw:image><office:binary-data>{image}</office:binary-data></draw:image><svg:title>Berth</svg:title><svg:desc>The new shore power berth at dawn</svg:desc></draw:frame></text:p>
   <text:p text:style-name="Text_20_body">The berth was funded by the regional transport fund.</text:p>
   <text:h text:style-name="Heading_20_2" text:outline-level="2">About the Harbour Trust</text:h>
   <text:p text:style-name="Text_20_body">The Harbour Trust manages the port of Wellington on behalf of the region.</text:p>
   <text:p text:style-name="Text_20_body"><text:span text:style-name="Bold">Media contact:</text:span></text:p>
   <text:p text:style-name="Text_20_body">Aroha Tane<text:line-break/>press@harbour-trust.example<text:line-break/>+64 4 555 0199</text:p>
  </office:text>
 </office:body>
</office:document>
"""


def libreoffice_fixture(path, image):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("soffice not found: apt-get install -y libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as work:
        source = os.path.join(work, "libreoffice.fodt")
        with open(source, "w", encoding="utf-8") as out:
            out.write(FODT.replace("{image}", base64.b64encode(image).decode("ascii")))
        profile = "file://" + os.path.join(work, "profile")
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx", "--outdir", work, source],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.copyfile(os.path.join(work, "libreoffice.docx"), path)


def main():
    image = png(8, 4, (30, 110, 160))
    with tempfile.TemporaryDirectory() as work:
        image_path = os.path.join(work, "atelier.png")
        with open(image_path, "wb") as out:
            out.write(image)
        python_docx_fixture(os.path.join(HERE, "python-docx.docx"), image_path)
    libreoffice_fixture(os.path.join(HERE, "libreoffice.docx"), image)
    print("wrote", os.path.join(HERE, "python-docx.docx"), "and", os.path.join(HERE, "libreoffice.docx"))


if __name__ == "__main__":
    main()
