"""Duty lists as county sites publish them: web pages (HTML, MHTML) and zips of attachments.

The pages are written here from the office fixtures' content (tests/office_fixtures.py), in the
ways sites print them: site furniture around the content, a bold or heading title per list, the
lists as tables with 事项类别 as rowspan cells and a duty's steps separated by <br> or <p>. The
expected results come from office_fixtures.expected, built from the same content, never from
the pipeline's output.
"""

from __future__ import annotations

from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from html import escape
from pathlib import Path

from tests.office_fixtures import HEADERS, KINDS, row_values, title_of

FURNITURE_TOP = """<div class="top"><div class="logo">某某县人民政府</div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/xzjd/">乡镇街道</a></li></ul></div>
<div class="pos">当前位置：<a href="/">首页</a> &gt; <a href="/xzjd/">乡镇街道</a> &gt; 通知公告</div>
<h1>{township}履职事项清单</h1>
<div class="info">发布时间：2025-05-06 09:30　来源：{township}人民政府　浏览次数：<span>212</span></div>"""
FURNITURE_BOTTOM = """<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="foot">主办：某某县人民政府办公室<br>网站标识码：0000000000（示例）<br>ICP备00000000号</div>"""


def page_html(
    ident: dict,
    lists: dict,
    kinds=KINDS,
    charset: str | None = "utf-8",  # the <meta> charset, None for none
    meta: str = "charset",  # charset: <meta charset=…>; http-equiv: the Content-Type form
    steps: str = "br",  # br: steps separated by <br>; p: each step its own <p>
    header: str = "td",  # td: a first row of <td><strong>; thead: <thead> with <th>
    title: str = "bold",  # bold: <p><strong>; h2: a heading; caption: the table's <caption>
    layout: bool = False,  # the whole page laid out in nested tables (old county sites)
    two_part: int | None = None,  # coordination item index printed as two rows with the markers
    uppercase: bool = False,  # tags and attributes in capitals, end tags of cells and rows left out
    sidebar: bool = False,  # a sidebar of news links with dates, as a two-column table
) -> str:
    """A county site's page holding the lists."""
    body = []
    body.append('<div class="content" id="zoom">')
    body.append(
        f'<p style="text-indent:2em">根据工作部署，现将《{ident["township"]}履职事项清单》予以公布。</p>'
    )
    for kind in kinds:
        heading = escape(title_of(ident, kind))
        if title == "bold":
            body.append(
                f'<p align="center"><strong><span style="font-size:20px">{heading}</span></strong></p>'
            )
        elif title == "h2":
            body.append(f"<h2>{heading}</h2>")
        body.append(
            _table(kind, lists[kind], steps, header, heading if title == "caption" else None, two_part)
        )
    body.append("<p>&nbsp;</p></div>")
    content = "\n".join(body)
    top = FURNITURE_TOP.format(township=escape(ident["township"]))
    if layout:
        main = (
            '<table width="1000" border="0"><tr><td colspan="2">' + top + "</td></tr>"
            '<tr><td width="200" valign="top"><table><tr><td><a href="#">通知公告</a></td></tr>'
            '<tr><td><a href="#">政策文件</a></td></tr></table></td>'
            '<td valign="top"><table width="100%"><tr><td>' + content + "</td></tr></table></td></tr>"
            '<tr><td colspan="2">' + FURNITURE_BOTTOM + "</td></tr></table>"
        )
    else:
        main = top + "\n" + content + "\n" + FURNITURE_BOTTOM
    if sidebar:
        news = "".join(
            f'<tr><td><a href="#">关于开展第{i}批次春季植树造林活动的通知</a></td><td>2025-04-{i:02d}</td></tr>'
            for i in range(1, 9)
        )
        main = main.replace(
            '<div class="share">', f'<div class="side"><table>{news}</table></div><div class="share">'
        )
    if charset is None:
        head_meta = ""
    elif meta == "charset":
        head_meta = f'<meta charset="{charset}">'
    else:
        head_meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
    page = (
        f"<!DOCTYPE html>\n<html>\n<head>\n{head_meta}\n"
        f"<title>{escape(ident['township'])}履职事项清单_通知公告_某某县人民政府</title>\n"
        "<style>.nav li{float:left} td{border:1px solid #000}</style>\n"
        "<script>var _hmt = _hmt || []; if (a < b && c > d) { document.write('<table>'); }</script>\n"
        f"</head>\n<body>\n{main}\n</body>\n</html>\n"
    )
    if uppercase:
        for tag in ("table", "tr", "td", "th", "thead", "tbody", "p", "br", "strong", "div"):
            page = page.replace(f"<{tag}", f"<{tag.upper()}").replace(f"</{tag}>", f"</{tag.upper()}>")
        page = page.replace("</TD>", "").replace("</TH>", "").replace("</TR>", "")
    return page


def _cell(paras: list[str], steps: str) -> str:
    if steps == "p" and len(paras) > 1:
        return "".join(f"<p>{escape(p)}</p>" for p in paras)
    return "<br>".join(escape(p) for p in paras)


def _table(
    kind: str, items: list[dict], steps: str, header: str, caption: str | None, two_part: int | None
) -> str:
    out = ['<table width="100%" border="1" cellspacing="0" cellpadding="0">']
    if caption:
        out.append(f"<caption><strong>{caption}</strong></caption>")
    names = HEADERS[kind]
    if header == "thead":
        out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in names) + "</tr></thead>")
    out.append("<tbody>")
    if header == "td":
        out.append(
            "<tr>"
            + "".join(f'<td style="text-align:center"><strong>{h}</strong></td>' for h in names)
            + "</tr>"
        )
    alone = two_part if kind == "coordination" else None
    groups: list[list[int]] = []  # runs of equal categories (a two-part item on its own)
    for i, item in enumerate(items):
        if (
            groups
            and i != alone
            and groups[-1][-1] != alone
            and items[groups[-1][-1]]["category"] == item["category"]
        ):
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        printed: list[list[list[str]]] = []
        for i in group:
            values = row_values(kind, items[i])
            if i == alone and len(values[4]) > 1:
                upper = values[4]
                printed.append(values[:4] + [upper[:1] + ["（未完见下页）"]] + values[5:])
                printed.append(values[:4] + [["（续上页）"] + upper[1:]] + values[5:])
            else:
                printed.append(values)
        for n, row in enumerate(printed):
            cells = []
            for c, paras in enumerate(row):
                if c == 1 and n > 0:
                    continue  # under the category's rowspan cell
                span = f' rowspan="{len(printed)}"' if c == 1 and len(printed) > 1 else ""
                cells.append(f"<td{span}>{_cell(paras, steps)}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def write_page(path: Path, html: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = html.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_mht(path: Path, html: str, charset: str = "gb2312", transfer: str = "quoted-printable") -> Path:
    """An MHTML file as Internet Explorer saves a page: multipart/related, the page in CHARSET
    with the given transfer encoding, a picture beside it."""
    msg = MIMEMultipart("related", type="text/html")
    msg["From"] = "<Saved by Windows Internet Explorer 8>"
    msg["Subject"] = "履职事项清单"
    part = MIMEText(html, "html", "utf-8")
    del part["Content-Transfer-Encoding"]
    part.set_charset("gb18030" if charset in ("gb2312", "gbk") else charset)
    part.replace_header("Content-Type", f'text/html; charset="{charset}"')
    payload = html.encode("gb18030" if charset in ("gb2312", "gbk") else charset)
    if transfer == "quoted-printable":
        import quopri

        part.set_payload(quopri.encodestring(payload).decode("ascii"))
    else:
        import base64

        part.set_payload(base64.encodebytes(payload).decode("ascii"))
    part.replace_header(
        "Content-Transfer-Encoding", transfer
    ) if "Content-Transfer-Encoding" in part else part.add_header("Content-Transfer-Encoding", transfer)
    part.add_header("Content-Location", "http://www.example.gov.cn/xzjd/list.html")
    msg.attach(part)
    logo = MIMEImage(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "gif")
    logo.add_header("Content-Location", "http://www.example.gov.cn/logo.gif")
    msg.attach(logo)
    path.write_bytes(msg.as_bytes())
    return path
