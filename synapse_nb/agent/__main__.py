"""``python -m synapse_nb.agent``: run an agent (same options as ``synapse-nb agent``)."""

from synapse_nb.agent.cli import main

raise SystemExit(main())
