//! `hotline user add`, `hotline user passwd` and `hotline seed-demo-users`: the real
//! binary against a scratch database, passwords on stdin.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`).

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::ScratchDatabase;
use hotline::http::accounts::{DEMO_PASSWORD, authenticate};

/// Exit code, stdout and stderr of `hotline ARGS` with `stdin` piped in.
fn hotline(db: &ScratchDatabase, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hotline binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn demo_database(purpose: &str) -> ScratchDatabase {
    let db = ScratchDatabase::create(purpose);
    for command in ["migrate", "seed-demo"] {
        let (code, _, stderr) = hotline(&db, &[command], "");
        assert_eq!(code, 0, "{command}: {stderr}");
    }
    db
}

/// Whether `login` signs in with `password`.
fn signs_in(db: &ScratchDatabase, login: &str, password: &str) -> bool {
    db.with_pool(async |pool| authenticate(pool, login, password).await.unwrap().is_some())
}

#[test]
fn user_add_reads_the_password_from_stdin_and_names_refused_rules() {
    let db = demo_database("user_add");
    let add = [
        "user",
        "add",
        "--login",
        "Minzdrav2",
        "--role",
        "staff",
        "--organisation",
        "minzdrav",
        "--full-name",
        "Сидоров Андрей Николаевич",
    ];
    let (code, stdout, stderr) = hotline(&db, &add, "s3cret-passw0rd\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("console user minzdrav2 created"),
        "{stdout}"
    );
    assert!(signs_in(&db, "minzdrav2", "s3cret-passw0rd"));
    assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret"));

    // The same login again: the rule is named and explained.
    let (code, _, stderr) = hotline(&db, &add, "another-password\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("console_user_login_unique"), "{stderr}");
    assert!(stderr.contains("такой логин уже занят"), "{stderr}");

    // Staff without an organisation, an unknown organisation, a short password.
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &[
                "user",
                "add",
                "--login",
                "x1",
                "--role",
                "staff",
                "--full-name",
                "X",
            ],
            "long-enough-password\n",
            "console_user_staff_has_organisation",
        ),
        (
            &[
                "user",
                "add",
                "--login",
                "x2",
                "--role",
                "staff",
                "--organisation",
                "nowhere",
                "--full-name",
                "X",
            ],
            "long-enough-password\n",
            "console_user_organisation_known",
        ),
        (
            &[
                "user",
                "add",
                "--login",
                "x3",
                "--role",
                "admin",
                "--full-name",
                "X",
            ],
            "short\n",
            "at least 8 characters",
        ),
    ];
    for (args, password, expected) in cases {
        let (code, _, stderr) = hotline(&db, args, password);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = hotline(
        &db,
        &[
            "user",
            "add",
            "--login",
            "x4",
            "--role",
            "operator",
            "--full-name",
            "X",
        ],
        "long-enough-password\n",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("expected specialist, staff or admin"),
        "{stderr}"
    );
    let (code, _, stderr) = hotline(
        &db,
        &[
            "user",
            "add",
            "--login",
            "x5",
            "--role",
            "admin",
            "--full-name",
            "X",
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no password on stdin"), "{stderr}");
}

#[test]
fn user_passwd_changes_the_password() {
    let db = demo_database("user_passwd");
    let (code, _, stderr) = hotline(&db, &["seed-demo-users"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(signs_in(&db, "okb1", DEMO_PASSWORD));
    let (code, stdout, stderr) = hotline(
        &db,
        &["user", "passwd", "--login", "okb1"],
        "brand-new-password\r\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("password of okb1 changed"), "{stdout}");
    assert!(signs_in(&db, "okb1", "brand-new-password"));
    assert!(!signs_in(&db, "okb1", DEMO_PASSWORD));
    let (code, _, stderr) = hotline(
        &db,
        &["user", "passwd", "--login", "nobody"],
        "brand-new-password\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no console user"), "{stderr}");
}

#[test]
fn seed_demo_users_creates_one_login_per_role_and_is_idempotent() {
    let db = demo_database("seed_users");
    for _ in 0..2 {
        let (code, stdout, stderr) = hotline(&db, &["seed-demo-users"], "");
        assert_eq!(code, 0, "{stderr}");
        for login in [
            "operator1",
            "operator2",
            "admin",
            "minzdrav1",
            "okb1",
            "adm-irkutsk1",
        ] {
            assert!(stdout.contains(login), "{stdout}");
        }
        assert!(stdout.contains(DEMO_PASSWORD), "{stdout}");
    }
    assert!(signs_in(&db, "operator1", DEMO_PASSWORD));
    let specialist: Option<i64> = db.with_pool(async |pool| {
        sqlx::query_scalar("SELECT specialist_id FROM console_user WHERE login = 'operator1'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert!(specialist.is_some(), "operator1 is linked to a specialist");
    // Re-seeding the directory keeps the logins (no foreign keys into it).
    let (code, _, stderr) = hotline(&db, &["seed-demo"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(signs_in(&db, "minzdrav1", DEMO_PASSWORD));
}
