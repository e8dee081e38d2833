-- The directory: who takes a 122/117 call, when, and how.
--
-- Designed for people who edit rosters in SQL (psql, DBeaver, ...):
--   * organisations and topics are keyed by short readable codes ('minzdrav', 'health');
--   * every rule a row must obey is a named constraint, so a refused edit says which
--     rule it broke (the constraint name) and Postgres prints the failing row;
--   * every change to these tables is announced on the 'directory_changed' channel so a
--     running `hotline` reloads its snapshot at once.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A time-of-day range, used to forbid overlapping intervals of the same day.
CREATE TYPE time_of_day_range AS RANGE (subtype = time);

-- A dial target must be a single, plain Asterisk channel: `PJSIP/name`,
-- `PJSIP/name@host` style or `Local/ext@context`. Anything else (`&`, `,`, `(`, `)`,
-- `$`, `{`, `}`, `;`, whitespace, control characters) could inject extra dial
-- destinations or dialplan functions, so it is refused here and again on load.
-- (Table CHECK constraints rather than a domain, so a refused row is printed.)
CREATE FUNCTION is_safe_dial_target(target text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN target ~ '^(PJSIP|IAX2|Local)/[A-Za-z0-9_.+-]{1,64}(@[A-Za-z0-9_.+-]{1,64})?$';

-- Short readable identifiers for organisations and topics: 'minzdrav', 'health'.
CREATE FUNCTION is_directory_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN code ~ '^[a-z][a-z0-9_-]{0,47}$';

CREATE TYPE organisation_kind AS ENUM (
    'regional_agency',  -- a regional executive body (ministry, service, inspectorate)
    'municipal_body',   -- a municipal government body that cooperates under the same rules
    'institution'       -- an organisation subordinate to an agency (hospital, social centre)
);

CREATE TYPE transfer_mode AS ENUM (
    'automatic',  -- the service dials the responsible staff itself
    'manual'      -- a contact-center specialist answers and transfers by hand
);

CREATE TYPE hunt_strategy AS ENUM (
    'sequential',    -- one after another by priority, each for the attempt timeout
    'ring_all',      -- everyone at once, first answer wins
    'least_recent'   -- one after another, the one called longest ago first
);

CREATE TYPE calendar_day_kind AS ENUM (
    'holiday',    -- a non-working day (public holiday or a day off by transfer)
    'working',    -- a working day that falls on a weekend (transferred working day)
    'shortened'   -- a pre-holiday working day, one hour shorter
);

-- Lines: the short numbers citizens call.
CREATE TABLE line (
    number        text PRIMARY KEY
                  CONSTRAINT line_number_is_digits CHECK (number ~ '^[0-9]{2,6}$'),
    name          text NOT NULL
                  CONSTRAINT line_name_not_blank CHECK (btrim(name) <> ''),
    -- Sound played once the call is answered: greeting and the whole menu.
    menu_prompt   text NOT NULL
                  CONSTRAINT line_menu_prompt_is_sound_name CHECK (menu_prompt ~ '^[A-Za-z0-9_/-]{1,128}$'),
    -- How long to wait for a digit after the menu, and how many times to offer it.
    digit_timeout_seconds integer NOT NULL DEFAULT 7
                  CONSTRAINT line_digit_timeout_in_range CHECK (digit_timeout_seconds BETWEEN 1 AND 60),
    menu_attempts integer NOT NULL DEFAULT 3
                  CONSTRAINT line_menu_attempts_in_range CHECK (menu_attempts BETWEEN 1 AND 9)
);

CREATE TABLE organisation (
    code        text PRIMARY KEY
                CONSTRAINT organisation_code_is_lowercase_word CHECK (is_directory_code(code)),
    name        text NOT NULL
                CONSTRAINT organisation_name_not_blank CHECK (btrim(name) <> ''),
    kind        organisation_kind NOT NULL,
    -- The agency an institution is subordinate to; empty for agencies and municipal bodies.
    parent      text REFERENCES organisation (code) ON UPDATE CASCADE,
    -- IANA time zone in which its working hours and holidays are read.
    time_zone   text NOT NULL DEFAULT 'Asia/Irkutsk',
    -- False for round-the-clock duty services that ignore the production calendar.
    follows_production_calendar boolean NOT NULL DEFAULT true,
    CONSTRAINT organisation_institution_has_parent
        CHECK ((kind = 'institution') = (parent IS NOT NULL)),
    CONSTRAINT organisation_not_own_parent CHECK (parent IS DISTINCT FROM code)
);

-- Regular weekly working hours; several intervals a day make lunch breaks.
-- An interval that crosses midnight is written as two rows.
CREATE TABLE working_hours (
    organisation text NOT NULL REFERENCES organisation (code) ON DELETE CASCADE ON UPDATE CASCADE,
    -- ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday      smallint NOT NULL
                 CONSTRAINT working_hours_weekday_iso CHECK (weekday BETWEEN 1 AND 7),
    opens        time NOT NULL,
    closes       time NOT NULL,
    CONSTRAINT working_hours_opens_before_closes CHECK (opens < closes),
    CONSTRAINT working_hours_no_overlap EXCLUDE USING gist (
        organisation WITH =, weekday WITH =, time_of_day_range(opens, closes) WITH &&)
);

-- The shared production calendar every organisation follows (unless it opts out).
CREATE TABLE production_calendar (
    day   date PRIMARY KEY,
    kind  calendar_day_kind NOT NULL,
    note  text NOT NULL DEFAULT '',
    -- For a transferred working day: whose weekday's hours apply (ISO, default Monday).
    hours_of_weekday smallint
          CONSTRAINT production_calendar_hours_of_weekday_iso CHECK (hours_of_weekday BETWEEN 1 AND 7),
    CONSTRAINT production_calendar_hours_only_for_working_days
        CHECK (hours_of_weekday IS NULL OR kind = 'working')
);

-- Dated exceptions for one organisation. Any row for a day replaces that day's
-- regular hours and the calendar: a `closed` row closes the whole day; rows with
-- hours are the only intervals of that day (special duty hours).
CREATE TABLE schedule_override (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation text NOT NULL REFERENCES organisation (code) ON DELETE CASCADE ON UPDATE CASCADE,
    day          date NOT NULL,
    closed       boolean NOT NULL DEFAULT false,
    opens        time,
    closes       time,
    note         text NOT NULL DEFAULT '',
    CONSTRAINT schedule_override_closed_xor_hours
        CHECK (closed = (opens IS NULL) AND (opens IS NULL) = (closes IS NULL)),
    CONSTRAINT schedule_override_opens_before_closes CHECK (opens < closes),
    -- A closed day covers the whole day, so it also conflicts with any interval.
    CONSTRAINT schedule_override_no_overlap EXCLUDE USING gist (
        organisation WITH =, day WITH =,
        (CASE WHEN closed THEN time_of_day_range('00:00', '24:00', '[]')
              ELSE time_of_day_range(opens, closes) END) WITH &&)
);

CREATE TABLE topic (
    code      text PRIMARY KEY
              CONSTRAINT topic_code_is_lowercase_word CHECK (is_directory_code(code)),
    name_ru   text NOT NULL CONSTRAINT topic_name_ru_not_blank CHECK (btrim(name_ru) <> ''),
    name_en   text NOT NULL CONSTRAINT topic_name_en_not_blank CHECK (btrim(name_en) <> ''),
    -- The agency answerable for the topic; empty when specialists handle it themselves
    -- (e.g. consultations on contract military service).
    agency    text REFERENCES organisation (code) ON UPDATE CASCADE,
    -- Defaults for every organisation; topic_organisation may override them.
    transfer_mode   transfer_mode NOT NULL DEFAULT 'automatic',
    strategy        hunt_strategy NOT NULL DEFAULT 'sequential',
    attempt_timeout_seconds integer NOT NULL DEFAULT 20
                    CONSTRAINT topic_attempt_timeout_in_range CHECK (attempt_timeout_seconds BETWEEN 5 AND 120)
);

-- Per-organisation settings of a topic: the order in which organisations are tried
-- and, where they differ from the topic's defaults, the transfer mode, hunting
-- strategy and attempt timeout. An organisation without a row uses the defaults and
-- comes after those with one.
CREATE TABLE topic_organisation (
    topic         text NOT NULL REFERENCES topic (code) ON DELETE CASCADE ON UPDATE CASCADE,
    organisation  text NOT NULL REFERENCES organisation (code) ON DELETE CASCADE ON UPDATE CASCADE,
    priority      integer NOT NULL DEFAULT 100,
    transfer_mode transfer_mode,
    strategy      hunt_strategy,
    attempt_timeout_seconds integer
                  CONSTRAINT topic_organisation_attempt_timeout_in_range CHECK (attempt_timeout_seconds BETWEEN 5 AND 120),
    PRIMARY KEY (topic, organisation)
);

-- Each line's menu: which topic each DTMF digit selects, and its prompt.
CREATE TABLE menu_item (
    line    text NOT NULL REFERENCES line (number) ON DELETE CASCADE ON UPDATE CASCADE,
    digit   text NOT NULL CONSTRAINT menu_item_digit_is_dtmf CHECK (digit ~ '^[0-9*#]$'),
    -- Empty topic: the digit asks for a specialist directly.
    topic   text REFERENCES topic (code) ON UPDATE CASCADE,
    -- What the menu says for this item, for the operator screens and the lint.
    label_ru text NOT NULL CONSTRAINT menu_item_label_not_blank CHECK (btrim(label_ru) <> ''),
    CONSTRAINT menu_item_digit_once_per_line PRIMARY KEY (line, digit),
    CONSTRAINT menu_item_topic_once_per_line UNIQUE (line, topic)
);

-- People named as responsible for prompt assistance on a topic.
CREATE TABLE staff (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    full_name     text NOT NULL CONSTRAINT staff_full_name_not_blank CHECK (btrim(full_name) <> ''),
    position      text NOT NULL DEFAULT '',
    organisation  text NOT NULL REFERENCES organisation (code) ON UPDATE CASCADE,
    endpoint      text NOT NULL
                  CONSTRAINT staff_endpoint_is_single_safe_channel CHECK (is_safe_dial_target(endpoint)),
    -- Lower is called first within the organisation.
    priority      integer NOT NULL DEFAULT 100,
    active        boolean NOT NULL DEFAULT true
);

CREATE TABLE staff_topic (
    staff  bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    topic  text NOT NULL REFERENCES topic (code) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (staff, topic)
);

-- Leave, sick days, business trips: whole days in the organisation's time zone.
CREATE TABLE staff_absence (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    first_day date NOT NULL,
    last_day  date NOT NULL,
    reason    text NOT NULL DEFAULT '',
    CONSTRAINT staff_absence_first_before_last CHECK (first_day <= last_day),
    CONSTRAINT staff_absence_no_overlap EXCLUDE USING gist (
        staff WITH =, daterange(first_day, last_day, '[]') WITH &&)
);

-- Contact-center specialists (operators) and where to ring them.
CREATE TABLE specialist (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    full_name  text NOT NULL CONSTRAINT specialist_full_name_not_blank CHECK (btrim(full_name) <> ''),
    endpoint   text NOT NULL
               CONSTRAINT specialist_endpoint_is_single_safe_channel CHECK (is_safe_dial_target(endpoint))
               CONSTRAINT specialist_endpoint_unique UNIQUE,
    active     boolean NOT NULL DEFAULT true
);

-- Rules that span rows, checked by triggers so the error names the row.

CREATE FUNCTION organisation_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone) THEN
        RAISE EXCEPTION 'organisation %: unknown time zone "%"', NEW.code, NEW.time_zone
            USING ERRCODE = 'check_violation', CONSTRAINT = 'organisation_time_zone_known',
                  HINT = 'Use an IANA name such as Asia/Irkutsk.';
    END IF;
    IF NEW.parent IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM organisation WHERE code = NEW.parent AND kind <> 'institution') THEN
        RAISE EXCEPTION 'organisation %: parent "%" must be an agency or a municipal body, not an institution',
            NEW.code, NEW.parent
            USING ERRCODE = 'check_violation', CONSTRAINT = 'organisation_parent_is_agency';
    END IF;
    IF NEW.kind = 'institution' AND TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM organisation WHERE parent = NEW.code) THEN
        RAISE EXCEPTION 'organisation %: has subordinate institutions, so it cannot become an institution', NEW.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'organisation_parent_is_agency';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER organisation_check BEFORE INSERT OR UPDATE ON organisation
    FOR EACH ROW EXECUTE FUNCTION organisation_check();

CREATE FUNCTION topic_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agency IS NOT NULL AND EXISTS (
        SELECT 1 FROM organisation WHERE code = NEW.agency AND kind = 'institution') THEN
        RAISE EXCEPTION 'topic %: responsible agency "%" is an institution; name its agency instead',
            NEW.code, NEW.agency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'topic_agency_is_agency';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER topic_check BEFORE INSERT OR UPDATE ON topic
    FOR EACH ROW EXECUTE FUNCTION topic_check();

-- Announce every change so running services reload the snapshot at once.
CREATE FUNCTION directory_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('directory_changed', TG_TABLE_NAME);
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['line', 'organisation', 'working_hours', 'production_calendar',
                             'schedule_override', 'topic', 'topic_organisation', 'menu_item',
                             'staff', 'staff_topic', 'staff_absence', 'specialist']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION directory_notify()', t || '_notify', t);
    END LOOP;
END $$;
