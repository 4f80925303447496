"""The Celery peer of the benchmark: the association approval job, written as a Celery task.

Same broker, same database, the same jobs and the same effects and checks as the product's worker,
written per task as a Celery user would: lock the job row, lock the association, check it is pending
for the job's unit, write the approval, append the history step, close the job with its outcome,
commit (ours writes a batch of jobs with a few set-based statements instead; that is the difference
being measured). The form checks ours makes are left out here, in the peer's favour. Configured the way a careful Celery user would
for exactly-once effects: quorum queue, publisher confirms, `acks_late`, `task_reject_on_worker_lost`,
persistent messages, prefork pool with one database connection per child.

Run by benchmarks/bench.py: `publish JOBS_FILE` pre-publishes one task per line of a jobs file from
`talentctl bench prepare --jobs`; the worker is started with `celery -A peer worker`.
"""
import json
import os
import sys

import psycopg
from celery import Celery
from celery.signals import worker_process_init
from kombu import Queue

QUEUE = "bench.celery.decisions"
AMQP_PORT = os.environ.get("TALENT_AMQP_PORT", "5672")
VHOST = os.environ.get("TALENT_AMQP_VHOST", "/")
app = Celery("peer", broker=f"amqp://guest:guest@127.0.0.1:{AMQP_PORT}/{'' if VHOST == '/' else VHOST}")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_default_delivery_mode="persistent",
    task_queues=[Queue(QUEUE, queue_arguments={"x-queue-type": "quorum"})],
    task_default_queue=QUEUE,
    broker_transport_options={"confirm_publish": True},
    worker_prefetch_multiplier=16,
    worker_detect_quorum_queues=True,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)

connection = None


@worker_process_init.connect
def connect(**_):
    """One database connection per prefork child."""
    global connection
    connection = psycopg.connect(os.environ["TALENT_POSTGRES_URL"])


@app.task(name="peer.approve")
def approve(job_id, association_id, unit_id, approval):
    """Applies one approval exactly once (the job row is the idempotency record)."""
    with connection.transaction():
        job = connection.execute(
            "SELECT unit_id, status, error_code FROM jobs WHERE id = %s FOR UPDATE", (job_id,)).fetchone()
        if job is None or job[0] != unit_id:
            return "unknown_job"
        if job[1] != "queued" and not (job[1] == "dead_lettered" and job[2] == "never_completed"):
            return "already_processed"
        association = connection.execute(
            "SELECT unit_id, state FROM associations WHERE id = %s FOR UPDATE", (association_id,)).fetchone()
        if association is None or association[0] != unit_id:
            outcome = ("failed", "not_found", "no such association for this unit")
        elif association[1] != "pending":
            outcome = ("failed", "not_pending", f"the request is {association[1]}")
        else:
            contract = approval.get("contract") or {}
            connection.execute(
                """
                UPDATE associations SET state = 'active', decided_at = now(), entry_date = %s, position = %s,
                    department = %s, contract_kind = %s, contract_start = %s, contract_end = %s, updated_at = now()
                WHERE id = %s
                """,
                (approval["entryDate"], approval["position"], approval.get("department"), contract.get("kind"),
                 contract.get("startDate"), contract.get("endDate"), association_id))
            connection.execute(
                """
                INSERT INTO association_transitions (association_id, job_id, action, from_state, to_state, actor, form)
                VALUES (%s, %s, 'approve', 'pending', 'active', 'bench', %s::jsonb)
                """, (association_id, job_id, json.dumps(approval, sort_keys=True, ensure_ascii=False)))
            outcome = ("succeeded", None, None)
        connection.execute(
            """
            UPDATE jobs SET status = %s, error_code = %s, error_detail = %s, finished_at = now(),
                deliveries = deliveries + 1
            WHERE id = %s
            """, (*outcome, job_id))
    return outcome[0]


def publish(path):
    """Publishes one task per job of a jobs file, each confirmed by the broker."""
    count = 0
    with app.producer_or_acquire() as producer:
        for line in open(path, encoding="utf-8"):
            job_id, association_id, unit_id, message = line.rstrip("\n").split("\t")
            approval = json.loads(message)["approval"]
            approve.apply_async(
                (job_id, association_id, unit_id, approval), producer=producer, retry=True)
            count += 1
    print(json.dumps({"published": count}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "publish":
        publish(sys.argv[2])
    else:
        sys.exit("usage: peer.py publish JOBS_FILE")
