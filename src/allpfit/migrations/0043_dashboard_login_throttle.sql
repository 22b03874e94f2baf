-- Hardening (issue "login"): failed dashboard logins are counted per account and per client
-- address, so guessing passwords slows down to a few tries an hour. In PostgreSQL rather than
-- in Streamlit's memory so the count holds across browser sessions, server restarts and
-- several dashboard processes. See dashboard/throttle.py and docs/dashboard.md#login.
--
-- `subject` is a SHA-256 digest of "account:<name>" or "address:<ip>": user names typed by
-- mistake (often a password typed in the wrong box) and client addresses are not stored in
-- clear. Rows are deleted once their failures are older than the counting window.
CREATE TABLE dashboard_login_throttle (
    subject text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at timestamptz,
    locked_until timestamptz
);

CREATE INDEX dashboard_login_throttle_last_failure_idx
    ON dashboard_login_throttle (last_failure_at);
