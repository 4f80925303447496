-- The audit trail of operators' changes to parked (dead-lettered) jobs: one row per message replayed
-- or discarded, written before the message leaves the parking queue (a row without its effect means
-- the command stopped in between; running it again acts and records again).
CREATE TABLE operator_actions (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL CHECK (action IN ('replay', 'discard')),
    kind        text NOT NULL,
    message_id  text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX operator_actions_by_time ON operator_actions (at DESC);
