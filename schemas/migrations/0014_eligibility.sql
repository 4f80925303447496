-- Restricted-service eligibility (manual §4), business in progress (manual §7).

-- The thresholds of the eligibility rules as data (TalentCore.EligibilityRuleSet, JSON), one row per
-- published version; the highest version is the current one. Decisions reference the version that
-- made them. `talentctl rules show` prints the current set, `talentctl rules publish FILE` adds one.
CREATE TABLE eligibility_rule_sets (
    version       integer PRIMARY KEY CHECK (version >= 1),
    rules         jsonb NOT NULL,
    published_by  text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);

-- Version 1. The manual names the rules, not their figures: these thresholds are the project's
-- defaults, to be replaced by a published version when the authority gives its own.
INSERT INTO eligibility_rule_sets (version, published_by, rules) VALUES (1, 'migration 0014', $rules$
{
  "version": 1,
  "note": "Initial rule set: registration certificate required; permits suspended 30 days after an unfiled registration change; a branch holds at most 5 permits (10 in Daxing).",
  "services": [
    {
      "service": "work_residence_permit",
      "thresholds": {
        "eligibleUnitTypes": ["enterprise", "public_institution", "social_organisation", "private_non_enterprise", "branch"],
        "requiresRegistrationCertificate": true,
        "requiredQualifications": [],
        "changeFilingDays": 30,
        "holderLimits": [{"unitType": "branch", "limit": 5}]
      },
      "districts": [
        {"district": "110115", "thresholds": {"holderLimits": [{"unitType": "branch", "limit": 10}]}}
      ]
    },
    {
      "service": "talent_introduction",
      "thresholds": {
        "eligibleUnitTypes": ["enterprise", "public_institution", "social_organisation", "private_non_enterprise"],
        "requiresRegistrationCertificate": true,
        "requiredQualifications": [],
        "changeFilingDays": 0,
        "holderLimits": []
      }
    }
  ]
}
$rules$);

-- When the unit last submitted its profile (the guided steps; not a handler maintenance): what files
-- a registration change (备案). Units from before start with their last profile update.
ALTER TABLE units ADD COLUMN profile_submitted_at timestamptz;
UPDATE units SET profile_submitted_at = profile_updated_at;

-- Each unit's decision per restricted service, written in the transaction of the change that caused
-- it (or by the daily sweep). A unit without rows was never evaluated (the gateway then evaluates its
-- facts when read, writing nothing). `decided_at` is when the decision (status, reasons, rule-set
-- version) last changed; a recomputation that decides the same writes nothing. `evaluated_on` is the
-- Beijing day the rules were evaluated for: a decision is never replaced by one of an older rule set
-- or an older day (a late sweep chunk of yesterday's).
CREATE TABLE unit_eligibility (
    unit_id           text NOT NULL REFERENCES units (id),
    service           text NOT NULL CHECK (service IN ('work_residence_permit', 'talent_introduction')),
    status            text NOT NULL CHECK (status IN ('allowed', 'restricted')),
    reasons           jsonb NOT NULL DEFAULT '[]',
    rule_set_version  integer NOT NULL REFERENCES eligibility_rule_sets (version),
    evaluated_on      date NOT NULL,
    decided_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, service)
);

-- The credit restriction list (信用限制名单), kept by an upstream service. Units may be listed before
-- the platform has seen them (no reference to units).
CREATE TABLE credit_restrictions (
    unit_id    text PRIMARY KEY CHECK (unit_id ~ '^[0-9A-HJ-NP-RT-UW-Y]{18}$'),
    reason     text,
    listed_by  text NOT NULL,
    listed_at  timestamptz NOT NULL DEFAULT now(),
    job_id     uuid NOT NULL REFERENCES jobs (id)
);

-- Registration changes reported by the registration authority. A change is filed (已备案) once a
-- profile submission was accepted on or after its day (Beijing time; units.profile_submitted_at).
CREATE TABLE unit_registration_changes (
    unit_id      text NOT NULL CHECK (unit_id ~ '^[0-9A-HJ-NP-RT-UW-Y]{18}$'),
    changed_on   date NOT NULL,
    reported_by  text NOT NULL,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    job_id       uuid NOT NULL REFERENCES jobs (id),
    PRIMARY KEY (unit_id, changed_on)
);

-- Business items (业务事项) reported by the restricted services' business systems: the unit's
-- in-progress list, the unlink pre-check (an item in progress for the employee) and the permit holder
-- count (approved permits of current employees) all read this table. Replaces service_applications.
CREATE TABLE business_items (
    id            uuid PRIMARY KEY,
    unit_id       text NOT NULL REFERENCES units (id),
    service       text NOT NULL CHECK (service IN ('work_residence_permit', 'talent_introduction')),
    reference     text NOT NULL,
    submitted_by  text NOT NULL,
    resident_id   text,
    title         text,
    status        text NOT NULL CHECK (status IN ('in_progress', 'approved', 'refused', 'withdrawn')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL,
    job_id        uuid REFERENCES jobs (id),
    UNIQUE (submitted_by, reference)
);
CREATE INDEX business_items_in_progress ON business_items (unit_id, updated_at DESC, id) WHERE status = 'in_progress';
CREATE INDEX business_items_by_employee ON business_items (unit_id, resident_id) WHERE resident_id IS NOT NULL;

INSERT INTO business_items (id, unit_id, service, reference, submitted_by, resident_id, status, created_at, updated_at)
SELECT s.id, s.unit_id, s.service, s.id::text, 'migration 0014', p.resident_id, s.status, s.created_at, s.created_at
FROM service_applications s JOIN persons p ON p.id = s.person_id;
DROP TABLE service_applications;

-- The daily sweep (catches qualification expiries and filing periods running out): one row per
-- Beijing day. Every eligibility worker ticks; a chunk locks the day's row (FOR UPDATE SKIP LOCKED),
-- recomputes the next units after `cursor` and advances it in the same transaction, so replicas share
-- one sweep and a unit is swept once per day however many run.
CREATE TABLE eligibility_sweeps (
    day           date PRIMARY KEY,
    cursor        text NOT NULL DEFAULT '',
    units         integer NOT NULL DEFAULT 0,
    changed       integer NOT NULL DEFAULT 0,
    chunks        integer NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
