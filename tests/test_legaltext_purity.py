"""The pure text package (legaltext/) imports neither Flask nor the database layer."""
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.nodb


def test_legaltext_imports_no_flask_or_database():
    code = ("import sys, legaltext.citations, legaltext.deid, legaltext.extract, legaltext.numerals; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'app', 'flask_sqlalchemy'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
