import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case
from tests.factories import make_case

WRITERS = 8
CASES_EACH = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_numbers_without_gaps_or_duplicates(postgres):
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            start.wait()
            for _ in range(CASES_EACH):
                make_case()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    year = timezone.localdate().year
    references = sorted(Case.objects.values_list("reference", flat=True))
    assert references == [f"DSAR-{year}-{n:04d}" for n in range(1, WRITERS * CASES_EACH + 1)]


def test_numbering_restarts_each_year(db):
    from cases.services import next_reference

    assert next_reference(2031) == "DSAR-2031-0001"
    assert next_reference(2031) == "DSAR-2031-0002"
    assert next_reference(2032) == "DSAR-2032-0001"
