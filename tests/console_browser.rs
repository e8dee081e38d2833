//! The operator console in a real headless Chromium, driven over WebDriver
//! (`chromedriver` + `fantoccini`), against the real HTTP server on an ephemeral port,
//! a fresh database with the demo directory and demo logins, and the live directory
//! cache (LISTEN/NOTIFY).
//!
//! A specialist signs in and registers an appeal from the form; in another browser the
//! health ministry's staff member sees it appear without reloading (Server-Sent
//! Events) and marks it done; the directory page answers a routing question with the
//! policy's Russian reason. Each page is saved as a PNG under
//! `target/console-screenshots/` for a person to look at.
//!
//! A second test runs the real `hotline serve` on the sandbox Asterisk: a citizen's
//! call (SIPp) appears live in the specialist's queue, the specialist takes it and
//! transfers it to the responsible staff member from the page.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/browser-deps`) and
//! `DATABASE_URL` (the second test also the sandbox, like the other `*_e2e` tests). Without the browser the test fails, unless `HOTLINE_SKIP_BROWSER=1`
//! says to skip it.

mod common;
mod e2e;

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Datelike as _;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use hotline::app::{CallControl, QueueHandle, RoutingClock};
use hotline::ari::AsteriskNodes;
use hotline::directory::{CacheOptions, DirectoryCache, demo::seed_demo};
use hotline::http::accounts::{DEMO_PASSWORD, seed_demo_users};
use hotline::http::events::ConsoleEvents;
use hotline::http::{HttpOptions, HttpServer, HttpState};
use hotline::queue::QueueSettings;
use hotline::routing::{LineNumber, MenuChoice, RouteRequest, decide, policy::NoRecency};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Tuesday 19 May 2026, 10:00 in Irkutsk: the service's clock for "on duty now".
const SERVICE_NOW: &str = "2026-05-19T10:00:00+08:00";

/// False (after saying so) when `HOTLINE_SKIP_BROWSER=1`; panics when the browser is
/// missing otherwise, so a machine without it cannot pass silently.
fn browser_wanted() -> bool {
    if std::env::var("HOTLINE_SKIP_BROWSER").is_ok_and(|value| value == "1") {
        eprintln!("HOTLINE_SKIP_BROWSER=1: browser test skipped");
        return false;
    }
    for path in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: run scripts/browser-deps (or set HOTLINE_SKIP_BROWSER=1 to skip browser tests)"
        );
    }
    true
}

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A chromedriver we started, in a process group of its own; dropping it kills the
/// group (chromedriver and the browsers it started), also when the test panics.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("chromedriver starts");
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until chromedriver accepts connections.
    async fn ready(&self) {
        let deadline = Instant::now() + common::PATIENCE;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    StdListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new headless Chromium session with a profile of its own (its own cookies).
async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--lang=ru-RU", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url())
        .await
        .expect("a Chromium session")
}

/// Saves the page as `NAME.png` and returns its path.
async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

/// Waits until the element `css` exists and its text contains `wanted`; returns the text.
async fn wait_for_text(client: &Client, css: &str, wanted: &str) -> String {
    let deadline = Instant::now() + common::PATIENCE;
    let mut last = String::new();
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(wanted) {
                return text;
            }
            last = text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed {wanted:?}; last text: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `css` matches nothing.
async fn wait_for_absence(client: &Client, css: &str) {
    let deadline = Instant::now() + common::PATIENCE;
    while client.find(Locator::Css(css)).await.is_ok() {
        assert!(Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fills the sign-in form and submits it.
async fn sign_in(client: &Client, base: &str, login: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    let field = client
        .wait()
        .for_element(Locator::Id("login"))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(login).await.unwrap();
    let secret = client.find(Locator::Id("password")).await.unwrap();
    secret.clear().await.unwrap();
    secret.send_keys(password).await.unwrap();
    client
        .find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Whitespace collapsed, as a browser renders text.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[sqlx::test(migrations = "./migrations")]
async fn a_specialists_appeal_reaches_the_staff_live_and_the_directory_explains_a_route(
    pool: PgPool,
) {
    if !browser_wanted() {
        return;
    }
    let console = RunningConsole::start(pool.clone(), SERVICE_NOW).await;
    let (base, directory) = (console.base.clone(), console.directory.clone());

    let driver = Driver::start();
    driver.ready().await;
    let profiles = tempfile_dir("console-browser");
    let specialist = browser(&driver, &profiles.join("specialist")).await;
    let staff = browser(&driver, &profiles.join("staff")).await;

    // A wrong password is refused in Russian.
    sign_in(&specialist, &base, "operator1", "wrong-password").await;
    let refused = wait_for_text(&specialist, "#login-error", "неверный логин или пароль").await;
    assert!(
        !refused.contains("wrong"),
        "the console speaks Russian: {refused}"
    );
    screenshot(&specialist, "01-login-refused").await;

    // The staff member of the health ministry opens the appeals page first.
    sign_in(&staff, &base, "minzdrav1", DEMO_PASSWORD).await;
    wait_for_text(&staff, "#live", "обновления в реальном времени").await;
    wait_for_text(&staff, "#who", "Министерство здравоохранения").await;
    screenshot(&staff, "02-appeals-empty").await;

    // The specialist registers an appeal; the organisation follows the topic.
    sign_in(&specialist, &base, "operator1", DEMO_PASSWORD).await;
    wait_for_text(&specialist, "#waiting-empty", "Очередь пуста").await;
    let topic = specialist
        .wait()
        .for_element(Locator::Css("#topic option[value='health']"))
        .await
        .unwrap();
    topic.click().await.unwrap();
    let organisation = specialist.find(Locator::Id("organisation")).await.unwrap();
    assert_eq!(
        organisation.prop("value").await.unwrap().as_deref(),
        Some("minzdrav"),
        "the topic's agency is the default organisation"
    );
    specialist
        .find(Locator::Css("#line option[value='122']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let note = "Прошу записать к кардиологу, не могу дозвониться в поликлинику";
    for (id, text) in [("caller-number", "+7 902 555-12-34"), ("note", note)] {
        specialist
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    specialist
        .find(Locator::Id("callback"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    specialist
        .find(Locator::Id("appeal-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let confirmation = wait_for_text(&specialist, "#appeal-result", "зарегистрировано").await;
    screenshot(&specialist, "03-specialist-appeal-registered").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM appeal WHERE note = $1")
        .bind(note)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(confirmation.contains(&format!("№ {id}")), "{confirmation}");

    // The staff page shows it without a reload.
    let row = format!("#appeals tr[data-id='{id}']");
    let shown = wait_for_text(&staff, &row, note).await;
    assert!(shown.contains("+79025551234"), "{shown}");
    assert!(shown.contains("перезвонить"), "{shown}");
    screenshot(&staff, "04-appeals-live").await;

    // …and marks it done.
    staff
        .find(Locator::Css(&format!("{row} input")))
        .await
        .unwrap()
        .send_keys("Записали на 21.05, 09:30")
        .await
        .unwrap();
    staff
        .find(Locator::Css(&format!("{row} button.done")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&staff, "#appeals-message", "отмечено выполненным").await;
    wait_for_absence(&staff, &row).await;
    screenshot(&staff, "05-appeals-done").await;
    let (status, done_note): (String, Option<String>) =
        sqlx::query_as("SELECT status, done_note FROM appeal WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "done");
    assert_eq!(done_note.as_deref(), Some("Записали на 21.05, 09:30"));

    // The directory page: who takes a 122 call about health on Tuesday at 10:00, and why.
    specialist.goto(&format!("{base}/directory")).await.unwrap();
    specialist
        .wait()
        .for_element(Locator::Css("#route-line option[value='122']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    specialist
        .wait()
        .for_element(Locator::Css("#route-digit option[value='1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    specialist
        .execute(
            "document.getElementById('route-at').value = arguments[0];",
            vec![json!("2026-05-19T10:00")],
        )
        .await
        .unwrap();
    specialist
        .find(Locator::Id("route-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let expected = decide(
        &directory.current(),
        &RouteRequest {
            line: LineNumber("122".to_owned()),
            choice: MenuChoice::Digit('1'),
            at: "2026-05-19T10:00:00+08:00".parse().unwrap(),
        },
        &NoRecency,
    );
    wait_for_text(&specialist, "#decision-mode", "Автоматический перевод").await;
    let reason = wait_for_text(&specialist, "#decision-reason", "Здравоохранение").await;
    assert_eq!(collapse(&reason), collapse(&expected.reason.ru()));
    wait_for_text(&specialist, "#candidates", "Петрова Елена Викторовна").await;
    wait_for_text(&specialist, "#staff", "на месте").await;
    screenshot(&specialist, "06-directory-route").await;

    specialist.close().await.unwrap();
    staff.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profiles);
    console.stop().await;
}

/// The console's HTTP server on an ephemeral port over the demo directory and demo
/// logins, with the live directory cache and the routing clock at `now`.
struct RunningConsole {
    base: String,
    directory: DirectoryCache,
    shutdown: CancellationToken,
    server_task: tokio::task::JoinHandle<()>,
    cache_task: tokio::task::JoinHandle<()>,
}

impl RunningConsole {
    async fn start(pool: PgPool, now: &str) -> Self {
        seed_demo(&pool).await.unwrap();
        seed_demo_users(&pool).await.unwrap();
        let shutdown = CancellationToken::new();
        let (directory, cache_task) =
            DirectoryCache::start(pool.clone(), CacheOptions::default(), shutdown.clone())
                .await
                .unwrap();
        let events = ConsoleEvents::new();
        let queue = QueueHandle::start(directory.clone(), events.clone(), QueueSettings::default());
        let state = HttpState {
            pool,
            directory: directory.clone(),
            events,
            queue,
            calls: CallControl::new().0,
            clock: RoutingClock::starting_at(now.parse().unwrap()),
            options: HttpOptions::default(),
            shutdown: shutdown.clone(),
            journal: Default::default(),
            sessions: Default::default(),
            asterisk: AsteriskNodes::single(
                "main",
                crate::common::sandbox_ari("hotline-console-test"),
            ),
            active_console: hotline::http::standby::ActiveConsole::active("hotline-console-test"),
        };
        let server = HttpServer::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), state)
            .await
            .unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let server_task = server.start().await.unwrap();
        Self {
            base,
            directory,
            shutdown,
            server_task,
            cache_task,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.server_task)
            .await
            .expect("the server stops at shutdown")
            .unwrap();
        self.cache_task.await.unwrap();
    }
}

/// Signs `login` in (demo password) and opens the directory page once signed in.
async fn open_directory_as(client: &Client, base: &str, login: &str) {
    sign_in(client, base, login, DEMO_PASSWORD).await;
    wait_for_text(client, "#who", "").await;
    client.goto(&format!("{base}/directory")).await.unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn admins_see_a_banner_when_next_years_calendar_is_unconfirmed(pool: PgPool) {
    if !browser_wanted() {
        return;
    }
    // November 2026, and only the migrations ran: the 2027 decree is not loaded.
    let console = RunningConsole::start(pool.clone(), "2026-11-02T10:00:00+08:00").await;
    let driver = Driver::start();
    driver.ready().await;
    let profiles = tempfile_dir("console-banner");
    let admin = browser(&driver, &profiles.join("admin")).await;
    open_directory_as(&admin, &console.base, "admin").await;
    let banner = wait_for_text(&admin, "#calendar-banner", "не подтверждён").await;
    assert!(
        banner.contains("Производственный календарь на 2027 год не подтверждён"),
        "{banner}"
    );
    assert!(
        banner.contains("hotline calendar import calendar/2027.txt"),
        "{banner}"
    );
    screenshot(&admin, "07-directory-calendar-banner").await;

    // A specialist sees the same page without it.
    let operator = browser(&driver, &profiles.join("operator")).await;
    open_directory_as(&operator, &console.base, "operator1").await;
    wait_for_text(&operator, "#organisations", "Министерство").await;
    let text = operator
        .find(Locator::Id("calendar-banner"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "", "admins only");

    admin.close().await.unwrap();
    operator.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profiles);
    console.stop().await;
}

/// A password changed on one device signs the user out on the other: its live
/// stream is closed by the server, and the page, finding no session, goes to the
/// sign-in page by itself.
#[sqlx::test(migrations = "./migrations")]
async fn a_password_changed_in_one_browser_signs_the_other_out(pool: PgPool) {
    if !browser_wanted() {
        return;
    }
    let console = RunningConsole::start(pool.clone(), "2026-05-19T10:00:00+08:00").await;
    let driver = Driver::start();
    driver.ready().await;
    let profiles = tempfile_dir("console-password");
    let desk = browser(&driver, &profiles.join("desk")).await;
    let laptop = browser(&driver, &profiles.join("laptop")).await;
    for client in [&desk, &laptop] {
        sign_in(client, &console.base, "operator1", DEMO_PASSWORD).await;
        wait_for_text(client, "#live", "в реальном времени").await;
    }
    click(&laptop, "#password-link").await;
    let field = laptop
        .wait()
        .for_element(Locator::Id("current"))
        .await
        .unwrap();
    field.send_keys(DEMO_PASSWORD).await.unwrap();
    for id in ["new", "repeat"] {
        laptop
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys("a-new-password-7")
            .await
            .unwrap();
    }
    click(&laptop, "#change").await;
    wait_for_text(&laptop, "#password-message", "Пароль изменён").await;
    screenshot(&laptop, "10-password-changed").await;

    // The other browser is sent to the sign-in page without anyone touching it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let url = desk.current_url().await.unwrap();
        if url.path() == "/login" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other browser is still on {url}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // This browser stays signed in, with its new session.
    laptop
        .goto(&format!("{}/specialist", console.base))
        .await
        .unwrap();
    wait_for_text(&laptop, "#live", "в реальном времени").await;

    desk.close().await.unwrap();
    laptop.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profiles);
    console.stop().await;
}

/// A fresh empty folder under the system's temporary directory.
fn tempfile_dir(purpose: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hotline-{purpose}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Clicks the element `css`.
async fn click(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

#[test]
fn a_waiting_call_appears_live_and_the_specialist_transfers_it_from_the_page() {
    if !e2e::enabled() || !browser_wanted() {
        return;
    }
    // Health is transferred by specialists; only staff01 (Петрова) takes it.
    let scene = e2e::Scene::build("browser_transfer")
        .tune(&[
            "UPDATE topic SET transfer_mode = 'manual' WHERE code = 'health'",
            "UPDATE staff SET active = (endpoint = 'PJSIP/staff01')",
        ])
        .console_users()
        .start();
    let (work, service) = (&scene.work, &scene.service);
    let base = service.console_url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let driver = Driver::start();
    let profile = tempfile_dir("browser_transfer");
    let (client, board) = runtime.block_on(async {
        driver.ready().await;
        let client = browser(&driver, &profile.join("specialist")).await;
        sign_in(&client, &base, "operator1", DEMO_PASSWORD).await;
        wait_for_text(&client, "#desk-state", "не на смене").await;
        // On a break: calls wait in the queue instead of ringing everyone.
        click(&client, "#desk-pause").await;
        wait_for_text(&client, "#desk-state", "перерыв").await;
        // The hall's wallboard, in another browser.
        let board = browser(&driver, &profile.join("board")).await;
        sign_in(&board, &base, "admin", DEMO_PASSWORD).await;
        wait_for_text(&board, "#who", "").await;
        board.goto(&format!("{base}/wallboard")).await.unwrap();
        wait_for_text(&board, "[data-state=paused] .value", "1").await;
        (client, board)
    });
    let spec01 = e2e::Sipp::phone("spec01", e2e::Phone::Answers, work);
    let staff01 = e2e::Sipp::phone("staff01", e2e::Phone::Answers, work);
    let citizen = e2e::Sipp::citizen("122", Some("1"), 40_000, work);
    runtime.block_on(async {
        // The call shows up without a reload.
        let waiting = wait_for_text(&client, "#waiting tbody", "Здравоохранение").await;
        assert!(waiting.contains(e2e::CITIZEN_NUMBER), "{waiting}");
        screenshot(&client, "07-specialist-waiting-call").await;
        // The wallboard counts the waiting call live, and how long it waits.
        wait_for_text(&board, "#wb-waiting", "1").await;
        wait_for_text(&board, "#wb-longest", "0:0").await;
        screenshot(&board, "07b-wallboard-waiting-call").await;
        click(&client, "#desk-ready").await;
        wait_for_text(&client, "#desk-state", "разговор").await;
        wait_for_text(&client, "#my-call-info", "Здравоохранение").await;
        let staff =
            wait_for_text(&client, "#transfer-staff tbody", "Петрова Елена Викторовна").await;
        assert!(staff.contains("свободен"), "her state is shown: {staff}");
        wait_for_absence(&client, "#waiting tbody tr").await;
        wait_for_text(&board, "#wb-waiting", "0").await;
        wait_for_text(&board, "[data-state=on_call] .value", "1").await;
        screenshot(&client, "08-specialist-on-call").await;
        click(&client, "#transfer-staff tbody button.transfer").await;
        wait_for_text(&client, "#transfer-result", "Перевод начат").await;
        // staff01 answers: the specialist is released into wrap-up.
        wait_for_text(&client, "#desk-state", "обработка вызова").await;
        screenshot(&client, "09-specialist-after-transfer").await;
        client.goto(&format!("{base}/appeals")).await.unwrap();
        wait_for_text(&client, "#live", "реальном времени").await;
        client.close().await.unwrap();
        board.close().await.unwrap();
    });
    citizen.assert_success();
    spec01.assert_success();
    staff01.assert_success();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    let directory = scene.finish();
    assert_eq!(
        directory.rows("SELECT origin, result, answered_target FROM call_transfer"),
        [vec![
            Some("console".to_owned()),
            Some("answered".to_owned()),
            Some("PJSIP/staff01".to_owned()),
        ]]
    );
}

/// A supervisor (admin): today's wallboard, then last month's report by agency (by
/// day) with its chart, and its CSV; then the audit of a
/// roster change. The chart is checked in a screenshot: one bar per day that had
/// calls (3), counted by colour along the plot's baseline.
#[sqlx::test(migrations = "./migrations")]
async fn a_supervisor_sees_the_wallboard_and_last_months_report_with_a_chart(pool: PgPool) {
    if !browser_wanted() {
        return;
    }
    let console = RunningConsole::start(pool.clone(), SERVICE_NOW).await;
    // Last month (of real time, like the journal): health calls on its 3rd (two),
    // 10th and 24th; today: two calls a minute after midnight.
    for (key, month, day, outcome) in [
        ("n1", -1, 3, "answered_by_staff"),
        ("n2", -1, 3, "abandoned"),
        ("n3", -1, 10, "answered_by_staff"),
        ("n4", -1, 24, "answered_by_specialist"),
        ("d1", 0, 0, "answered_by_specialist"),
        ("d2", 0, 0, "abandoned"),
    ] {
        sqlx::query(
            "INSERT INTO call_record (call_key, via, line, caller_number, topic, decision_mode,
                 entered_at, answered_at, ended_at, outcome)
             SELECT $1, 'ari', '122', '79990000001', 'health', 'automatic', e,
                    CASE WHEN $4 LIKE 'answered%' THEN e + interval '10 s' END,
                    e + interval '1 min', $4::call_outcome
               FROM (SELECT (CASE WHEN $2 = 0
                                  THEN date_trunc('day', now() AT TIME ZONE 'Asia/Irkutsk') + interval '1 min'
                                  ELSE date_trunc('month', now() AT TIME ZONE 'Asia/Irkutsk') - interval '1 month'
                                       + make_interval(days => $3 - 1, hours => 10)
                             END) AT TIME ZONE 'Asia/Irkutsk' AS e) t",
        )
        .bind(key)
        .bind(month)
        .bind(day)
        .bind(outcome)
        .execute(&pool)
        .await
        .unwrap();
    }
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Irkutsk)
        .date_naive();
    let last_month = chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(1))
        .unwrap();
    let third = format!("03.{}", last_month.format("%m.%Y"));
    let driver = Driver::start();
    driver.ready().await;
    let profiles = tempfile_dir("console-reports");
    let admin = browser(&driver, &profiles.join("admin")).await;
    sign_in(&admin, &console.base, "admin", DEMO_PASSWORD).await;
    wait_for_text(&admin, "#who", "").await;

    admin
        .goto(&format!("{}/wallboard", console.base))
        .await
        .unwrap();
    wait_for_text(&admin, "#wb-offered", "2").await;
    wait_for_text(&admin, "#wb-level", "50 %").await;
    wait_for_text(&admin, "#wb-waiting", "0").await;
    wait_for_text(&admin, "[data-state=ready] .value", "0").await;
    screenshot(&admin, "wallboard").await;

    admin
        .goto(&format!("{}/reports", console.base))
        .await
        .unwrap();
    // Last month by default; by day for the chart.
    wait_for_text(&admin, "#report tbody", "Министерство здравоохранения").await;
    let from = admin.find(Locator::Id("report-from")).await.unwrap();
    let first = last_month.format("%Y-%m-%d").to_string();
    assert_eq!(
        from.prop("value").await.unwrap().as_deref(),
        Some(first.as_str())
    );
    admin
        .execute(
            "document.getElementById('report-period').value = 'day'; \
             document.getElementById('report-form').requestSubmit();",
            vec![],
        )
        .await
        .unwrap();
    wait_for_text(&admin, "#report tbody", &third).await;
    let rows = admin
        .find_all(Locator::Css("#report tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "one row a day with calls");
    // The chart has loaded (an <img> of the SVG), then it is photographed.
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let done = admin
            .execute(
                "const c = document.getElementById('chart'); \
                 return c.complete && c.naturalWidth > 0 && c.src.includes('period=day');",
                vec![],
            )
            .await
            .unwrap();
        if done == json!(true) {
            break;
        }
        assert!(Instant::now() < deadline, "the chart never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&admin, "reports").await;
    admin
        .execute("document.getElementById('chart').scrollIntoView();", vec![])
        .await
        .unwrap();
    let chart = admin.find(Locator::Id("chart")).await.unwrap();
    let png = chart.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join("reports-chart.png"), &png).unwrap();
    assert_eq!(bars_in(&png), 3, "bars drawn for the three days with calls");

    // The CSV behind the link: the same report.
    let href = admin
        .find(Locator::Id("report-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(href.contains("period=day"), "{href}");
    let csv = admin
        .execute(
            "return fetch(arguments[0]).then((r) => r.text());",
            vec![json!(href)],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert_eq!(
        csv.trim_start_matches('\u{feff}').lines().count(),
        4,
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{} 00:00,minzdrav,Министерство здравоохранения Иркутской области,2,1,",
            last_month.with_day(3).unwrap()
        )),
        "{csv}"
    );

    // The audit of roster changes: a staff member's phone changed in the database.
    sqlx::query("UPDATE staff SET endpoint = 'PJSIP/staff09' WHERE endpoint = 'PJSIP/staff02'")
        .execute(&pool)
        .await
        .unwrap();
    admin
        .goto(&format!("{}/audit", console.base))
        .await
        .unwrap();
    let newest = wait_for_text(&admin, "#audit tbody tr:first-child", "PJSIP/staff09").await;
    assert!(
        newest.contains("Ответственные сотрудники") && newest.contains("изменено"),
        "{newest}"
    );
    assert!(newest.contains("endpoint: PJSIP/staff02"), "{newest}");
    screenshot(&admin, "audit").await;

    // Recorded calls: one kept, one removed after its retention (the files and their
    // playback are tests/recording_e2e.rs's).
    sqlx::query(
        "INSERT INTO call_record (call_key, via, line, entered_at, ended_at, outcome,
                                  answered_name, recording_name, recording_started_at,
                                  recording_removed_at)
         VALUES ('rec-kept', 'ari', '122', now() - interval '1 hour', now(), 'answered_by_staff',
                 'Иванов Иван Иванович', 'hotline/rec-kept', now() - interval '1 hour', NULL),
                ('rec-gone', 'ari', '117', now() - interval '100 days', now() - interval '100 days',
                 'answered_by_specialist', NULL, 'hotline/rec-gone',
                 now() - interval '100 days', now() - interval '10 days')",
    )
    .execute(&pool)
    .await
    .unwrap();
    admin
        .goto(&format!("{}/recordings", console.base))
        .await
        .unwrap();
    let kept = wait_for_text(&admin, "#recordings tbody tr:first-child", "Иванов").await;
    assert!(
        kept.contains("Прослушать") && kept.contains("Скачать"),
        "{kept}"
    );
    let gone = wait_for_text(&admin, "#recordings tbody tr:nth-child(2)", "удалена").await;
    assert!(gone.contains("срок хранения"), "{gone}");
    screenshot(&admin, "recordings").await;

    admin.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profiles);
    console.stop().await;
}

/// Bars in a PNG of the chart: runs of the bar colour along a row just above the
/// plot's baseline (the SVG's plot ends 56 of 340 units above its bottom).
fn bars_in(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.line_size / frame.width as usize;
    let row = ((340.0 - 56.0 - 3.0) / 340.0 * f64::from(frame.height)) as usize;
    let line = &pixels[row * frame.line_size..(row + 1) * frame.line_size];
    // #2f6fb3, give or take anti-aliasing.
    let is_bar = |x: usize| {
        let p = &line[x * channels..x * channels + 3];
        p[0].abs_diff(0x2f) < 24 && p[1].abs_diff(0x6f) < 24 && p[2].abs_diff(0xb3) < 24
    };
    let mut runs = 0;
    let mut inside = false;
    for x in 0..frame.width as usize {
        let bar = is_bar(x);
        if bar && !inside {
            runs += 1;
        }
        inside = bar;
    }
    runs
}
