"""``KawalStep``: one step of the procedure as an Airflow task, for the DAG files in ``dags/``.

Why a plain operator rather than TaskFlow's ``@task``: the dag-processor imports every DAG file every
30 s, and ``@task`` alone costs about 50 ms per file (the decorator machinery and the standard
provider's Python operator), the whole budget of issue #10 ("every DAG file ≤ 50 ms over a
trivial one"). A ``BaseOperator`` subclass costs nothing more than the ``@dag`` every file has.

This module must stay light: it is imported when a DAG file is parsed, so it imports Airflow's SDK
and the standard library only (``tests/dags`` checks it loads no pandas, SQLAlchemy, GX...). The
step itself, a function of :mod:`kawal.pipeline.steps`, is imported when the task runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from airflow.sdk import Asset, BaseOperator

#: What a step function may ask for by naming a parameter: taken from the task's context.
CONTEXT_ARGS = ("logical_date", "params")


class KawalStep(BaseOperator):
    """Run ``kawal.pipeline.steps.<step>(**args)`` and push its (JSON) result as the task's XCom.

    :param step: the name of a function in :mod:`kawal.pipeline.steps`.
    :param args: fixed keyword arguments (e.g. the source of an ingest branch).
    :param pull: keyword arguments taken from upstream tasks' results: ``{"batch_id": "ingest_x"}``,
        or a list of task ids for a list of results (in that order).

    A :class:`kawal.errors.KawalError` (bad or missing input, a register mistake) fails the task at
    once, without retries: retrying cannot fix a file (``fail_fast_on_user_error``).
    """

    ui_color = "#e8f1e4"

    def __init__(
        self,
        *,
        step: str,
        args: dict[str, Any] | None = None,
        pull: dict[str, str | Sequence[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("task_id", step)
        super().__init__(**kwargs)
        self.step = step
        self.step_args = dict(args or {})
        self.pull = {name: ids if isinstance(ids, str) else list(ids) for name, ids in (pull or {}).items()}

    def execute(self, context: Any) -> Any:
        from kawal.pipeline import steps
        from kawal.pipeline.airflow_glue import fail_fast_on_user_error

        function = getattr(steps, self.step)
        kwargs = dict(self.step_args)
        for name, task_ids in self.pull.items():
            kwargs[name] = context["ti"].xcom_pull(task_ids=task_ids)
        wanted = inspect.signature(function).parameters
        kwargs.update({name: context[name] for name in CONTEXT_ARGS if name in wanted})
        with fail_fast_on_user_error():
            return function(**kwargs)


def produces(*records: str) -> list[Asset]:
    """The Assets a task writes (its ``outlets``), so lineage tools and Airflow's asset views see what
    each step produces (issue #19): ``kawal://store/<table>[/<source>]`` for Kawal's store,
    ``kawal://home/<folder>[/<source>]`` for files under ``$KAWAL_HOME``."""
    return [Asset(name="kawal." + r.replace("/", "."), uri=f"kawal://{r}") for r in records]


def tell_data_engineering(context: Any) -> None:
    """Every Kawal DAG's ``on_failure_callback``: one mail per failed run to data engineering
    (:mod:`kawal.pipeline.failures`, imported only when a task has failed)."""
    from kawal.pipeline.failures import on_task_failure

    on_task_failure(context)
