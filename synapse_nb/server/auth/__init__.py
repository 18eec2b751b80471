"""Who may do what on the backend: principals with their own revocable tokens, roles
(admin, user, agent, and per-task tokens for workers), a per-route check, and an audit trail.

Example:
    >>> from synapse_nb.server.auth import ROUTE_ROLES
    >>> sorted(ROUTE_ROLES[("POST", "/tasks")])
    ['admin', 'user']
"""

from synapse_nb.server.auth.policy import ROUTE_ROLES, authorize
from synapse_nb.server.auth.principals import Principal, PrincipalStore

__all__ = ["ROUTE_ROLES", "Principal", "PrincipalStore", "authorize"]
