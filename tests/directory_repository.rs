//! The Postgres directory: loading the demo, the schema's rules refusing bad rows, and
//! the messages that explain a refusal.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); each test gets a fresh database.

mod common;

use chrono::{NaiveDate, NaiveTime};
use hotline::directory::constraints::{explained_constraints, refusal_message};
use hotline::directory::demo::seed_demo;
use hotline::directory::{DirectoryError, EditRefusal, constraint_message, load_snapshot};
use hotline::routing::calendar::DayKind;
use hotline::routing::{
    HuntStrategy, Interval, LineNumber, OrganisationCode, OrganisationKind, ScheduleOverride,
    TopicCode, TransferMode,
};
use sqlx::PgPool;

use common::execute;

fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn interval(opens: &str, closes: &str) -> Interval {
    Interval {
        opens: time(opens),
        closes: Some(time(closes)),
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn loads_the_demo_directory(pool: PgPool) {
    let summary = seed_demo(&pool).await.unwrap();
    assert_eq!(
        (
            summary.lines,
            summary.organisations,
            summary.staff,
            summary.specialists
        ),
        (2, 5, 8, 3)
    );
    let snapshot = load_snapshot(&pool).await.unwrap();

    let line = &snapshot.lines[&LineNumber("122".into())];
    assert_eq!(line.name, "Единый контакт-центр 122");
    assert_eq!(line.menu_prompt, "hotline/menu-122");
    assert_eq!(line.menu[&'1'].topic, Some(TopicCode("health".into())));
    assert_eq!(
        line.menu[&'2'].topic,
        Some(TopicCode("displaced_support".into()))
    );
    assert_eq!(line.menu[&'0'].topic, None);
    let line = &snapshot.lines[&LineNumber("117".into())];
    let digits: Vec<char> = line.menu.keys().copied().collect();
    assert_eq!(digits, ['0', '1', '2', '3']);
    assert_eq!(
        line.menu[&'1'].topic,
        Some(TopicCode("contract_service".into()))
    );

    let minzdrav = &snapshot.organisations[&OrganisationCode("minzdrav".into())];
    assert_eq!(
        minzdrav.name,
        "Министерство здравоохранения Иркутской области"
    );
    assert_eq!(minzdrav.kind, OrganisationKind::RegionalAgency);
    assert_eq!(minzdrav.time_zone, chrono_tz::Asia::Irkutsk);
    assert_eq!(
        minzdrav.weekly_hours.days[0],
        [interval("09:00", "13:00"), interval("14:00", "18:00")]
    );
    assert_eq!(
        minzdrav.weekly_hours.days[4],
        [interval("09:00", "13:00"), interval("14:00", "17:00")]
    );
    assert!(minzdrav.weekly_hours.days[5].is_empty());

    let okb = &snapshot.organisations[&OrganisationCode("okb".into())];
    assert_eq!(okb.kind, OrganisationKind::Institution);
    assert_eq!(okb.parent, Some(OrganisationCode("minzdrav".into())));
    assert_eq!(okb.weekly_hours.days[5], [interval("08:00", "20:00")]);
    assert!(matches!(
        &okb.overrides[&date("2026-05-09")],
        ScheduleOverride::Hours { intervals, note } if *intervals == [interval("10:00", "16:00")] && note == "Дежурство в День Победы"
    ));
    let kcson = &snapshot.organisations[&OrganisationCode("kcson-irkutsk".into())];
    assert!(
        matches!(&kcson.overrides[&date("2026-05-29")], ScheduleOverride::Closed { note } if note == "Санитарный день")
    );

    // The calendar: the 2026 decree as data, the rest by rule.
    assert!(snapshot.calendar.is_confirmed(2026));
    let day = |text: &str| snapshot.calendar.day(date(text)).map(|entry| entry.kind);
    assert_eq!(day("2026-05-11"), Some(DayKind::DayOff));
    assert_eq!(day("2026-05-08"), Some(DayKind::Shortened));
    assert_eq!(day("2026-12-31"), Some(DayKind::DayOff));

    let health = &snapshot.topics[&TopicCode("health".into())];
    assert_eq!(health.agency, Some(OrganisationCode("minzdrav".into())));
    assert_eq!(health.defaults.transfer_mode, TransferMode::Automatic);
    assert_eq!(health.defaults.attempt_timeout_seconds, 20);
    let displaced = &snapshot.topics[&TopicCode("displaced_support".into())];
    let kcson_routing = displaced
        .organisations
        .iter()
        .find(|o| o.organisation.0 == "kcson-irkutsk")
        .unwrap();
    assert_eq!(kcson_routing.priority, 20);
    assert_eq!(kcson_routing.routing.strategy, HuntStrategy::RingAll);
    assert_eq!(kcson_routing.routing.attempt_timeout_seconds, 25);
    assert_eq!(
        kcson_routing.routing.transfer_mode,
        TransferMode::Automatic,
        "inherited"
    );
    assert_eq!(
        snapshot.topics[&TopicCode("contract_service".into())].agency,
        None
    );
    let municipal = &snapshot.topics[&TopicCode("municipal_services".into())];
    assert_eq!(municipal.defaults.transfer_mode, TransferMode::Manual);

    let ids: Vec<i64> = snapshot.staff.iter().map(|s| s.id.0).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
    let petrova = &snapshot.staff[0];
    assert_eq!(petrova.full_name, "Петрова Елена Викторовна");
    assert_eq!(petrova.endpoint.as_str(), "PJSIP/staff01");
    assert_eq!(petrova.topics, [TopicCode("health".into())]);
    assert_eq!(petrova.absences.len(), 1);
    assert_eq!(
        (petrova.absences[0].first_day, petrova.absences[0].last_day),
        (date("2026-05-04"), date("2026-05-15"))
    );
    assert!(!snapshot.staff[4].active, "Лебедев is inactive");
    let endpoints: Vec<&str> = snapshot
        .specialists
        .iter()
        .map(|s| s.endpoint.as_str())
        .collect();
    assert_eq!(endpoints, ["PJSIP/spec01", "PJSIP/spec02", "PJSIP/spec03"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn seeding_twice_gives_the_same_directory(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    let first = load_snapshot(&pool).await.unwrap();
    seed_demo(&pool).await.unwrap();
    let second = load_snapshot(&pool).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(second.staff[0].id.0, 1, "ids restart");
}

#[sqlx::test(migrations = "./migrations")]
async fn end_of_day_reads_as_open_until_midnight(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    execute(
        &pool,
        "INSERT INTO working_hours VALUES ('adm-irkutsk', 6, '20:00', '24:00')",
    )
    .await;
    let snapshot = load_snapshot(&pool).await.unwrap();
    let adm = &snapshot.organisations[&OrganisationCode("adm-irkutsk".into())];
    assert_eq!(
        adm.weekly_hours.days[5],
        [Interval {
            opens: time("20:00"),
            closes: None
        }]
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_rows_that_slipped_past_the_database_are_all_named(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    // Postgres knows `posix/…` zones that chrono-tz does not; dropped constraints let
    // unsafe dial targets in. The loader must refuse them all, naming each row.
    execute(
        &pool,
        "UPDATE organisation SET time_zone = 'posix/Asia/Irkutsk' WHERE code = 'kcson-irkutsk'",
    )
    .await;
    execute(
        &pool,
        "ALTER TABLE staff DROP CONSTRAINT staff_endpoint_is_single_safe_channel",
    )
    .await;
    execute(
        &pool,
        "ALTER TABLE specialist DROP CONSTRAINT specialist_endpoint_is_single_safe_channel",
    )
    .await;
    execute(
        &pool,
        "UPDATE staff SET endpoint = 'PJSIP/staff02&PJSIP/evil' WHERE id = 2",
    )
    .await;
    execute(
        &pool,
        "UPDATE specialist SET endpoint = 'PJSIP/${EVIL}' WHERE id = 3",
    )
    .await;

    let error = load_snapshot(&pool).await.unwrap_err();
    let DirectoryError::BadRows(bad) = &error else {
        panic!("expected bad rows, got {error}")
    };
    let text = error.to_string();
    assert_eq!(bad.0.len(), 3, "{text}");
    assert!(
        text.contains("organisation kcson-irkutsk: time zone \"posix/Asia/Irkutsk\""),
        "{text}"
    );
    assert!(
        text.contains("staff id 2: dial target \"PJSIP/staff02&PJSIP/evil\""),
        "{text}"
    );
    assert!(
        text.contains("specialist id 3: dial target \"PJSIP/${EVIL}\""),
        "{text}"
    );
}

/// One edit the schema must refuse, and the rule it must name.
struct Refused {
    sql: &'static str,
    constraint: &'static str,
}

const REFUSED: &[Refused] = &[
    // Dial target injection: each would add a destination or run a dialplan function.
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a&PJSIP/b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a,b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/${X}')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a;x')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', E'PJSIP/a\\x07b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', E'PJSIP/a\\n')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a(b)')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a)')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a^b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'PJSIP/a|b')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "UPDATE specialist SET endpoint = E'PJSIP/spec01\\nPJSIP/x' WHERE id = 1",
        constraint: "specialist_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Тест', 'minzdrav', 'SIP/a')",
        constraint: "staff_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "UPDATE specialist SET endpoint = 'PJSIP/spec01&PJSIP/x' WHERE id = 1",
        constraint: "specialist_endpoint_is_single_safe_channel",
    },
    Refused {
        sql: "UPDATE specialist SET endpoint = 'PJSIP/spec02' WHERE id = 1",
        constraint: "specialist_endpoint_unique",
    },
    // Hours.
    Refused {
        sql: "INSERT INTO working_hours VALUES ('minzdrav', 1, '12:00', '15:00')",
        constraint: "working_hours_no_overlap",
    },
    Refused {
        sql: "INSERT INTO working_hours VALUES ('minzdrav', 7, '18:00', '09:00')",
        constraint: "working_hours_opens_before_closes",
    },
    Refused {
        sql: "INSERT INTO working_hours VALUES ('minzdrav', 8, '09:00', '10:00')",
        constraint: "working_hours_weekday_iso",
    },
    Refused {
        sql: "INSERT INTO schedule_override (organisation, day, closed) VALUES ('okb', '2026-05-09', true)",
        constraint: "schedule_override_no_overlap",
    },
    Refused {
        sql: "INSERT INTO schedule_override (organisation, day, closed, opens, closes) VALUES ('okb', '2026-06-01', true, '09:00', '10:00')",
        constraint: "schedule_override_closed_xor_hours",
    },
    Refused {
        sql: "INSERT INTO schedule_override (organisation, day, opens, closes) VALUES ('okb', '2026-06-01', '15:00', '10:00')",
        constraint: "schedule_override_opens_before_closes",
    },
    // Menus.
    Refused {
        sql: "INSERT INTO menu_item VALUES ('122', '1', 'contract_service', 'Контракт')",
        constraint: "menu_item_digit_once_per_line",
    },
    Refused {
        sql: "INSERT INTO menu_item VALUES ('122', '5', 'health', 'Здоровье ещё раз')",
        constraint: "menu_item_topic_once_per_line",
    },
    Refused {
        sql: "INSERT INTO menu_item VALUES ('122', 'A', 'contract_service', 'Контракт')",
        constraint: "menu_item_digit_is_dtmf",
    },
    Refused {
        sql: "INSERT INTO menu_item VALUES ('122', '7', 'no_such_topic', 'Нет')",
        constraint: "menu_item_topic_fkey",
    },
    // Organisations and topics.
    Refused {
        sql: "INSERT INTO organisation (code, name, kind) VALUES ('gp1', 'Поликлиника', 'institution')",
        constraint: "organisation_institution_has_parent",
    },
    Refused {
        sql: "INSERT INTO organisation (code, name, kind, parent) VALUES ('gp1', 'Поликлиника', 'institution', 'okb')",
        constraint: "organisation_parent_is_agency",
    },
    Refused {
        sql: "INSERT INTO organisation (code, name, kind, time_zone) VALUES ('mintrans', 'Минтранс', 'regional_agency', 'Asia/Irkutskk')",
        constraint: "organisation_time_zone_known",
    },
    Refused {
        sql: "INSERT INTO organisation (code, name, kind) VALUES ('Minzdrav 2', 'X', 'regional_agency')",
        constraint: "organisation_code_is_lowercase_word",
    },
    Refused {
        sql: "UPDATE topic SET agency = 'okb' WHERE code = 'health'",
        constraint: "topic_agency_is_agency",
    },
    Refused {
        sql: "DELETE FROM organisation WHERE code = 'kcson-irkutsk'",
        constraint: "staff_organisation_fkey",
    },
    // Staff absences.
    Refused {
        sql: "INSERT INTO staff_absence (staff, first_day, last_day) VALUES (1, '2026-05-10', '2026-05-20')",
        constraint: "staff_absence_no_overlap",
    },
    Refused {
        sql: "INSERT INTO staff_absence (staff, first_day, last_day) VALUES (2, '2026-05-20', '2026-05-10')",
        constraint: "staff_absence_first_before_last",
    },
];

#[sqlx::test(migrations = "./migrations")]
async fn every_rule_refuses_its_malformed_row(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    let before = load_snapshot(&pool).await.unwrap();
    for case in REFUSED {
        let error = sqlx::query(case.sql)
            .execute(&pool)
            .await
            .expect_err(case.sql);
        let refusal =
            EditRefusal::from_error(&error).unwrap_or_else(|| panic!("{}: {error}", case.sql));
        assert_eq!(
            refusal.constraint.as_deref(),
            Some(case.constraint),
            "{}: {error}",
            case.sql
        );
        assert!(
            refusal.explanation.is_some(),
            "{} has no explanation",
            case.constraint
        );
    }
    assert_eq!(
        load_snapshot(&pool).await.unwrap(),
        before,
        "nothing of it got in"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn refusal_names_the_row_and_the_rule(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    let error = sqlx::query("INSERT INTO staff (full_name, organisation, endpoint) VALUES ('Иванов Иван Иванович', 'minzdrav', 'PJSIP/a&PJSIP/b')")
        .execute(&pool)
        .await
        .unwrap_err();
    let message = refusal_message(&error);
    assert!(message.starts_with("refused row in staff: ("), "{message}");
    assert!(
        message.contains("Иванов Иван Иванович, , minzdrav, PJSIP/a&PJSIP/b"),
        "{message}"
    );
    assert!(message.contains("rule staff_endpoint_is_single_safe_channel: a dial target must be one channel like PJSIP/name"), "{message}");
    assert!(message.contains("PJSIP/имя"), "{message}");

    let error = sqlx::query("INSERT INTO working_hours VALUES ('minzdrav', 1, '12:00', '15:00')")
        .execute(&pool)
        .await
        .unwrap_err();
    let message = refusal_message(&error);
    assert!(message.contains("refused row in working_hours: (organisation, weekday, time_of_day_range(opens, closes))=(minzdrav, 1, [12:00:00,15:00:00)) conflicts with existing key"), "{message}");
    assert!(message.contains("rule working_hours_no_overlap: intervals of one organisation on one weekday must not overlap"), "{message}");

    // Trigger rules have no DETAIL; their message names the row.
    let error = sqlx::query("INSERT INTO organisation (code, name, kind, time_zone) VALUES ('mintrans', 'Минтранс', 'regional_agency', 'Irkutsk')")
        .execute(&pool)
        .await
        .unwrap_err();
    let message = refusal_message(&error);
    assert!(
        message.contains("organisation mintrans: unknown time zone \"Irkutsk\""),
        "{message}"
    );
    assert!(
        message.contains("rule organisation_time_zone_known: the time zone must be an IANA name"),
        "{message}"
    );
    assert!(
        message.contains("hint: Use an IANA name such as Asia/Irkutsk."),
        "{message}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn every_constraint_of_the_schema_is_explained(pool: PgPool) {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
         AND conrelid::regclass::text <> '_sqlx_migrations' \
         UNION SELECT (regexp_matches(prosrc, 'CONSTRAINT = ''([a-z_]+)''', 'g'))[1] \
         FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    names.sort();
    assert!(names.len() > 50, "{names:?}");
    let unexplained: Vec<&String> = names
        .iter()
        .filter(|name| constraint_message(name).is_none())
        .collect();
    assert!(
        unexplained.is_empty(),
        "add these to CONSTRAINTS: {unexplained:?}"
    );
    let stale: Vec<&str> = explained_constraints()
        .filter(|name| !names.iter().any(|n| n == name))
        .collect();
    assert!(
        stale.is_empty(),
        "explained but not in the schema: {stale:?}"
    );
}
