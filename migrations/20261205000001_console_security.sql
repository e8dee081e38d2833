-- Console sessions that end when unused, sign-ins throttled after failures, and
-- every end of a session announced, so each instance closes that session's live
-- event streams at once (src/http/sessions.rs).

-- When the session last made a request. A session idle longer than the service's
-- `http_session_idle_minutes` is refused and deleted.
ALTER TABLE console_session ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX console_session_last_seen_at ON console_session (last_seen_at);

-- Failed sign-ins (wrong password, unknown login, wrong current password when
-- changing it), counted per login and per client address over a sliding window to
-- refuse further tries for a while. Kept a day, then deleted by the service.
CREATE TABLE console_login_failure (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    -- The login as typed (trimmed, lowercased), whether or not such a user exists.
    login   text NOT NULL,
    -- The client's address, when the server knows it.
    address text
);

CREATE INDEX console_login_failure_login ON console_login_failure (login, at);
CREATE INDEX console_login_failure_address ON console_login_failure (address, at);

-- Every deleted session (sign-out, password change, deactivation, expiry, idle) is
-- announced on 'console_session_closed' with its id.
CREATE FUNCTION console_session_closed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('console_session_closed', OLD.id);
    RETURN NULL;
END $$;

CREATE TRIGGER console_session_closed AFTER DELETE ON console_session
    FOR EACH ROW EXECUTE FUNCTION console_session_closed_notify();

-- A new password or a deactivation signs the user out everywhere, whoever made the
-- change (console, `hotline user`, psql).
CREATE FUNCTION console_user_sign_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM console_session WHERE user_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER console_user_sign_out
    AFTER UPDATE OF password_hash, active ON console_user
    FOR EACH ROW
    WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
          OR (OLD.active AND NOT NEW.active))
    EXECUTE FUNCTION console_user_sign_out();
