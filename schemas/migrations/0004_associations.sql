-- Employee association lifecycle (manual §5, PRODUCT.md §3–§4).

-- The association code (关联代码) employees enter to ask to be associated with a unit: 8 characters
-- from an alphabet without look-alikes (no 0/O, 1/I).
CREATE FUNCTION talent_association_code() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ', 1 + floor(random() * 32)::int, 1), '')
    FROM generate_series(1, 8)
$$;
ALTER TABLE units ADD COLUMN association_code text NOT NULL DEFAULT talent_association_code();
ALTER TABLE units ADD CONSTRAINT units_association_code_key UNIQUE (association_code);

-- Employees (persons), keyed by resident identity number (GB 11643-1999). Birth date and sex are
-- derived from the number by the application, never entered. Education and work history are kept
-- as sent by the personal-edition portal (JSON arrays), replaced by each new request.
CREATE TABLE persons (
    id            uuid PRIMARY KEY,
    resident_id   text NOT NULL UNIQUE,
    name          text NOT NULL,
    birth_date    date NOT NULL,
    sex           text NOT NULL CHECK (sex IN ('male', 'female')),
    mobile        text,
    education     jsonb NOT NULL DEFAULT '[]',
    work_history  jsonb NOT NULL DEFAULT '[]',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_name_trgm ON persons USING gin (name gin_trgm_ops);

-- Associations: pending → active | rejected, active → unlinked. At most one open (pending or active)
-- association per unit and person.
CREATE TABLE associations (
    id                uuid PRIMARY KEY,
    unit_id           text NOT NULL REFERENCES units (id),
    person_id         uuid NOT NULL REFERENCES persons (id),
    state             text NOT NULL CHECK (state IN ('pending', 'active', 'rejected', 'unlinked')),
    requested_at      timestamptz NOT NULL,
    decided_at        timestamptz,
    entry_date        date,
    leave_date        date,
    position          text,
    department        text,
    contract_kind     text CHECK (contract_kind IN ('fixed_term', 'open_ended', 'task_based')),
    contract_start    date,
    contract_end      date,
    rejection_reason  text,
    unlink_reason     text,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX associations_one_open ON associations (unit_id, person_id) WHERE state IN ('pending', 'active');
CREATE INDEX associations_pending ON associations (unit_id, requested_at, id) WHERE state = 'pending';
CREATE INDEX associations_active ON associations (unit_id, entry_date, id) WHERE state = 'active';

-- Every applied transition: who, when, the form. `job_id` is the job's idempotency record, written
-- in the same transaction as the change.
CREATE TABLE association_transitions (
    id              bigserial PRIMARY KEY,
    association_id  uuid NOT NULL REFERENCES associations (id),
    job_id          uuid NOT NULL UNIQUE REFERENCES jobs (id),
    action          text NOT NULL,
    from_state      text,
    to_state        text NOT NULL,
    actor           text NOT NULL,
    form            jsonb NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX association_transitions_by_association ON association_transitions (association_id, id);

-- Business applications for an employee (work residence permit, talent introduction). One in progress
-- blocks unlinking the employee.
CREATE TABLE service_applications (
    id          uuid PRIMARY KEY,
    unit_id     text NOT NULL REFERENCES units (id),
    person_id   uuid NOT NULL REFERENCES persons (id),
    service     text NOT NULL CHECK (service IN ('work_residence_permit', 'talent_introduction')),
    status      text NOT NULL CHECK (status IN ('in_progress', 'approved', 'refused', 'withdrawn')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_applications_in_progress ON service_applications (unit_id, person_id) WHERE status = 'in_progress';

-- Queued changes per association (the unlink pre-check counts them).
CREATE INDEX jobs_queued_by_subject ON jobs (subject_id) WHERE status = 'queued';
