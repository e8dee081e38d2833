-- Who changed which directory row, when, and from what to what.
--
-- Rosters are edited in the database (psql, an admin tool) or through the console,
-- and take effect at once; the regulation holds named people responsible, so every
-- change to the directory and to console accounts is kept: a row trigger writes one
-- `roster_audit` row per inserted, updated or deleted row, with the database user
-- and, when the change came from the console, the console user (the console sets
-- `hotline.console_user` for its transaction). An update keeps only the columns that
-- changed; one that changed nothing is not recorded. Password hashes are never
-- copied: a changed hash shows as "(changed)".

CREATE TABLE roster_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    table_name   text NOT NULL,
    action       text NOT NULL CONSTRAINT roster_audit_action_known
                 CHECK (action IN ('insert', 'update', 'delete')),
    -- The row's primary key as `column=value` pairs: `id=12`, `staff=3,topic=health`.
    row_key      text NOT NULL,
    db_user      text NOT NULL DEFAULT session_user,
    console_user text,
    -- The changed columns' values before (update, delete) and after (insert, update).
    old_values   jsonb,
    new_values   jsonb
);

CREATE INDEX roster_audit_changed_at ON roster_audit (changed_at DESC);
CREATE INDEX roster_audit_table_row ON roster_audit (table_name, row_key);

CREATE FUNCTION roster_audit_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    any_row jsonb := coalesce(new_row, old_row);
    key     text;
    changed text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key) INTO changed
          FROM jsonb_each(new_row) n
         WHERE n.value IS DISTINCT FROM old_row->n.key;
        IF changed IS NULL THEN
            RETURN NULL;  -- an update that changed nothing
        END IF;
        old_row := (SELECT jsonb_object_agg(k, old_row->k) FROM unnest(changed) k);
        new_row := (SELECT jsonb_object_agg(k, new_row->k) FROM unnest(changed) k);
    END IF;
    -- Never a password hash, not even an old one: a changed one shows as "(changed)".
    IF old_row ? 'password_hash' AND new_row ? 'password_hash' THEN
        old_row := old_row || '{"password_hash": "(changed)"}';
        new_row := new_row || '{"password_hash": "(changed)"}';
    ELSE
        old_row := old_row - 'password_hash';
        new_row := new_row - 'password_hash';
    END IF;
    -- The primary key's columns and values: `id=12`, `staff=3,topic=health`.
    SELECT string_agg(a.attname || '=' || coalesce(any_row->>a.attname, ''), ','
                      ORDER BY array_position(i.indkey::int2[], a.attnum))
      INTO key
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = TG_RELID AND i.indisprimary;
    INSERT INTO roster_audit (table_name, action, row_key, console_user, old_values, new_values)
    VALUES (TG_TABLE_NAME, lower(TG_OP), coalesce(key, '?'),
            nullif(current_setting('hotline.console_user', true), ''), old_row, new_row);
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['line', 'organisation', 'working_hours', 'production_calendar',
                             'schedule_override', 'topic', 'topic_organisation', 'menu_item',
                             'staff', 'staff_topic', 'staff_absence', 'specialist',
                             'calendar_decree', 'calendar_transfer', 'regional_day_off',
                             'console_user']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION roster_audit_record()', t || '_audit', t);
    END LOOP;
END $$;
