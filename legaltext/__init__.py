"""Pure text rules about legal documents: citations, numerals, de-identification, upload extraction.

Nothing here imports Flask or the database; the app calls these functions and the tests run
them against labelled fixtures (tests/fixtures/).
"""
