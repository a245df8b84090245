"""The case file: the record of how one request was handled, for a supervisory authority.

`content` says what it holds (from what the portal keeps: the case row, its audit trail, the
organisation-profile snapshots, notes if asked for), `document` makes the PDF with the report's
renderer, `views` serves it to officers and auditors; `manage.py case_file` writes it from a shell.
Every production is an entry in the case's trail.
"""
