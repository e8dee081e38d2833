-- The operator console: who may sign in (console_user), their sessions, and the
-- appeals specialists register for the responsible organisations.
--
-- References to the directory (organisation, topic, specialist) are checked by a
-- trigger when a row is written, not by foreign keys: the directory is replaced
-- whole by `hotline seed-demo` (TRUNCATE) and edited freely by roster editors,
-- while accounts and appeals must outlive those edits, like the journal does. A
-- rule broken here names itself (CONSTRAINT = ...), so the console and the CLI
-- explain it (src/directory/constraints.rs).

-- People who sign in to the console. Roles:
--   specialist  a contact-center operator: sees every appeal, registers new ones;
--   staff       an organisation's employee: sees the appeals of that organisation
--               (and of its subordinate institutions), marks its own done;
--   admin       everything.
CREATE TABLE console_user (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         text NOT NULL
                  CONSTRAINT console_user_login_unique UNIQUE
                  CONSTRAINT console_user_login_format CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    -- PHC string of an argon2 hash ($argon2id$v=19$...); never the password.
    password_hash text NOT NULL
                  CONSTRAINT console_user_password_hash_is_argon2 CHECK (password_hash LIKE '$argon2%'),
    full_name     text NOT NULL
                  CONSTRAINT console_user_full_name_not_blank CHECK (btrim(full_name) <> ''),
    role          text NOT NULL
                  CONSTRAINT console_user_role_known CHECK (role IN ('specialist', 'staff', 'admin')),
    -- The staff member's organisation (directory code); only staff have one.
    organisation  text,
    -- The specialist's row in the directory (their phone), for the call console.
    specialist_id bigint CONSTRAINT console_user_specialist_once UNIQUE,
    -- False: cannot sign in, and existing sessions stop working at once.
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT console_user_staff_has_organisation
        CHECK (role <> 'staff' OR organisation IS NOT NULL),
    CONSTRAINT console_user_organisation_only_for_staff
        CHECK (organisation IS NULL OR role = 'staff'),
    CONSTRAINT console_user_specialist_only_for_specialists
        CHECK (specialist_id IS NULL OR role = 'specialist')
);

-- A signed-in browser. The cookie holds `id.secret`; only SHA-256(secret) is stored,
-- so a copy of this table signs nobody in.
CREATE TABLE console_session (
    id          text PRIMARY KEY,
    secret_hash bytea NOT NULL
                CONSTRAINT console_session_secret_hash_is_sha256 CHECK (length(secret_hash) = 32),
    user_id     bigint NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CONSTRAINT console_session_expires_after_creation CHECK (expires_at > created_at)
);

CREATE INDEX console_session_user ON console_session (user_id);
CREATE INDEX console_session_expires_at ON console_session (expires_at);

-- A citizen's question registered for the responsible organisation, typically after
-- hours: the organisation's staff see it on their next working day and mark it done.
CREATE TABLE appeal (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- The journal's call (call_record.call_key), when the appeal came from a call. No
    -- foreign key: the journal is written off the call path and may arrive later.
    call_key      text,
    -- The short number the citizen called.
    line          text CONSTRAINT appeal_line_is_digits CHECK (line ~ '^[0-9]{2,6}$'),
    topic         text,
    -- The responsible organisation; when left empty, the topic's agency.
    organisation  text CONSTRAINT appeal_has_organisation CHECK (organisation IS NOT NULL),
    -- Digits with an optional leading +, as Asterisk reports a caller id.
    caller_number text CONSTRAINT appeal_caller_number_is_phone CHECK (caller_number ~ '^\+?[0-9]{2,20}$'),
    note          text NOT NULL DEFAULT ''
                  CONSTRAINT appeal_note_length CHECK (length(note) <= 4000),
    callback_requested boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'new'
                  CONSTRAINT appeal_status_known CHECK (status IN ('new', 'done')),
    -- Who registered it; empty when the service did (a callback left in the queue).
    created_by    bigint REFERENCES console_user (id),
    done_by       bigint REFERENCES console_user (id),
    done_at       timestamptz,
    done_note     text CONSTRAINT appeal_done_note_length CHECK (length(done_note) <= 4000),
    CONSTRAINT appeal_done_fields_only_when_done
        CHECK ((status = 'done') = (done_at IS NOT NULL)
               AND (done_by IS NULL OR done_at IS NOT NULL)
               AND (done_note IS NULL OR done_at IS NOT NULL)),
    CONSTRAINT appeal_callback_needs_number
        CHECK (NOT callback_requested OR caller_number IS NOT NULL)
);

-- The console's question: the pending appeals of these organisations, oldest first.
CREATE INDEX appeal_organisation_status ON appeal (organisation, status, created_at);

CREATE FUNCTION console_user_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organisation IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.organisation IS DISTINCT FROM OLD.organisation)
       AND NOT EXISTS (SELECT 1 FROM organisation WHERE code = NEW.organisation) THEN
        RAISE EXCEPTION 'console user %: unknown organisation "%"', NEW.login, NEW.organisation
            USING ERRCODE = 'check_violation', CONSTRAINT = 'console_user_organisation_known';
    END IF;
    IF NEW.specialist_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.specialist_id IS DISTINCT FROM OLD.specialist_id)
       AND NOT EXISTS (SELECT 1 FROM specialist WHERE id = NEW.specialist_id) THEN
        RAISE EXCEPTION 'console user %: unknown specialist #%', NEW.login, NEW.specialist_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'console_user_specialist_known';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER console_user_check BEFORE INSERT OR UPDATE ON console_user
    FOR EACH ROW EXECUTE FUNCTION console_user_check();

-- Fills the default organisation (the topic's agency) and checks the references,
-- only when they are written: an appeal whose organisation was later removed from
-- the directory can still be marked done.
CREATE FUNCTION appeal_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.topic IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.topic IS DISTINCT FROM OLD.topic)
       AND NOT EXISTS (SELECT 1 FROM topic WHERE code = NEW.topic) THEN
        RAISE EXCEPTION 'appeal: unknown topic "%"', NEW.topic
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appeal_topic_known';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.organisation IS NULL THEN
        NEW.organisation := (SELECT agency FROM topic WHERE code = NEW.topic);
    END IF;
    IF NEW.organisation IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.organisation IS DISTINCT FROM OLD.organisation)
       AND NOT EXISTS (SELECT 1 FROM organisation WHERE code = NEW.organisation) THEN
        RAISE EXCEPTION 'appeal: unknown organisation "%"', NEW.organisation
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appeal_organisation_known';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER appeal_check BEFORE INSERT OR UPDATE ON appeal
    FOR EACH ROW EXECUTE FUNCTION appeal_check();

-- Live updates for consoles: every new or changed appeal, whoever wrote it (the
-- console, another instance, psql), is announced on 'appeal_changed' as
-- {"op": "insert"|"update", "id": ..., "organisation": ..., "status": ...}.
CREATE FUNCTION appeal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('appeal_changed', json_build_object(
        'op', lower(TG_OP), 'id', NEW.id, 'organisation', NEW.organisation,
        'status', NEW.status)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER appeal_notify AFTER INSERT OR UPDATE ON appeal
    FOR EACH ROW EXECUTE FUNCTION appeal_notify();
