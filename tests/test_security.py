"""Findings of the security probe, each reproduced: links, headers, Host, query cost, uploads, 413/414."""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case
from tests.helpers import CSRF, ROOT, sample_record, write_jsonl

XSS_URL = " JaVaScRiPt:alert(1)"


def test_a_script_link_is_refused_at_import_with_the_field_named(app, runner, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [sample_record(source={"name": "来源", "url": XSS_URL})])
    result = runner.invoke(args=["cases", "import", "--quiet", str(path)])
    assert result.exit_code == 1 and "[source.url] 链接只能是以 http:// 或 https://" in result.output
    assert db.session.scalar(select(Case.id)) is None


def test_a_script_link_is_refused_in_the_editor(app, client, accounts, login):
    login(client, accounts.publisher)
    response = client.post("/publish/cases/new", data={
        "csrf_token": CSRF, "op": "save", "title": "某案", "case_type": "民事", "source_name": "来源",
        "source_url": XSS_URL, "section_kind": "facts", "section_heading": "基本案情", "section_text": "案情。"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "链接只能是以 http:// 或 https://" in page
    assert db.session.scalar(select(Case.id)) is None


def test_a_stored_script_link_renders_as_text_not_a_link(app, client, runner, tmp_path):
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    case = db.session.scalar(select(Case))
    case.source_url = XSS_URL  # stored before the check existed
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'href=" JaVaScRiPt' not in page and "href=\"javascript" not in page.lower()
    assert "JaVaScRiPt:alert(1)" in page  # shown as text


@pytest.mark.parametrize("path", ["/", "/search?q=高空抛物", "/api/v1/search?q=x", "/login", "/no-such-page",
                                  "/api/v1/cases/1"])
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_hsts_is_sent_over_https(client):
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_host_header_never_reaches_canonical_links(app, client, runner, tmp_path):
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    case_id = db.session.scalar(select(Case.id))
    page = client.get(f"/cases/{case_id}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert 'rel="canonical" href="/cases/' in page and "og:url" not in page
    assert "evil.example" not in page.split("</head>")[0]
    app.config.update(PUBLIC_BASE_URL="https://pufa.example.gov.cn", TRUSTED_HOSTS=["pufa.example.gov.cn"])
    assert client.get(f"/cases/{case_id}", headers={"Host": "evil.example"}).status_code == 400
    page = client.get(f"/cases/{case_id}", base_url="https://pufa.example.gov.cn").get_data(as_text=True)
    assert f'href="https://pufa.example.gov.cn/cases/{case_id}"' in page


def test_a_query_of_many_exclusions_is_refused_at_once(client):
    query = " ".join(['-"的是"'] * 33)[:200]
    for path in ("/api/v1/search", "/search"):
        response = client.get(path, query_string={"q": query})
        assert response.status_code == 400
    body = client.get("/api/v1/search", query_string={"q": query}).get_json()
    assert body["errors"][0]["field"] == "q" and "排除词" in body["errors"][0]["messages"][0]
    five = client.get("/api/v1/search", query_string={"q": '-"的是" -醉驾 -"交通" -盗窃 -"合同"'})
    assert five.status_code == 200


@pytest.mark.settings(SEARCH_TIME_BUDGET_MS=0)
def test_a_search_past_its_time_budget_is_cut_off_with_a_chinese_answer(app, client, runner, tmp_path):
    records = [sample_record(source_id=f"t-{i}", title=f"第{i}件高空抛物案",
                             sections=[{"kind": "facts", "text": f"第{i}号楼高空抛物砸伤路人。" * (i + 2)}]) for i in range(30)]
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", records))])
    response = client.get("/api/v1/search", query_string={"q": "高空抛物"})
    assert response.status_code == 503 and response.get_json()["code"] == "search_timeout"
    page = client.get("/search", query_string={"q": "高空抛物"})
    assert page.status_code == 503 and "未能及时完成" in page.get_data(as_text=True)


def test_a_zip_bomb_upload_gets_a_chinese_message_not_a_500(app, client, accounts, login):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + b"a" * (49 * 1024 * 1024) + b"</w:document>")
    login(client, accounts.publisher)
    response = client.post("/publish/cases/new/upload", content_type="multipart/form-data", data={
        "csrf_token": CSRF, "document": (io.BytesIO(out.getvalue()), "判决书.docx")})
    assert response.status_code == 302
    assert "内容过大" in client.get("/publish/cases/new").get_data(as_text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.nodb
def test_gunicorn_lets_the_app_answer_a_600_character_query_in_chinese(tmp_path):
    """The server's own English "Request Line is too large" page used to answer such links."""
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "APP_ENV": "testing",
           "INSTANCE_PATH": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": "高空抛物" * 150})
        status, body = None, None
        for _ in range(150):
            try:
                urllib.request.urlopen(url, timeout=10)
            except urllib.error.HTTPError as exc:
                status, body = exc.code, json.loads(exc.read().decode("utf-8"))
                exc.close()
                break
            except OSError:
                time.sleep(0.2)
        assert status == 400 and body["errors"][0]["field"] == "q" and "长度" in body["errors"][0]["messages"][0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
