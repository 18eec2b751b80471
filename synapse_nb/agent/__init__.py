"""The agent: claims tasks from the backend and runs them on Ray (local by default, any
cluster by address). ``synapse-nb agent`` runs one; the embedded backend starts a local one.

Example:
    >>> from synapse_nb.agent import AgentConfig
    >>> AgentConfig(name="a", max_concurrent_tasks=2).max_concurrent_tasks
    2
"""

from synapse_nb.agent.agent import Agent, AgentConfig

__all__ = ["Agent", "AgentConfig"]
