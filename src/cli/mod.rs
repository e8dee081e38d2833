//! The `hotline` command line: thin glue between clap, the directory adapter and the
//! routing policy. Errors are `anyhow` with context here and nowhere else.
//!
//! # Exit codes
//!
//! - `0`: done; for `directory check`, the directory is clean.
//! - `1`: `directory check` found problems: bad rows (each named with table, key and
//!   rule) or gaps in the roster.
//! - `2`: the command could not do its job: bad arguments, database unreachable, a
//!   refused edit, an unreadable file (the message says which).
//! - `3`: `directory check` found only warnings: the directory routes correctly now,
//!   but something will go wrong unless an admin acts (a production calendar year due
//!   soon whose decree is not loaded).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tracing_subscriber::EnvFilter;

use crate::directory::{self, DirectoryError, EditRefusal};
use crate::routing::policy::NoRecency;
use crate::routing::{LineNumber, MenuChoice, RouteRequest, TopicCode, decide, lint};

/// The `hotline` command line.
#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "Call router of the 122/117 unified contact center",
    after_help = "Exit codes: 0 done (directory check: clean); 1 directory check found bad rows \
                  or gaps; 2 the command failed (arguments, database, refused edit, file); \
                  3 directory check found only warnings (an unconfirmed calendar year due)."
)]
pub struct Cli {
    /// Postgres URL of the directory, e.g. postgres://postgres@127.0.0.1:5432/hotline.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the database migrations embedded in this binary.
    Migrate,
    /// Replace the directory (all but the production calendar) with the demo directory.
    SeedDemo,
    /// Create (or reset) the console's demo logins, after seed-demo; password: hotline-demo.
    SeedDemoUsers,
    /// Operator console accounts; passwords are read from stdin, never from arguments.
    #[command(subcommand)]
    User(UserCommand),
    /// Production calendar decrees (the statutory rule needs no data).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Inspect the directory.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Show who would take a call: `--line 122 --digit 1 --at 2026-05-08T17:30:00+08:00`.
    Route(RouteArgs),
    /// Call recordings.
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// Run the service: the ARI Stasis app, FastAGI endpoint and operator console until SIGTERM/SIGINT.
    Serve(ServeArgs),
}

/// Arguments of `hotline serve`; everything else comes from settings.
#[derive(Debug, Args)]
struct ServeArgs {
    /// A TOML settings file (keys as in `hotline::config::Settings`); `HOTLINE_*`
    /// environment variables override it.
    #[arg(long, env = "HOTLINE_CONFIG")]
    config: Option<PathBuf>,
}

/// `hotline recordings …`
#[derive(Debug, Subcommand)]
enum RecordingsCommand {
    /// Delete the recordings past their line's retention now (the service also does
    /// it every `recording_cleanup_minutes`) and mark the journal.
    Purge {
        /// The settings file for Asterisk's address (as for `hotline serve`).
        #[arg(long, env = "HOTLINE_CONFIG")]
        config: Option<PathBuf>,
        /// Count retention up to this instant instead of now (RFC 3339): to purge
        /// ahead of time, or to check the cleanup.
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<DateTime<FixedOffset>>,
    },
}

/// `hotline calendar …`
#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Import a decree file (format: docs/calendar-format.md), replacing every year it names.
    Import {
        /// The file, e.g. calendar/2027.txt.
        file: PathBuf,
    },
}

/// `hotline user …`
#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a console account; the password is read from stdin (one line).
    Add(UserAddArgs),
    /// Set a new password (read from stdin) and sign the user out everywhere.
    Passwd {
        /// The account's login.
        #[arg(long)]
        login: String,
    },
}

/// Arguments of `hotline user add`.
#[derive(Debug, Args)]
struct UserAddArgs {
    /// Login: lowercase latin letters, digits, `.`, `_`, `-`.
    #[arg(long)]
    login: String,
    /// specialist, staff or admin.
    #[arg(long)]
    role: crate::http::accounts::Role,
    /// Staff only: the organisation's directory code (e.g. minzdrav).
    #[arg(long)]
    organisation: Option<String>,
    /// Specialists: their id in the directory's `specialist` table.
    #[arg(long)]
    specialist_id: Option<i64>,
    /// Full name, shown in the console and on appeals.
    #[arg(long)]
    full_name: String,
}

/// `hotline directory …`
#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Load and lint the directory; exit 1 if it has bad rows or gaps, 3 if only
    /// warnings (unconfirmed calendar years), 0 if clean.
    Check(CheckArgs),
}

/// Arguments of `hotline directory check`.
#[derive(Debug, Args)]
struct CheckArgs {
    /// First day to check (YYYY-MM-DD); default: today in Asia/Irkutsk.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// How many days to check.
    #[arg(long, default_value_t = 14)]
    days: u32,
}

/// Arguments of `hotline route`.
#[derive(Debug, Args)]
struct RouteArgs {
    /// The line called (122, 117).
    #[arg(long)]
    line: String,
    /// The digit pressed in the menu (0-9, *, #); with neither --digit nor --topic, no input.
    #[arg(long, conflicts_with = "topic")]
    digit: Option<char>,
    /// A topic code instead of a digit (what a specialist's transfer asks for).
    #[arg(long)]
    topic: Option<String>,
    /// The instant of the call, RFC 3339 (2026-05-08T17:30:00+08:00); default: now.
    #[arg(long, value_parser = parse_instant)]
    at: Option<DateTime<FixedOffset>>,
    /// Print the decision as one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Reads an RFC 3339 instant with its offset.
fn parse_instant(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|error| format!("{error}; expected e.g. 2026-05-08T17:30:00+08:00"))
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: this crate at `info`, libraries
/// at `warn`), so `--json` output on stdout stays one clean object.
pub fn init_tracing() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,hotline=info"));
    // Colours only for a person at a terminal: a log file or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// Prints a report line to stdout. A closed stdout (`hotline route … | head -1`) is not
/// an error: the reader has what it wanted.
fn emit(text: impl std::fmt::Display) -> anyhow::Result<()> {
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("writing to stdout")
        }
        _ => Ok(()),
    }
}

/// Runs one command; the exit code follows the table in the module doc.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Serve(args) = &cli.command {
        return serve(args, cli.database_url.as_deref()).await;
    }
    let pool = connect(cli.database_url.as_deref()).await?;
    match cli.command {
        Command::Migrate => migrate(&pool).await,
        Command::SeedDemo => seed_demo(&pool).await,
        Command::SeedDemoUsers => seed_demo_users(&pool).await,
        Command::User(UserCommand::Add(args)) => add_user(&pool, &args).await,
        Command::User(UserCommand::Passwd { login }) => change_password(&pool, &login).await,
        Command::Calendar(CalendarCommand::Import { file }) => import_calendar(&pool, &file).await,
        Command::Directory(DirectoryCommand::Check(args)) => check(&pool, &args).await,
        Command::Route(args) => route(&pool, &args).await,
        Command::Recordings(RecordingsCommand::Purge { config, as_of }) => {
            purge_recordings(&pool, config.as_deref(), as_of).await
        }
        Command::Serve(_) => unreachable!("handled above"),
    }
}

/// `hotline serve`: settings from file and environment, stop on SIGTERM or SIGINT.
async fn serve(args: &ServeArgs, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut settings = crate::config::Settings::load(args.config.as_deref())
        .context("reading settings (file and HOTLINE_* variables)")?;
    if let Some(url) = database_url {
        settings.database_url = crate::config::Secret(url.to_owned());
    }
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    crate::serve::serve(settings, shutdown)
        .await
        .context("hotline serve")?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline recordings purge`: one cleanup pass, its counts on stdout.
async fn purge_recordings(
    pool: &PgPool,
    config: Option<&std::path::Path>,
    as_of: Option<DateTime<FixedOffset>>,
) -> anyhow::Result<ExitCode> {
    let settings = crate::config::Settings::load(config)
        .context("reading settings (file and HOTLINE_* variables)")?;
    let nodes = crate::serve::node_clients(&settings).context("ARI settings")?;
    let asterisk = crate::ari::AsteriskNodes::new(nodes);
    let now = as_of.map_or_else(chrono::Utc::now, |at| at.with_timezone(&chrono::Utc));
    let summary = crate::recordings::purge_expired(pool, &asterisk, now)
        .await
        .context("purging recordings")?;
    emit(format_args!(
        "removed {}, already gone {}, failed {}",
        summary.removed, summary.already_gone, summary.failed
    ))?;
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Cancels `shutdown` at the first SIGTERM or SIGINT.
async fn cancel_on_signal(shutdown: tokio_util::sync::CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals; stop with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    shutdown.cancel();
}

/// A small pool to the directory database. The URL is never printed: it may hold a
/// password.
async fn connect(database_url: Option<&str>) -> anyhow::Result<PgPool> {
    let url = database_url.context("no database: set DATABASE_URL or pass --database-url")?;
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .context("connecting to the directory database (DATABASE_URL)")
}

/// Turns a directory error into a report; a refused edit names the row and the rule.
fn explain(error: DirectoryError) -> anyhow::Error {
    match &error {
        DirectoryError::Database { doing, source } => match EditRefusal::from_error(source) {
            Some(refusal) => anyhow::anyhow!("{doing}: {refusal}"),
            None => error.into(),
        },
        _ => error.into(),
    }
}

/// `hotline migrate`.
async fn migrate(pool: &PgPool) -> anyhow::Result<ExitCode> {
    directory::MIGRATOR
        .run(pool)
        .await
        .map_err(DirectoryError::from)
        .map_err(explain)?;
    let latest = directory::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or_default();
    emit(format_args!(
        "database migrated (latest migration {latest})"
    ))?;
    let bundled = directory::calendar::import_bundled_decrees(pool)
        .await
        .map_err(explain)?;
    for year in bundled {
        emit(format_args!(
            "production calendar {}: bundled decree loaded, {} transfer(s) ({})",
            year.year, year.transfers, year.source
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `hotline seed-demo`.
async fn seed_demo(pool: &PgPool) -> anyhow::Result<ExitCode> {
    let summary = directory::demo::seed_demo(pool).await.map_err(explain)?;
    emit(summary)?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline seed-demo-users`.
async fn seed_demo_users(pool: &PgPool) -> anyhow::Result<ExitCode> {
    use crate::http::accounts;
    let users = accounts::seed_demo_users(pool)
        .await
        .map_err(explain_account)?;
    for user in users {
        let organisation = user
            .organisation
            .map(|code| format!(", {code}"))
            .unwrap_or_default();
        emit(format_args!("{} ({}{organisation})", user.login, user.role))?;
    }
    emit(format_args!(
        "demo console logins ready; password: {}",
        accounts::DEMO_PASSWORD
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline user add`.
async fn add_user(pool: &PgPool, args: &UserAddArgs) -> anyhow::Result<ExitCode> {
    use crate::http::accounts::{self, NewUser};
    let password = read_password()?;
    let user = NewUser {
        login: args.login.trim().to_lowercase(),
        full_name: args.full_name.clone(),
        role: args.role,
        organisation: args
            .organisation
            .clone()
            .map(crate::routing::OrganisationCode),
        specialist_id: args.specialist_id,
    };
    let id = accounts::save_user(pool, &user, &password, false)
        .await
        .map_err(explain_account)?;
    emit(format_args!(
        "console user {} created (id {id}, role {})",
        user.login, user.role
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline user passwd`.
async fn change_password(pool: &PgPool, login: &str) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    crate::http::accounts::set_password(pool, login, &password, None)
        .await
        .map_err(explain_account)?;
    emit(format_args!(
        "password of {login} changed; their sessions are closed"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// One line from stdin, without its line ending. At a terminal it asks for it and
/// turns echo off (`stty`) while it is typed; a pipe is read as it is.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead as _, IsTerminal as _};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    if terminal {
        eprint!("password: ");
        stty("-echo");
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        stty("echo");
        eprintln!();
    }
    read.context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password on stdin (pipe it in: echo … | hotline user …)"
    );
    Ok(password)
}

/// An account error as a report; a refused row names the rule.
fn explain_account(error: crate::http::accounts::AccountError) -> anyhow::Error {
    use crate::http::accounts::AccountError;
    match &error {
        AccountError::Database(source) => match EditRefusal::from_error(source) {
            Some(refusal) => anyhow::anyhow!("{refusal}"),
            None => error.into(),
        },
        _ => error.into(),
    }
}

/// `hotline calendar import FILE`.
async fn import_calendar(pool: &PgPool, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the calendar file {}", path.display()))?;
    let file = directory::calendar::parse_calendar(&text)
        .with_context(|| format!("parsing {}", path.display()))?;
    let years = directory::calendar::import_calendar(pool, &file)
        .await
        .map_err(explain)?;
    if years.is_empty() {
        emit(format_args!(
            "{}: names no decree, nothing imported",
            path.display()
        ))?;
    }
    for year in years {
        emit(format_args!(
            "{}: decree loaded ({}), {} transfer(s), {} day(s) as listed ({} replaced)",
            year.year, year.source, year.transfers, year.imported, year.replaced
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `hotline directory check`: bad rows first (the lint needs a loaded directory), then
/// the roster gaps over the requested days.
async fn check(pool: &PgPool, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let snapshot = match directory::load_snapshot(pool).await {
        Ok(snapshot) => snapshot,
        Err(error @ (DirectoryError::BadRows(_) | DirectoryError::Inconsistent(_))) => {
            emit(error)?;
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => return Err(explain(error)),
    };
    let from = args.from.unwrap_or_else(today_in_irkutsk);
    let gaps = lint::check(&snapshot, from, args.days);
    for gap in &gaps {
        emit(gap)?;
    }
    let unconfirmed = (snapshot.calendar).unconfirmed_years_due_within(from, args.days);
    for year in &unconfirmed {
        emit(lint::UnconfirmedYear(*year))?;
    }
    if !gaps.is_empty() {
        emit(format_args!(
            "{} gap(s) in {} days from {from}",
            gaps.len(),
            args.days
        ))?;
        Ok(ExitCode::FAILURE)
    } else if !unconfirmed.is_empty() {
        emit(format_args!(
            "directory routes, with {} warning(s): no gaps in {} days from {from}",
            unconfirmed.len(),
            args.days
        ))?;
        Ok(ExitCode::from(3))
    } else {
        emit(format_args!(
            "directory OK: no gaps in {} days from {from}",
            args.days
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Today's date where the contact center works.
fn today_in_irkutsk() -> NaiveDate {
    Utc::now()
        .with_timezone(&crate::routing::calendar::REGION_ZONE)
        .date_naive()
}

/// `hotline route`: one decision, as text or as one JSON object.
async fn route(pool: &PgPool, args: &RouteArgs) -> anyhow::Result<ExitCode> {
    let snapshot = directory::load_snapshot(pool).await.map_err(explain)?;
    let choice = match (args.digit, &args.topic) {
        (Some(digit), _) => MenuChoice::Digit(digit),
        (None, Some(topic)) => MenuChoice::Topic(TopicCode(topic.clone())),
        (None, None) => MenuChoice::NoInput,
    };
    let request = RouteRequest {
        line: LineNumber(args.line.clone()),
        choice,
        at: args.at.map_or_else(Utc::now, |at| at.with_timezone(&Utc)),
    };
    let decision = decide(&snapshot, &request, &NoRecency);
    if args.json {
        emit(serde_json::to_string(&decision).context("serialising the decision")?)?;
    } else {
        emit(decision.render_text().trim_end())?;
    }
    Ok(ExitCode::SUCCESS)
}
