"""`make bench`: the speed figures the issues ask for, each as a ratio to a baseline measured in
the same run. Runs against a throwaway test database (PostgreSQL when DATABASE_URL says so).

    python -m tests.bench            # every benchmark
    python -m tests.bench harvest    # only the named ones
"""

import importlib
import os
import sys
import time

BENCHMARKS = ["harvest", "fairness", "report", "delivery", "plan"]


def main(names: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar_portal.settings")
    # Every benchmark calls the local sandbox, an address only a development setup may call
    # (the workers it starts inherit this environment).
    os.environ["NETCORE_ALLOW_CUSTOM_BASE_URL"] = "true"
    import django

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    failed = False
    try:
        for name in names or BENCHMARKS:
            module = importlib.import_module(f"tests.bench.{name}")
            print(f"\n== {name} ==", flush=True)
            started = time.perf_counter()
            failed |= not module.run()
            print(f"({name}: {time.perf_counter() - started:.1f} s in all)", flush=True)
    finally:
        teardown_databases(databases, verbosity=0)
    print("\nall targets met" if not failed else "\nsome targets missed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
