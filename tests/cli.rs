//! The real `hotline` binary against a real Postgres: migrate, seed the demo, route
//! calls at chosen instants, check the directory, import calendars.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`): each test creates a database of
//! its own on that server and drops it afterwards.

mod common;

use std::process::{Command, Output};

use serde_json::Value;

use common::ScratchDatabase;

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect_code(self, code: i32, what: &str) -> Self {
        assert_eq!(
            self.code, code,
            "{what}: exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `hotline ARGS` with `DATABASE_URL` set to the scratch database.
fn hotline(db: &ScratchDatabase, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the hotline binary runs");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// A migrated database with the demo directory.
fn demo_database(purpose: &str) -> ScratchDatabase {
    let db = ScratchDatabase::create(purpose);
    hotline(&db, &["migrate"]).expect_code(0, "migrate");
    hotline(&db, &["seed-demo"]).expect_code(0, "seed-demo");
    db
}

/// `hotline route … --json`, checked to print exactly one JSON object.
fn route_json(db: &ScratchDatabase, line: &str, digit: &str, at: &str) -> Value {
    let run = hotline(
        db,
        &[
            "route", "--line", line, "--digit", digit, "--at", at, "--json",
        ],
    )
    .expect_code(0, "route");
    let decision: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("stdout is not one JSON value ({error}):\n{}", run.stdout));
    assert!(decision.is_object(), "{decision}");
    decision
}

/// One routing question and its expected answer.
struct Case {
    what: &'static str,
    line: &'static str,
    digit: &'static str,
    at: &'static str,
    mode: &'static str,
    topic: Option<&'static str>,
    /// Candidates' dial targets in ringing order.
    candidates: &'static [&'static str],
    /// Words the English reason must contain (which rule fired).
    reason_en: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        what: "health in working hours: the ministry (Petrova on leave, so Sidorov), then the hospital",
        line: "122",
        digit: "1",
        at: "2026-05-06T10:00:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff02", "PJSIP/staff03"],
        reason_en: &["is open"],
    },
    Case {
        what: "health at the ministry's lunch: only the hospital, which has no break",
        line: "122",
        digit: "1",
        at: "2026-05-06T13:30:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff03"],
        reason_en: &["08:00–20:00"],
    },
    Case {
        what: "health on a holiday (11 May 2026, day off moved from 9 May)",
        line: "122",
        digit: "1",
        at: "2026-05-11T10:00:00+08:00",
        mode: "after_hours",
        topic: Some("health"),
        candidates: &[],
        reason_en: &[
            "day off («Перенос выходного дня с 9 мая»)",
            "Specialists take the call",
        ],
    },
    Case {
        what: "health on the shortened 8 May at 17:30: the ministry closed, the hospital open until 19:00",
        line: "122",
        digit: "1",
        at: "2026-05-08T17:30:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff03"],
        reason_en: &["08:00–19:00"],
    },
    Case {
        what: "health on the shortened 8 May at 16:30: the ministry (Friday until 17:00) already closed at 16:00",
        line: "122",
        digit: "1",
        at: "2026-05-08T16:30:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff03"],
        reason_en: &[],
    },
    Case {
        what: "health on the shortened 8 May at 19:30: the hospital (normally until 20:00) closed at 19:00",
        line: "122",
        digit: "1",
        at: "2026-05-08T19:30:00+08:00",
        mode: "after_hours",
        topic: Some("health"),
        candidates: &[],
        reason_en: &["closed since 19:00", "shortened"],
    },
    Case {
        what: "health on the holiday 9 May with the hospital's duty hours",
        line: "122",
        digit: "1",
        at: "2026-05-09T11:00:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff03"],
        reason_en: &["Дежурство в День Победы"],
    },
    Case {
        what: "health after hours on a working day",
        line: "122",
        digit: "1",
        at: "2026-05-06T21:00:00+08:00",
        mode: "after_hours",
        topic: Some("health"),
        candidates: &[],
        reason_en: &["after hours", "closed since 20:00"],
    },
    Case {
        what: "displaced support: the ministry (its inactive consultant skipped), then the social centre",
        line: "122",
        digit: "2",
        at: "2026-05-06T10:00:00+08:00",
        mode: "automatic",
        topic: Some("displaced_support"),
        candidates: &["PJSIP/staff04", "PJSIP/staff06", "PJSIP/staff07"],
        reason_en: &[],
    },
    Case {
        what: "a digit not on the menu",
        line: "122",
        digit: "7",
        at: "2026-05-06T10:00:00+08:00",
        mode: "invalid_digit",
        topic: None,
        candidates: &[],
        reason_en: &["'7'"],
    },
    Case {
        what: "0 asks for a specialist",
        line: "122",
        digit: "0",
        at: "2026-05-06T10:00:00+08:00",
        mode: "specialist_requested",
        topic: None,
        candidates: &[],
        reason_en: &[],
    },
    Case {
        what: "117, 1: contract service is the specialists' own topic",
        line: "117",
        digit: "1",
        at: "2026-05-06T10:00:00+08:00",
        mode: "specialist_topic",
        topic: Some("contract_service"),
        candidates: &[],
        reason_en: &["no responsible agency"],
    },
    Case {
        what: "117, 2: health from the other line's menu",
        line: "117",
        digit: "2",
        at: "2026-05-06T10:00:00+08:00",
        mode: "automatic",
        topic: Some("health"),
        candidates: &["PJSIP/staff02", "PJSIP/staff03"],
        reason_en: &[],
    },
];

/// The endpoints of the candidates, in order.
fn candidate_endpoints(decision: &Value) -> Vec<&str> {
    decision["candidates"]
        .as_array()
        .expect("candidates is an array")
        .iter()
        .map(|candidate| candidate["endpoint"].as_str().unwrap())
        .collect()
}

#[test]
fn migrate_seed_and_route_the_demo() {
    let db = ScratchDatabase::create("route");
    let run = hotline(&db, &["migrate"]).expect_code(0, "migrate");
    assert!(
        run.stdout.starts_with("database migrated"),
        "{}",
        run.stdout
    );
    hotline(&db, &["migrate"]).expect_code(0, "migrate is idempotent");
    let run = hotline(&db, &["seed-demo"]).expect_code(0, "seed-demo");
    assert_eq!(
        run.stdout.trim(),
        "demo directory: 2 lines, 5 organisations, 4 topics, 8 staff, 3 specialists"
    );
    hotline(&db, &["seed-demo"]).expect_code(0, "seed-demo is idempotent");

    for case in CASES {
        let decision = route_json(&db, case.line, case.digit, case.at);
        let what = format!("{}: {decision:#}", case.what);
        assert_eq!(decision["mode"], case.mode, "{what}");
        assert_eq!(decision["topic"]["code"].as_str(), case.topic, "{what}");
        assert_eq!(candidate_endpoints(&decision), case.candidates, "{what}");
        let fallback: Vec<&str> = decision["fallback"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(
            fallback,
            ["PJSIP/spec01", "PJSIP/spec02", "PJSIP/spec03"],
            "{what}"
        );
        let (ru, en) = (
            decision["reason"]["ru"].as_str().unwrap(),
            decision["reason"]["en"].as_str().unwrap(),
        );
        assert!(!ru.is_empty() && !en.is_empty(), "{what}");
        for words in case.reason_en {
            assert!(en.contains(words), "{what}: reason lacks {words:?}");
        }
    }
    let decision = route_json(&db, "122", "1", "2026-05-06T10:00:00+08:00");
    let first = &decision["candidates"][0];
    assert_eq!(first["name"], "Сидоров Андрей Николаевич");
    assert_eq!(first["organisation"], "minzdrav");
}

#[test]
fn route_prints_text_by_default_and_accepts_a_topic() {
    let db = demo_database("text");
    let run = hotline(
        &db,
        &[
            "route",
            "--line",
            "122",
            "--topic",
            "municipal_services",
            "--at",
            "2026-05-06T10:00:00+08:00",
        ],
    )
    .expect_code(0, "route --topic");
    assert!(run.stdout.starts_with("manual"), "{}", run.stdout);
    assert!(run.stdout.contains("PJSIP/staff08"), "{}", run.stdout);
    assert!(
        serde_json::from_str::<Value>(&run.stdout).is_err(),
        "text, not JSON"
    );

    let run = hotline(&db, &["route", "--line", "122", "--at", "tomorrow"]);
    assert_eq!(run.code, 2, "a bad instant is a usage error");
    assert!(
        run.stderr.contains("2026-05-08T17:30:00+08:00"),
        "{}",
        run.stderr
    );
}

#[test]
fn directory_check_passes_on_the_demo() {
    let db = demo_database("check_ok");
    let run = hotline(
        &db,
        &["directory", "check", "--from", "2026-05-04", "--days", "14"],
    )
    .expect_code(0, "check");
    assert_eq!(
        run.stdout.trim(),
        "directory OK: no gaps in 14 days from 2026-05-04"
    );
}

#[test]
fn directory_check_reports_gaps() {
    let db = demo_database("check_gaps");
    // The ministry's only active consultant on displaced support leaves the roster.
    db.with_pool(async |pool| {
        sqlx::query("UPDATE staff SET active = false WHERE endpoint = 'PJSIP/staff04'")
            .execute(pool)
            .await
            .unwrap();
    });
    let run = hotline(
        &db,
        &["directory", "check", "--from", "2026-05-04", "--days", "7"],
    )
    .expect_code(1, "check");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"10 gap(s) in 7 days from 2026-05-04"),
        "{}",
        run.stdout
    );
    assert!(
        lines[0].starts_with("displaced_support: Министерство социального развития"),
        "{}",
        run.stdout
    );
    assert!(
        lines[0].contains("2026-05-04 09:00–13:00 nobody reachable"),
        "{}",
        run.stdout
    );
}

#[test]
fn directory_check_names_every_bad_row() {
    let db = demo_database("check_bad");
    db.with_pool(async |pool| {
        for sql in [
            "UPDATE organisation SET time_zone = 'posix/Asia/Irkutsk' WHERE code = 'okb'",
            "ALTER TABLE staff DROP CONSTRAINT staff_endpoint_is_single_safe_channel",
            "UPDATE staff SET endpoint = 'PJSIP/staff03,PJSIP/evil' WHERE id = 3",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
    });
    let run = hotline(&db, &["directory", "check"]).expect_code(1, "check");
    assert_eq!(
        run.stdout.trim(),
        "2 bad row(s) in the directory:\n  \
         organisation okb: time zone \"posix/Asia/Irkutsk\" is not an IANA zone this service knows (use e.g. Asia/Irkutsk)\n  \
         staff id 3: dial target \"PJSIP/staff03,PJSIP/evil\" is not a single safe channel (expected e.g. PJSIP/name, PJSIP/name@host or Local/ext@context)"
    );
    // Routing refuses to answer from a broken directory, and says why.
    let run = hotline(&db, &["route", "--line", "122", "--digit", "1"]).expect_code(2, "route");
    assert!(run.stderr.contains("staff id 3"), "{}", run.stderr);
}

#[test]
fn calendar_import_replaces_years_and_reports_bad_lines() {
    let db = demo_database("calendar");
    let run =
        hotline(&db, &["calendar", "import", "calendar/example.txt"]).expect_code(0, "import");
    let loaded = "2099: decree loaded (Постановление Правительства РФ от 01.09.2098 № 0000 \
                  «О переносе выходных дней в 2099 году» (пример)), 3 transfer(s), 1 day(s) as listed";
    assert_eq!(run.stdout.trim(), format!("{loaded} (0 replaced)"));
    let run =
        hotline(&db, &["calendar", "import", "calendar/example.txt"]).expect_code(0, "re-import");
    assert_eq!(run.stdout.trim(), format!("{loaded} (1 replaced)"));

    let bad = std::env::temp_dir().join(format!("hotline-bad-calendar-{}.txt", std::process::id()));
    std::fs::write(
        &bad,
        "decree 2099 Пример\n2099-01-01 holiday\n2099-01-07 holyday Рождество\n2099-02-30 holiday\n\
         2098-05-05 holiday\n",
    )
    .unwrap();
    let run = hotline(&db, &["calendar", "import", bad.to_str().unwrap()]);
    std::fs::remove_file(&bad).unwrap();
    let run = run.expect_code(2, "bad file");
    for expected in [
        "line 3: unknown kind `holyday`",
        "line 4: invalid date `2099-02-30`",
        "line 5: 2098 has days but no `decree 2098 …` line",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
    // Nothing of the bad file was imported: the year still has the example's days.
    let (days, transfers): (i64, i64) = db.with_pool(async |pool| {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM production_calendar WHERE day >= '2099-01-01'), \
                    (SELECT count(*) FROM calendar_transfer WHERE year = 2099)",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!((days, transfers), (1, 3));
}

#[test]
fn next_years_holidays_are_known_and_an_unconfirmed_year_is_flagged() {
    // `migrate` loads the decrees the binary ships for the years the database lacks.
    let db = ScratchDatabase::create("next-year");
    let run = hotline(&db, &["migrate"]).expect_code(0, "migrate");
    assert!(
        run.stdout
            .contains("production calendar 2025: bundled decree loaded, 5 transfer(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("production calendar 2027: bundled decree loaded, 3 transfer(s) (Постановление Правительства РФ от 17.09.2026 № 1187"),
        "{}",
        run.stdout
    );
    let run = hotline(&db, &["migrate"]).expect_code(0, "migrate again");
    assert!(!run.stdout.contains("bundled"), "{}", run.stdout);
    hotline(&db, &["seed-demo"]).expect_code(0, "seed-demo");

    // The days: holidays of 2027, not office hours.
    for at in [
        "2027-01-04T11:00:00+08:00",
        "2027-01-07T11:00:00+08:00",
        "2027-02-23T11:00:00+08:00",
    ] {
        let decision = route_json(&db, "122", "1", at);
        assert_eq!(decision["mode"], "after_hours", "{at}: {decision}");
        let reason = decision["reason"]["ru"].as_str().unwrap_or_default();
        assert!(
            reason.contains("нерабочий праздничный день"),
            "{at}: {reason}"
        );
        assert!(!reason.contains("не загружено"), "{at}: {reason}");
    }
    // 31 December 2026: the next opening is not New Year's Day.
    let decision = route_json(&db, "122", "1", "2026-12-31T11:00:00+08:00");
    let reason = decision["reason"]["ru"].as_str().unwrap_or_default();
    assert!(!reason.contains("01.01"), "{reason}");
    assert!(reason.contains("сб 09.01 в 08:00"), "{reason}");

    // The 2027 decree taken away: the same day reads by rule, and says so; the
    // check warns from 1 October 2026 on, with its own exit code.
    db.with_pool(async |pool| {
        sqlx::query("DELETE FROM calendar_decree WHERE year = 2027")
            .execute(pool)
            .await
            .unwrap();
    });
    let decision = route_json(&db, "122", "1", "2027-01-04T11:00:00+08:00");
    assert_eq!(decision["mode"], "after_hours", "{decision}");
    let reason = decision["reason"]["ru"].as_str().unwrap_or_default();
    assert!(
        reason.contains("«Новогодние каникулы» по производственному календарю (правило ТК РФ, постановление на 2027 год не загружено)"),
        "{reason}"
    );
    let run = hotline(
        &db,
        &["directory", "check", "--from", "2026-10-01", "--days", "1"],
    )
    .expect_code(3, "check with an unconfirmed year");
    assert!(
        run.stdout
            .contains("warning: production calendar 2027 is unconfirmed"),
        "{}",
        run.stdout
    );
    let run = hotline(
        &db,
        &["directory", "check", "--from", "2026-09-29", "--days", "1"],
    )
    .expect_code(0, "check before October");
    assert!(!run.stdout.contains("warning"), "{}", run.stdout);
}

#[test]
fn a_refused_edit_names_the_row_and_the_rule() {
    // The CLI's own edits go through the same explanation: here the demo cannot be
    // seeded because a rule was tightened by hand.
    let db = ScratchDatabase::create("refused");
    hotline(&db, &["migrate"]).expect_code(0, "migrate");
    db.with_pool(async |pool| {
        sqlx::query("ALTER TABLE staff ADD CONSTRAINT staff_test_rule_no_social_workers CHECK (position <> 'Специалист по социальной работе')")
            .execute(pool)
            .await
            .unwrap();
    });
    let run = hotline(&db, &["seed-demo"]).expect_code(2, "seed-demo");
    assert!(
        run.stderr.contains("refused row in staff: ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Морозова Татьяна Ивановна"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("rule staff_test_rule_no_social_workers"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_a_database_the_command_says_so() {
    let run = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["route", "--line", "122"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("set DATABASE_URL or pass --database-url")
    );
}
