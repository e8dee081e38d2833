-- The production calendar for any year: the statutory rule lives in the code
-- (src/routing/calendar.rs); the database holds what the rule cannot know.
--
-- - calendar_decree: the years whose government decree on transferring days off is
--   loaded, each with its source. A year without a row is *unconfirmed*: it runs on
--   the rule alone and the service warns about it from 1 October of the year before.
-- - calendar_transfer: the decree's transfers, as it words them: the day off of a
--   Saturday or Sunday moves to a weekday.
-- - regional_day_off: extra days off the region declares by its own act; they close
--   every organisation that follows the production calendar.
-- - production_calendar (unchanged): dated days typed in as they are; they override
--   the decree and the rule on their dates.

CREATE TABLE calendar_decree (
    year        integer PRIMARY KEY
                CONSTRAINT calendar_decree_year_in_range CHECK (year BETWEEN 1992 AND 2200),
    -- The decree's number and date as the calendar file names it.
    source      text NOT NULL
                CONSTRAINT calendar_decree_source_not_blank CHECK (btrim(source) <> ''),
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_transfer (
    -- The weekend day whose day off moves.
    from_day date PRIMARY KEY,
    -- The weekday that becomes a day off instead.
    to_day   date NOT NULL CONSTRAINT calendar_transfer_to_day_once UNIQUE,
    year     integer NOT NULL REFERENCES calendar_decree (year) ON DELETE CASCADE,
    -- As the decree words it, shown in reasons on both days.
    note     text NOT NULL DEFAULT '',
    CONSTRAINT calendar_transfer_within_its_year
        CHECK (extract(year FROM from_day) = year AND extract(year FROM to_day) = year),
    CONSTRAINT calendar_transfer_from_a_weekend CHECK (extract(isodow FROM from_day) IN (6, 7)),
    CONSTRAINT calendar_transfer_to_a_weekday CHECK (extract(isodow FROM to_day) BETWEEN 1 AND 5)
);
CREATE INDEX calendar_transfer_year ON calendar_transfer (year);

CREATE TABLE regional_day_off (
    day  date PRIMARY KEY,
    note text NOT NULL CONSTRAINT regional_day_off_note_not_blank CHECK (btrim(note) <> ''),
    -- The regional law or decree that declares it, number and date.
    act  text NOT NULL CONSTRAINT regional_day_off_act_not_blank CHECK (btrim(act) <> '')
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['calendar_decree', 'calendar_transfer', 'regional_day_off']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION directory_notify()', t || '_notify', t);
    END LOOP;
END $$;

-- 2026: the decree of 24.09.2025 No. 1466, as data. Its days were listed whole by
-- 20261128000002; the rule and these two transfers give the same calendar, so those
-- rows go, but only if nobody changed them since (their checksum is the migration's):
-- edited rows stay, and keep overriding the rule on their dates.
INSERT INTO calendar_decree (year, source) VALUES
    (2026, 'Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году»');
INSERT INTO calendar_transfer (from_day, to_day, year, note) VALUES
    ('2026-01-03', '2026-01-09', 2026, 'Перенос выходного дня с субботы 3 января на пятницу 9 января'),
    ('2026-01-04', '2026-12-31', 2026, 'Перенос выходного дня с воскресенья 4 января на четверг 31 декабря');
DELETE FROM production_calendar
WHERE day >= '2026-01-01' AND day < '2027-01-01'
  AND (SELECT md5(string_agg(day::text || ' ' || kind::text || ' ' || note, E'\n' ORDER BY day))
       FROM production_calendar WHERE day >= '2026-01-01' AND day < '2027-01-01')
      = 'a26d806a65fa7eb1cbd3d97262f6519c';

-- Years an administrator imported before decrees were recorded were imported from
-- their decree: they stay confirmed.
INSERT INTO calendar_decree (year, source)
SELECT DISTINCT extract(year FROM day)::integer, 'imported before calendar sources were recorded'
FROM production_calendar
ON CONFLICT (year) DO NOTHING;
