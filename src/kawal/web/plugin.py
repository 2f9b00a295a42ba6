"""Kawal's KPI board and defect workflow inside the Airflow UI (issue #8).

Registered through the ``airflow.plugins`` entry point (pyproject.toml, issue #19), so an installed
Kawal is a loaded plugin with no ``plugins/`` folder to set in every start command and image. Thin on
purpose: the app, its auth and its pages live in the ``kawal.web`` package. Airflow mounts
the FastAPI app at ``/kawal`` in the api-server *without* its own auth, so ``kawal.web.auth`` checks
the Airflow session on every request; the external view adds "Kawal KPI" to Airflow's navigation and
shows the board inside the UI.
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from kawal.web.app import app as kawal_board_app


class KawalBoardPlugin(AirflowPlugin):
    name = "kawal_board"
    fastapi_apps: ClassVar[list[dict]] = [{"app": kawal_board_app, "url_prefix": "/kawal", "name": "Kawal KPI board"}]
    external_views: ClassVar[list[dict]] = [
        {
            "name": "Kawal KPI",
            "href": "/kawal/",
            "url_route": "kawal",  # shown in Airflow's UI frame at /plugin/kawal
            "destination": "nav",
            "nav_top_level": True,
        }
    ]
