"""The backend's HTTP routes, one module per resource."""

from __future__ import annotations

__all__ = [
    "ROUTERS", "access", "agents", "collections", "items", "models", "projects", "system", "task_files",
    "task_reports", "tasks",
]

from fastapi import APIRouter

from synapse_nb.server.routes import access, agents, collections, items, models, projects, stats, system, task_files, task_reports, tasks

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    projects.router,
    items.router,
    collections.router,
    stats.router,
    agents.router,
    tasks.router,
    task_reports.router,
    task_files.router,
    models.router,
    access.router,
)
