//! The reports' SQL. Grouping picks one of a fixed set of expressions
//! ([`group_key`]), never text from a request: hence `AssertSqlSafe`.

use sqlx::AssertSqlSafe;

use super::GroupBy;

/// The expression a report groups by, over the columns `line`, `topic`,
/// `organisation` and `agency`.
fn group_key(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Total => "''",
        GroupBy::Line => "line",
        GroupBy::Topic => "coalesce(topic, '')",
        GroupBy::Agency => "coalesce(agency, '')",
        GroupBy::Organisation => "coalesce(organisation, '')",
    }
}

/// `$1`/`$2` the instants, `$3` the period unit, `$4` the service-level seconds,
/// `$5` the organisations (or null).
pub(super) fn call_report(by: GroupBy) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!(
        "WITH staff_dialled AS (
    -- Attempts start after their call entered: those of the range's calls start in
    -- it or within a day after (one set joined by hash, not a probe per call).
    SELECT DISTINCT call_key FROM dial_attempt
     WHERE callee_kind = 'staff' AND started_at >= $1 AND started_at < $2 + interval '1 day'
), transferred AS (
    SELECT DISTINCT call_key FROM call_transfer
     WHERE result = 'answered' AND started_at >= $1 AND started_at < $2 + interval '1 day'
), calls AS (
    SELECT c.line, c.topic, c.entered_at, c.answered_at, c.ended_at,
           c.outcome::text AS outcome, c.decision_mode, c.queued_at,
           org.code AS organisation,
           CASE WHEN org.kind = 'institution' THEN org.parent ELSE org.code END AS agency,
           tr.call_key IS NOT NULL AS transferred,
           sd.call_key IS NOT NULL AS staff_dialled
      FROM call_record c
      LEFT JOIN staff s ON s.id = c.answered_staff
      LEFT JOIN topic tp ON tp.code = c.topic
      LEFT JOIN organisation org ON org.code = coalesce(s.organisation, tp.agency)
      LEFT JOIN transferred tr ON tr.call_key = c.call_key
      LEFT JOIN staff_dialled sd ON sd.call_key = c.call_key
     WHERE c.entered_at >= $1 AND c.entered_at < $2
)
SELECT date_trunc($3, entered_at, 'Asia/Irkutsk') AT TIME ZONE 'Asia/Irkutsk' AS period_start,
       {key} AS key,
       count(*) AS offered,
       count(*) FILTER (WHERE outcome = 'answered_by_staff' AND NOT transferred)
           AS answered_by_staff_automatically,
       count(*) FILTER (WHERE transferred) AS transferred_manually,
       count(*) FILTER (WHERE outcome = 'answered_by_specialist' AND NOT transferred)
           AS answered_by_specialists,
       count(*) FILTER (WHERE outcome = 'abandoned' AND NOT staff_dialled AND queued_at IS NULL)
           AS abandoned_in_menu,
       count(*) FILTER (WHERE outcome = 'abandoned' AND NOT staff_dialled AND queued_at IS NOT NULL)
           AS abandoned_in_queue,
       count(*) FILTER (WHERE outcome = 'abandoned' AND staff_dialled) AS abandoned_while_staff_rang,
       count(*) FILTER (WHERE NOT transferred AND (outcome IS NULL OR outcome NOT IN
           ('answered_by_staff', 'answered_by_specialist', 'abandoned'))) AS other_outcomes,
       count(*) FILTER (WHERE answered_at IS NOT NULL
                          AND answered_at <= entered_at + make_interval(secs => $4))
           AS answered_within_threshold,
       avg(extract(epoch FROM answered_at - entered_at)::float8)
           FILTER (WHERE answered_at IS NOT NULL) AS average_speed_of_answer_seconds,
       avg(extract(epoch FROM ended_at - answered_at)::float8)
           FILTER (WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL)
           AS average_handle_time_seconds,
       count(*) FILTER (WHERE decision_mode = 'after_hours') AS after_hours,
       count(*) FILTER (WHERE outcome IS NULL AND answered_at IS NULL) AS waiting_now
  FROM calls
 WHERE $5::text[] IS NULL OR organisation = ANY ($5)
 GROUP BY 1, 2",
        key = group_key(by)
    ))
}

/// Appeals opened and closed per period: `$1`/`$2` the instants, `$3` the unit,
/// `$4` the organisations (or null).
pub(super) fn appeal_report(by: GroupBy) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!(
        "WITH a AS (
    SELECT ap.line, ap.topic, ap.created_at, ap.done_at, ap.callback_requested,
           org.code AS organisation,
           CASE WHEN org.kind = 'institution' THEN org.parent ELSE org.code END AS agency
      FROM appeal ap LEFT JOIN organisation org ON org.code = ap.organisation
     WHERE ($4::text[] IS NULL OR ap.organisation = ANY ($4))
       AND (ap.created_at >= $1 AND ap.created_at < $2 OR ap.done_at >= $1 AND ap.done_at < $2)
), facts AS (
    SELECT created_at AS at, {key} AS key, 1 AS opened, 0 AS closed,
           callback_requested::int AS callbacks_opened, 0 AS callbacks_closed, NULL::float8 AS age
      FROM a WHERE created_at >= $1 AND created_at < $2
    UNION ALL
    SELECT done_at, {key}, 0, 1, 0, callback_requested::int,
           extract(epoch FROM done_at - created_at)::float8 / 3600
      FROM a WHERE done_at >= $1 AND done_at < $2
)
SELECT date_trunc($3, at, 'Asia/Irkutsk') AT TIME ZONE 'Asia/Irkutsk' AS period_start,
       key,
       sum(opened)::bigint AS opened,
       sum(closed)::bigint AS closed,
       sum(callbacks_opened)::bigint AS callbacks_opened,
       sum(callbacks_closed)::bigint AS callbacks_closed,
       avg(age) AS average_age_hours_at_close
  FROM facts
 GROUP BY 1, 2",
        key = group_key(by)
    ))
}

/// Appeals not done at the end of each period (or now, for the period under way),
/// and their average age then: `$1`/`$2` the instants, `$3` the unit, `$4` the
/// organisations (or null).
pub(super) fn appeal_backlog(by: GroupBy) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!(
        "WITH periods AS (
    SELECT p AS period_start,
           least((p + ('1 ' || $3)::interval) AT TIME ZONE 'Asia/Irkutsk', now()) AS at
      FROM generate_series(date_trunc($3, $1 AT TIME ZONE 'Asia/Irkutsk'),
                           ($2 AT TIME ZONE 'Asia/Irkutsk') - interval '1 second',
                           ('1 ' || $3)::interval) AS p
), a AS (
    SELECT ap.line, ap.topic, ap.created_at, ap.done_at,
           org.code AS organisation,
           CASE WHEN org.kind = 'institution' THEN org.parent ELSE org.code END AS agency
      FROM appeal ap LEFT JOIN organisation org ON org.code = ap.organisation
     WHERE ($4::text[] IS NULL OR ap.organisation = ANY ($4)) AND ap.created_at < $2
       AND (ap.done_at IS NULL OR ap.done_at >= $1)
)
SELECT periods.period_start, {key} AS key,
       count(*) AS open_at_end,
       avg(extract(epoch FROM periods.at - a.created_at)::float8 / 3600) AS open_average_age_hours
  FROM periods
  JOIN a ON a.created_at < periods.at AND (a.done_at IS NULL OR a.done_at >= periods.at)
 GROUP BY 1, 2",
        key = group_key(by)
    ))
}

/// Abandoned calls: `$1`/`$2` the instants, `$3` the organisations (or null), `$4`
/// the limit.
pub(super) const ABANDONED: &str = "SELECT c.call_key, c.entered_at, c.line, c.topic, tp.agency AS organisation,
       CASE WHEN EXISTS (SELECT 1 FROM dial_attempt a
                          WHERE a.call_key = c.call_key AND a.callee_kind = 'staff') THEN 'staff_ringing'
            WHEN c.queued_at IS NOT NULL THEN 'queue'
            ELSE 'menu' END AS abandoned_in,
       coalesce(extract(epoch FROM c.ended_at - c.entered_at)::float8, 0) AS waited_seconds,
       c.caller_number
  FROM call_record c
  LEFT JOIN topic tp ON tp.code = c.topic
 WHERE c.outcome = 'abandoned' AND c.entered_at >= $1 AND c.entered_at < $2
   AND ($3::text[] IS NULL OR tp.agency = ANY ($3))
 ORDER BY c.entered_at DESC
 LIMIT $4";
