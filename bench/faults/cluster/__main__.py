"""`python -m bench.faults.cluster`: see bench/faults/cluster/__init__.py."""

from bench.faults.cluster.run import main

raise SystemExit(main())
