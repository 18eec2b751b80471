"""The local agent of the embedded backend; it lives in :mod:`synapse_nb.api._local_agent`.

The client starts it (as it starts the embedded backend), and the client package may not
import the agent, so the launcher sits beside the backend's. This name stays for callers
that used it.

Example:
    >>> agent_state_file().name
    'local.json'
"""

from __future__ import annotations

from synapse_nb.api._local_agent import agent_state_file, ensure_local_agent, local_agent_pid, stop_local_agent

__all__ = ["agent_state_file", "ensure_local_agent", "local_agent_pid", "stop_local_agent"]
