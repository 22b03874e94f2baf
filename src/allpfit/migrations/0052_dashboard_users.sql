-- Users, sessions and the audit log of the dashboard (issue "Many businesses in one install").
-- See src/allpfit/users.py and docs/dashboard.md#login.
--
-- These tables are install-wide, not tenant data: an admin sees every tenant's users and audit
-- rows, so they carry no row-level security. Every function that lists them for someone who is
-- not an admin filters by tenant (allpfit/users.py). The dashboard reads and writes them on its
-- owner connection (dashboard/data.py `connect_owner`), before any tenant is known.
--
-- dashboard_users: one person. E-mail unique whatever its case. An admin belongs to no tenant
-- (or to one, used as the default of the tenant switcher); a manager or viewer to exactly one.
-- password_hash is argon2id; a hash imported from the old DASHBOARD_USERS_FILE (PBKDF2) is
-- accepted until its first successful login, which replaces it with argon2id.
CREATE TABLE dashboard_users (
    id serial PRIMARY KEY,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    role text NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    tenant_id integer REFERENCES tenants (id),
    password_hash text NOT NULL CHECK (password_hash ~ '^(\$argon2id\$|pbkdf2_sha256\$)'),
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CONSTRAINT dashboard_users_tenant_check CHECK (role = 'admin' OR tenant_id IS NOT NULL)
);

CREATE UNIQUE INDEX dashboard_users_email_idx ON dashboard_users (lower(email));
CREATE INDEX dashboard_users_tenant_idx ON dashboard_users (tenant_id);

-- dashboard_sessions: one login. Only the SHA-256 digest of the token is stored; the token
-- itself lives in the browser session alone, so a copy of this table opens nothing.
-- kind 'user' = a row of dashboard_users; 'password' (DASHBOARD_PASSWORD) and 'file'
-- (DASHBOARD_USERS_FILE) are the logins of an install without users, and name who in `login`.
CREATE TABLE dashboard_sessions (
    id bigserial PRIMARY KEY,
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    kind text NOT NULL CHECK (kind IN ('user', 'password', 'file')),
    user_id integer REFERENCES dashboard_users (id),
    login text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    address text,
    CONSTRAINT dashboard_sessions_user_check CHECK ((kind = 'user') = (user_id IS NOT NULL))
);

CREATE INDEX dashboard_sessions_user_idx ON dashboard_sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);

-- audit_log: every login, failed login, logout and admin action. Append-only by convention;
-- actor is an e-mail, "cli:<os user>", or a fixed word (never text typed in a login box that
-- matched no account: that is often a password typed in the wrong place).
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL CHECK (length(actor) <= 300),
    action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,62}$'),
    tenant_id integer REFERENCES tenants (id),
    detail text NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
    address text
);

CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at DESC, id DESC);
