"""The access report and its delivery.

- `content`: what the report says (its time zone, scope and gaps, summaries, the message layer
  and the event annex, glossary);
- `chart`: the monthly chart, drawn as SVG;
- `exports`: the events as JSON and CSV;
- `rendering`: HTML to PDF parts with WeasyPrint, fetching nothing but our own files;
- `joining`: the parts joined into one PDF (pikepdf): one outline and structure tree, distinct
  subset tags, footers and the embedded exports;
- `document`: a case's report made into a PDF file;
- `generation`: versions of a report, asked for by an officer and built on a worker;
- `delivery`: sending a version to the subject, exactly once (the request, the claimed send, the
  watchdog, revoking a link, the passphrase hand-off);
- `mail`: emails to the subject (sender, plain text and HTML, classified mail server failures);
- `links`: the download link's secret, one-time codes, throttles and the record of its use;
- `views` (officers) and `link_views` (the subject's download pages, no account).
"""
