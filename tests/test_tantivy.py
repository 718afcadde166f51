"""The tantivy index's own life: swap, crash safety with real killed processes, other processes, stamps."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from indexer import analysis
from indexer.backends import tantivy as tantivy_backend
from indexer.backends.base import IndexBusy, SearchRequest
from indexer.backends.tantivy import TantivyBackend
from indexer.query import parse_query
from tests.test_backend_contract import CASES, make_doc

pytestmark = pytest.mark.nodb
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def backend(tmp_path):
    """A tantivy index holding the contract cases."""
    engine = TantivyBackend(tmp_path / "index")
    engine.index_many(make_doc(i) for i in CASES)
    return engine


def total(backend, q="", **kwargs) -> int:
    return backend.search(SearchRequest(query=parse_query(q), **kwargs)).total


def index_dirs(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("index-*"))


def start(script: str, *args) -> subprocess.Popen:
    """A Python child process running `script` from the project root (stdout piped, line-buffered)."""
    return subprocess.Popen([sys.executable, "-u", "-c", textwrap.dedent(script), *map(str, args)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_line(proc: subprocess.Popen, expected: str, timeout: float = 60) -> None:
    """Read the child's output until a line equals `expected` (fails if the child dies first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"child exited ({proc.wait()}) before printing {expected!r}")
        if line.strip() == expected:
            return
    pytest.fail(f"no {expected!r} within {timeout} s")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the child (no clean-up of its own can run) and close our ends of its pipes."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdin.close()
    proc.stdout.close()


# A child that writes many documents and says READY once it is well inside the write.
CHILD_PREAMBLE = """
    import sys, time
    from indexer.backends.tantivy import TantivyBackend
    from tests.test_backend_contract import make_doc
    backend = TantivyBackend(sys.argv[1])

    def documents(n, ready_after):
        for i in range(n):
            doc = make_doc(1 + i % 5)
            doc.id = 1000 + i
            yield doc
            if i == ready_after:
                print("READY", flush=True)
                time.sleep(600)  # killed here, in the middle of writing
"""


def test_rebuild_swaps_current_and_deletes_the_old_index(backend, tmp_path):
    directory = tmp_path / "index"
    before = index_dirs(directory)
    assert len(before) == 1 and (directory / "CURRENT").read_text().strip() == before[0]
    with backend.locked():
        assert backend.rebuild([make_doc(1), make_doc(2)]) == 2
    after = index_dirs(directory)
    assert len(after) == 1 and after != before
    assert (directory / "CURRENT").read_text().strip() == after[0] == backend.health()["index"]
    assert total(backend) == 2


def test_killed_rebuild_never_serves_its_half_built_index_and_cleanup_removes_it(backend, tmp_path):
    directory = tmp_path / "index"
    live = index_dirs(directory)
    child = start(CHILD_PREAMBLE + """
    with backend.locked():
        backend.rebuild(documents(30_000, ready_after=25_000))  # past one commit (COMMIT_EVERY)
    """, directory)
    wait_for_line(child, "READY")
    assert backend.cleanup() == []  # the rebuild holds the writer lock: nothing is a leftover yet
    kill(child)
    orphans = [name for name in index_dirs(directory) if name not in live]
    assert len(orphans) == 1 and (directory / orphans[0] / "meta.json").exists()  # committed segments inside
    assert (directory / "CURRENT").read_text().strip() == live[0]
    assert total(backend) == 5 and total(backend, "高空抛物") == 1  # the live index is intact
    assert backend.cleanup() == orphans
    assert index_dirs(directory) == live and backend.cleanup() == []
    backend.index_many([make_doc(1)])  # and writers still work
    assert total(backend) == 5


def test_killed_writer_leaves_the_index_as_last_committed(backend, tmp_path):
    directory = tmp_path / "index"
    child = start(CHILD_PREAMBLE + """
    docs = documents(2000, ready_after=1500)
    def apply(writer):
        from indexer.backends.tantivy import to_document
        for doc in docs:
            writer.add_document(to_document(doc))
    backend._write(apply)
    """, directory)
    wait_for_line(child, "READY")
    kill(child)
    assert total(backend) == 5  # none of the 1,500 uncommitted documents shows
    backend.index_many([make_doc(1)])  # the killed writer's lock went with it
    assert total(backend) == 5 and backend.health()["ok"]
    assert total(TantivyBackend(directory), "高空抛物") == 1  # a fresh reader too


def test_another_process_sees_writes_and_swaps_at_once(backend, tmp_path):
    reader = start("""
    import sys
    from indexer.backends.base import SearchRequest
    from indexer.backends.tantivy import TantivyBackend
    from indexer.query import parse_query
    backend = TantivyBackend(sys.argv[1])
    for line in sys.stdin:
        print(backend.search(SearchRequest(query=parse_query(line.strip()))).total, flush=True)
    """, tmp_path / "index")

    def ask(q: str) -> int:
        reader.stdin.write(q + "\n")
        reader.stdin.flush()
        return int(reader.stdout.readline())

    try:
        assert ask("高空") == 1
        doc = make_doc(2)
        doc.fields["title"] = analysis.index_text("庚高空坠物案")
        backend.index_many([doc])
        assert ask("高空") == 2  # a commit made here is seen there, without waiting
        backend.delete_many([1])
        assert ask("高空") == 1
        with backend.locked():
            backend.rebuild([make_doc(1)])
        assert ask("高空") == 1 and ask("") == 1  # the rebuilt index, after the swap
    finally:
        reader.stdin.close()  # ends its loop
        reader.wait(timeout=30)
        reader.stdout.close()


def test_writer_lock_held_by_another_process(backend, tmp_path):
    holder = start("""
    import sys, time
    from indexer.backends.tantivy import TantivyBackend
    with TantivyBackend(sys.argv[1]).locked():
        print("LOCKED", flush=True)
        time.sleep(600)
    """, tmp_path / "index")
    wait_for_line(holder, "LOCKED")
    orphan = tmp_path / "index" / "index-19700101000000-1-1"
    orphan.mkdir()
    try:
        started = time.monotonic()
        with pytest.raises(IndexBusy), backend.locked(wait=False):
            pass
        assert time.monotonic() - started < 1  # at once, not after the lock timeout
        assert backend.cleanup() == [] and orphan.exists()  # a writer may be filling it: left alone
        assert total(backend) == 5  # readers never wait for the writer lock
    finally:
        kill(holder)
    assert backend.cleanup() == [orphan.name] and not orphan.exists()


def test_analysis_version_is_stamped_and_compared(backend, tmp_path, monkeypatch):
    health = backend.health()
    assert health["analysis"] == analysis.analysis_version() and health["analysis_current"]
    assert set(health) >= {"ok", "backend", "index", "documents", "analysis", "analysis_current"}
    stamp = json.loads((tmp_path / "index" / health["index"] / tantivy_backend.STAMP).read_text())
    assert stamp["analysis"] == analysis.analysis_version()
    monkeypatch.setattr(tantivy_backend, "analysis_version", lambda: "99-changed")
    assert backend.health()["analysis_current"] is False  # the dictionary changed: seed rebuilds
    with backend.locked():
        backend.rebuild([make_doc(1)])
    assert backend.analysis_version() == "99-changed" and backend.health()["analysis_current"]


def test_exclusion_removes_every_case_containing_the_word(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    doc = make_doc(1)
    doc.text = analysis.normalize("建筑物业主委员会诉某公司案")
    doc.fields["title"] = analysis.index_text("建筑物业主委员会诉某公司案")
    doc.fields["body"] = ""
    backend.index_many([doc, make_doc(3)])
    assert "物业" not in analysis.index_tokens("建筑物业主委员会")  # segmented as 建筑物 | 业主委员会
    assert total(backend, "物业") == 0  # as a search word it does not match the other words' characters
    assert total(backend, "-物业") == 1  # but an exclusion removes every case whose text contains it
    assert total(backend, "-市长") == 2 and total(backend, "-防卫") == 1  # 市长 is in neither; 防卫 in case 3


def test_date_sort_pages_are_consistent(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    docs = []
    for i in range(60):  # many cases on few dates, with different relevance
        doc = make_doc(1 + i % 5)
        doc.id, doc.sort_date = 100 + i, ["2024-01-01", "2023-06-30", ""][i % 3]
        docs.append(doc)
    backend.index_many(docs)
    request = {"query": parse_query("防卫 高空 劳动"), "sort": "date", "with_facets": False}
    whole = backend.search(SearchRequest(per_page=60, **request)).ids
    pages = [i for page in range(1, 8) for i in backend.search(SearchRequest(page=page, per_page=7, **request)).ids]
    assert pages == whole and len(whole) == len(set(whole)) == 48  # every case but the 醉驾 ones
    by_id = {d.id: d for d in docs}
    dates = [by_id[i].sort_date or "0" for i in whole]
    assert dates == sorted(dates, reverse=True)
    ranked = backend.search(SearchRequest(per_page=60, **(request | {"sort": "relevance"}))).ids
    for day in {by_id[i].sort_date for i in whole}:  # within a day: by relevance, as in the relevance order
        assert [i for i in whole if by_id[i].sort_date == day] == [i for i in ranked if by_id[i].sort_date == day]


def test_facet_values_tie_broken_by_value_at_the_limit(backend, monkeypatch):
    monkeypatch.setattr(tantivy_backend, "FACET_LIMIT", 2)
    facets = backend.search(SearchRequest(query=parse_query(""))).facets
    assert facets["year"] == [("2020", 1), ("2021", 1)]  # 2020, 2021, 2022 all once: by value
    assert facets["case_type"] == [("刑事", 3), ("民事", 2)]


def test_writes_commit_small_segments_into_few(backend):
    for i in range(30):  # thirty drains of one case each
        doc = make_doc(1 + i % 5)
        doc.id = 500 + i
        backend.index_many([doc])
    searcher = backend._reader().index.searcher()
    assert searcher.num_docs == 35 and searcher.num_segments < 30


def test_an_index_left_by_the_fts5_engine_is_replaced(tmp_path):
    directory = tmp_path / "index"
    directory.mkdir()
    legacy = "index-20260101000000-1-1.sqlite3"
    for name in (legacy, legacy + "-wal"):
        (directory / name).write_bytes(b"SQLite format 3\x00")
    (directory / "CURRENT").write_text(legacy + "\n")
    backend = TantivyBackend(directory)
    assert backend.count() == 0 and backend.health()["ok"]  # an empty index, so `flask seed` rebuilds
    backend.index_many([make_doc(1)])
    assert total(backend, "高空抛物") == 1
    assert backend.cleanup() == [legacy, legacy + "-wal"] and index_dirs(directory) == [backend.health()["index"]]


def test_article_index_rebuilds_beside_and_replaces_the_fts5_file(tmp_path):
    from indexer.articles import ArticleIndex

    (tmp_path / "articles.sqlite3").write_bytes(b"SQLite format 3\x00")  # the FTS5 article index it replaces
    articles = ArticleIndex(tmp_path)
    assert articles.search("高空抛物") == [] and articles.analysis_version() is None  # no index yet
    rows = [(1, 10, 1254, "中华人民共和国民法典", "第七编 侵权责任", "禁止从建筑物中抛掷物品。"),
            (2, 20, 133, "中华人民共和国刑法", "第二章", "醉酒驾驶机动车的，处拘役，并处罚金。")]
    assert articles.rebuild(rows) == 2
    assert not (tmp_path / "articles.sqlite3").exists()
    orphan = tmp_path / "articles" / "index-19700101000000-1-1"
    orphan.mkdir()  # as a killed rebuild would leave it
    assert articles.rebuild(rows[:1]) == 1 and not orphan.exists()
    assert len(index_dirs(tmp_path / "articles")) == 1
    assert articles.search("建筑物 抛掷") == [1] and articles.search("醉驾") == []
    assert articles.analysis_version() == analysis.analysis_version()
