-- Every login (PRODUCT.md §1): one row per identity assertion the gateway accepted, recorded the first
-- time the token is used. `token_sha256` identifies the token without storing it.
CREATE TABLE logins (
    token_sha256   text PRIMARY KEY,
    unit_id        text NOT NULL,
    unit_name      text,
    operator_id    text NOT NULL,
    login_method   text NOT NULL,
    issued_at      timestamptz,
    first_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logins_by_unit ON logins (unit_id, first_seen_at DESC);
