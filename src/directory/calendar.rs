//! Production calendar files: the government's annual decree on transferring days off
//! as data, and its import.
//!
//! The statutory calendar (holidays, their moves off weekends, shortened pre-holiday
//! days) is computed for every year by [`crate::routing::calendar`]; what the rule
//! cannot know is the decree the government publishes each autumn for the next year.
//! An administrator (or the binary itself, for the decrees it ships, see
//! [`BUNDLED_DECREES`]) imports it with `hotline calendar import calendar/YYYY.txt`;
//! until then the year is *unconfirmed* and runs on the rule alone.
//!
//! # Format
//!
//! UTF-8 text, one statement per line; blank lines and lines starting with `#` are
//! ignored:
//!
//! ```text
//! decree YYYY SOURCE…                     the decree of year YYYY: number and date
//! transfer YYYY-MM-DD YYYY-MM-DD [note…]  its transfers: a weekend day off moves to a weekday
//! YYYY-MM-DD KIND [hours=N] [note…]       a day as it is, overriding decree and rule
//! ```
//!
//! - Every year the file speaks of needs its `decree` line, once: a year is confirmed
//!   by a named source, never by a bare list of days.
//! - `transfer FROM TO`: FROM is a Saturday or Sunday, TO a weekday of the same year
//!   ("с субботы 1 ноября на понедельник 3 ноября"). Without a note the decree's usual
//!   wording is written: `Перенос выходного дня с субботы 1 ноября на понедельник 3 ноября`.
//! - `KIND` is `holiday` (a non-working day), `working` (a weekend day that is
//!   worked) or `shortened` (a working day one hour shorter); `hours=N`, only after
//!   `working`, names the ISO weekday (1 = Monday … 7 = Sunday) whose hours apply
//!   (Monday's without it). A decree needs none of these: list a day only to correct
//!   what the rule and the transfers give.
//! - Each date at most once among transfers and days.
//!
//! Parsing is pure and reports every bad line ("line 7: unknown kind `holyday`").
//! Importing replaces the decree, the transfers and *all* day rows of every year in
//! the file in one transaction, so re-importing a corrected file is safe and
//! idempotent; years not in the file are left alone. `docs/calendar-format.md` says
//! the same for administrators. Its unit tests are in `calendar/tests.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use sqlx::PgPool;

use crate::directory::error::DirectoryError;
use crate::routing::calendar::{CalendarDay, DayOffTransfer, Decree, ProductionCalendar};

/// How a listed day differs from the ordinary week (the `calendar_day_kind` enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarDayKind {
    /// A non-working day.
    Holiday,
    /// A weekend day worked by transfer.
    Working,
    /// A pre-holiday day, one hour shorter.
    Shortened,
}

impl CalendarDayKind {
    /// The word used in the file and in the database enum.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Working => "working",
            Self::Shortened => "shortened",
        }
    }

    /// Reads the word of the file format.
    fn parse(word: &str) -> Option<Self> {
        match word {
            "holiday" => Some(Self::Holiday),
            "working" => Some(Self::Working),
            "shortened" => Some(Self::Shortened),
            _ => None,
        }
    }
}

/// One listed day, as it will be stored in `production_calendar`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarEntry {
    /// The date.
    pub day: NaiveDate,
    /// How it differs from the ordinary week.
    pub kind: CalendarDayKind,
    /// For a `working` day: whose weekday's hours apply (ISO); `None` = Monday's.
    pub hours_of_weekday: Option<u8>,
    /// Holiday name or reason; may be empty.
    pub note: String,
}

impl CalendarEntry {
    /// The day as the routing model keeps it.
    pub fn calendar_day(&self) -> CalendarDay {
        let note = self.note.clone();
        match self.kind {
            CalendarDayKind::Holiday => CalendarDay::Holiday { note },
            CalendarDayKind::Working => CalendarDay::Working {
                hours_of_weekday: self.hours_of_weekday.unwrap_or(1),
                note,
            },
            CalendarDayKind::Shortened => CalendarDay::Shortened { note },
        }
    }
}

/// A parsed calendar file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarFile {
    /// The decrees by year: their source as the file names it.
    pub decrees: BTreeMap<i32, String>,
    /// The decrees' transfers, by date of the day off that moves.
    pub transfers: Vec<DayOffTransfer>,
    /// Listed days, sorted by date, each date once.
    pub entries: Vec<CalendarEntry>,
}

impl CalendarFile {
    /// The years the file speaks of (each has its decree); import replaces exactly
    /// these years.
    pub fn years(&self) -> BTreeSet<i32> {
        self.decrees.keys().copied().collect()
    }

    /// The calendar the file gives once imported, on top of the statutory rule: what a
    /// snapshot loaded after the import holds (tests, benches, `hotline route` dry runs).
    pub fn calendar(&self) -> ProductionCalendar {
        // The parser refuses a transfer whose year has no decree line: no orphans.
        let (decrees, _) = Decree::by_year(self.decrees.clone(), self.transfers.clone());
        let days = (self.entries.iter())
            .map(|entry| (entry.day, entry.calendar_day()))
            .collect();
        ProductionCalendar {
            days,
            decrees,
            regional: BTreeMap::new(),
        }
    }

    /// The same file limited to some of its years.
    pub fn only_years(&self, years: &BTreeSet<i32>) -> Self {
        Self {
            decrees: (self.decrees.iter())
                .filter(|(year, _)| years.contains(year))
                .map(|(year, source)| (*year, source.clone()))
                .collect(),
            transfers: (self.transfers.iter())
                .filter(|t| years.contains(&t.from.year()))
                .cloned()
                .collect(),
            entries: (self.entries.iter())
                .filter(|entry| years.contains(&entry.day.year()))
                .cloned()
                .collect(),
        }
    }
}

/// One bad line of a calendar file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarLineError {
    /// 1-based line number, as editors count.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for CalendarLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Every bad line of a calendar file; nothing is imported from a file that has any.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CalendarParseError {
    /// The bad lines in file order. Never empty.
    pub lines: Vec<CalendarLineError>,
}

impl fmt::Display for CalendarParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the calendar file has {} bad line(s):", self.lines.len())?;
        for line in &self.lines {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

/// One statement of a calendar file.
enum Statement {
    Decree { year: i32, source: String },
    Transfer(DayOffTransfer),
    Day(CalendarEntry),
}

/// What the parser has read so far, with the line each date or year came from.
#[derive(Default)]
struct Reading {
    errors: Vec<CalendarLineError>,
    decrees: BTreeMap<i32, (usize, String)>,
    /// Every date used by a transfer or a day, with its line: each at most once.
    dates: BTreeMap<NaiveDate, usize>,
    /// Every year a transfer or day needs a decree for, with the first line.
    years_needed: BTreeMap<i32, usize>,
    transfers: Vec<DayOffTransfer>,
    days: Vec<CalendarEntry>,
}

impl Reading {
    fn error(&mut self, line: usize, message: String) {
        self.errors.push(CalendarLineError { line, message });
    }

    /// Claims a date for a line; false (and an error) if another line has it.
    fn claim(&mut self, line: usize, date: NaiveDate) -> bool {
        if let Some(first) = self.dates.get(&date) {
            let message = format!("{date} is listed twice (first on line {first})");
            self.error(line, message);
            return false;
        }
        self.dates.insert(date, line);
        self.years_needed.entry(date.year()).or_insert(line);
        true
    }

    fn take(&mut self, line: usize, statement: Statement) {
        match statement {
            Statement::Decree { year, source } => {
                if let Some((first, _)) = self.decrees.get(&year) {
                    let message =
                        format!("the decree of {year} is named twice (first on line {first})");
                    self.error(line, message);
                } else {
                    self.decrees.insert(year, (line, source));
                }
            }
            Statement::Transfer(transfer) => {
                let (from, to) = (transfer.from, transfer.to);
                if self.claim(line, from) && self.claim(line, to) {
                    self.transfers.push(transfer);
                }
            }
            Statement::Day(entry) => {
                if self.claim(line, entry.day) {
                    self.days.push(entry);
                }
            }
        }
    }

    fn finish(mut self) -> Result<CalendarFile, CalendarParseError> {
        for (year, line) in std::mem::take(&mut self.years_needed) {
            if !self.decrees.contains_key(&year) {
                let message = format!(
                    "{year} has days but no `decree {year} …` line naming its decree (number and date)"
                );
                self.error(line, message);
            }
        }
        if !self.errors.is_empty() {
            self.errors.sort_by_key(|error| error.line);
            return Err(CalendarParseError { lines: self.errors });
        }
        self.transfers.sort_by_key(|t| t.from);
        self.days.sort_by_key(|entry| entry.day);
        Ok(CalendarFile {
            decrees: (self.decrees.into_iter())
                .map(|(year, (_, source))| (year, source))
                .collect(),
            transfers: self.transfers,
            entries: self.days,
        })
    }
}

/// Parses a calendar file, reporting every bad line.
pub fn parse_calendar(text: &str) -> Result<CalendarFile, CalendarParseError> {
    let mut reading = Reading::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        match parse_statement(content) {
            Ok(statement) => reading.take(line, statement),
            Err(message) => reading.error(line, message),
        }
    }
    reading.finish()
}

/// Splits off the first whitespace-separated word; the rest is trimmed.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// Reads a zero-padded `YYYY-MM-DD`.
fn parse_date(word: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(word, "%Y-%m-%d")
        .ok()
        .filter(|_| word.len() == 10)
        .ok_or_else(|| format!("invalid date `{word}` (expected YYYY-MM-DD)"))
}

/// Parses one non-comment line.
fn parse_statement(content: &str) -> Result<Statement, String> {
    let (first, rest) = split_word(content);
    match first {
        "decree" => parse_decree(rest),
        "transfer" => parse_transfer(rest).map(Statement::Transfer),
        _ => parse_day(first, rest).map(Statement::Day),
    }
}

/// `decree YYYY SOURCE…`
fn parse_decree(rest: &str) -> Result<Statement, String> {
    let (year_word, source) = split_word(rest);
    let year = (year_word.len() == 4)
        .then(|| year_word.parse::<i32>().ok())
        .flatten()
        .filter(|year| (1992..=2200).contains(year))
        .ok_or_else(|| {
            format!(
                "invalid decree year `{year_word}` (expected e.g. `decree 2027 Постановление …`)"
            )
        })?;
    let source = source.trim_end();
    if source.is_empty() {
        return Err(format!(
            "the decree of {year} needs its source: number and date (`decree {year} Постановление Правительства РФ от … № …`)"
        ));
    }
    Ok(Statement::Decree {
        year,
        source: source.to_owned(),
    })
}

/// `transfer FROM TO [note…]`
fn parse_transfer(rest: &str) -> Result<DayOffTransfer, String> {
    let (from_word, rest) = split_word(rest);
    let (to_word, note) = split_word(rest);
    if to_word.is_empty() {
        return Err(
            "a transfer needs two dates: `transfer FROM TO` (a weekend day off moves to a weekday)"
                .to_owned(),
        );
    }
    let from = parse_date(from_word)?;
    let to = parse_date(to_word)?;
    if !matches!(from.weekday(), Weekday::Sat | Weekday::Sun) {
        return Err(format!(
            "transfer from {from}: that is a {}, not a Saturday or Sunday",
            from.weekday()
        ));
    }
    if matches!(to.weekday(), Weekday::Sat | Weekday::Sun) {
        return Err(format!(
            "transfer to {to}: that is a {}, not a weekday",
            to.weekday()
        ));
    }
    if from.year() != to.year() {
        return Err(format!(
            "transfer from {from} to {to}: a decree moves days off within its own year"
        ));
    }
    let note = match note.trim_end() {
        "" => transfer_note(from, to),
        note => note.to_owned(),
    };
    Ok(DayOffTransfer { from, to, note })
}

/// The decree's usual wording: "Перенос выходного дня с субботы 1 ноября на
/// понедельник 3 ноября".
pub fn transfer_note(from: NaiveDate, to: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    // After «с» (genitive) and «на» (accusative).
    const FROM_DAYS: [&str; 7] = [
        "понедельника",
        "вторника",
        "среды",
        "четверга",
        "пятницы",
        "субботы",
        "воскресенья",
    ];
    const TO_DAYS: [&str; 7] = [
        "понедельник",
        "вторник",
        "среду",
        "четверг",
        "пятницу",
        "субботу",
        "воскресенье",
    ];
    let day = |date: NaiveDate, names: &[&str; 7]| {
        let weekday = names[date.weekday().num_days_from_monday() as usize];
        let month = MONTHS[date.month0() as usize];
        format!("{weekday} {} {month}", date.day())
    };
    format!(
        "Перенос выходного дня с {} на {}",
        day(from, &FROM_DAYS),
        day(to, &TO_DAYS)
    )
}

/// `YYYY-MM-DD KIND [hours=N] [note…]`
fn parse_day(date_word: &str, rest: &str) -> Result<CalendarEntry, String> {
    let day = parse_date(date_word)?;
    let (kind_word, rest) = split_word(rest);
    if kind_word.is_empty() {
        return Err(format!(
            "missing kind after {day} (holiday, working or shortened)"
        ));
    }
    let kind = CalendarDayKind::parse(kind_word).ok_or_else(|| {
        format!("unknown kind `{kind_word}` (expected holiday, working or shortened)")
    })?;
    let (hours_of_weekday, note) = parse_hours(kind, rest)?;
    Ok(CalendarEntry {
        day,
        kind,
        hours_of_weekday,
        note: note.trim_end().to_owned(),
    })
}

/// Reads an optional `hours=N` at the start of the rest of a line.
fn parse_hours(kind: CalendarDayKind, rest: &str) -> Result<(Option<u8>, &str), String> {
    let (word, after) = split_word(rest);
    let Some(value) = word.strip_prefix("hours=") else {
        return Ok((None, rest));
    };
    if kind != CalendarDayKind::Working {
        return Err(format!(
            "hours={value} is only allowed on a working day, not {}",
            kind.as_str()
        ));
    }
    match value.parse::<u8>() {
        Ok(weekday @ 1..=7) => Ok((Some(weekday), after)),
        _ => Err(format!(
            "hours={value} is not an ISO weekday (1 = Monday … 7 = Sunday)"
        )),
    }
}

/// What an import changed, per year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearImport {
    /// The calendar year.
    pub year: i32,
    /// The decree now loaded for it.
    pub source: String,
    /// Its transfers.
    pub transfers: u64,
    /// Day rows of that year there were before.
    pub replaced: u64,
    /// Day rows of that year there are now.
    pub imported: u64,
}

/// Replaces every year present in `file` (decree, transfers, day rows) in one
/// transaction.
pub async fn import_calendar(
    pool: &PgPool,
    file: &CalendarFile,
) -> Result<Vec<YearImport>, DirectoryError> {
    const DOING: &str = "importing the production calendar";
    let mut tx = pool
        .begin()
        .await
        .map_err(DirectoryError::database(DOING))?;
    let mut summary = Vec::new();
    for (&year, source) in &file.decrees {
        let deleted = sqlx::query(
            "DELETE FROM production_calendar WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)",
        )
        .bind(year)
        .execute(&mut *tx)
        .await
        .map_err(DirectoryError::database(DOING))?;
        // The decree's transfers go with it (ON DELETE CASCADE).
        sqlx::query("DELETE FROM calendar_decree WHERE year = $1")
            .bind(year)
            .execute(&mut *tx)
            .await
            .map_err(DirectoryError::database(DOING))?;
        sqlx::query("INSERT INTO calendar_decree (year, source) VALUES ($1, $2)")
            .bind(year)
            .bind(source)
            .execute(&mut *tx)
            .await
            .map_err(DirectoryError::database(DOING))?;
        let mut transfers = 0;
        for transfer in file.transfers.iter().filter(|t| t.from.year() == year) {
            sqlx::query(
                "INSERT INTO calendar_transfer (from_day, to_day, year, note) VALUES ($1, $2, $3, $4)",
            )
            .bind(transfer.from)
            .bind(transfer.to)
            .bind(year)
            .bind(&transfer.note)
            .execute(&mut *tx)
            .await
            .map_err(DirectoryError::database(DOING))?;
            transfers += 1;
        }
        let mut imported = 0;
        for entry in file.entries.iter().filter(|entry| entry.day.year() == year) {
            sqlx::query(
                "INSERT INTO production_calendar (day, kind, note, hours_of_weekday) \
                 VALUES ($1, $2::calendar_day_kind, $3, $4)",
            )
            .bind(entry.day)
            .bind(entry.kind.as_str())
            .bind(&entry.note)
            .bind(entry.hours_of_weekday.map(i16::from))
            .execute(&mut *tx)
            .await
            .map_err(DirectoryError::database(DOING))?;
            imported += 1;
        }
        summary.push(YearImport {
            year,
            source: source.clone(),
            transfers,
            replaced: deleted.rows_affected(),
            imported,
        });
    }
    tx.commit().await.map_err(DirectoryError::database(DOING))?;
    Ok(summary)
}

/// The decrees this binary ships (`calendar/YYYY.txt`): `hotline migrate` loads each
/// year of them the database has no decree for, so an upgraded service knows next
/// year's calendar without anyone typing it in. A decree already in the database (an
/// administrator's import) is never replaced.
pub const BUNDLED_DECREES: &[(&str, &str)] = &[
    ("calendar/2025.txt", include_str!("../../calendar/2025.txt")),
    ("calendar/2026.txt", include_str!("../../calendar/2026.txt")),
    ("calendar/2027.txt", include_str!("../../calendar/2027.txt")),
];

/// Imports the bundled decrees of the years the database has no decree for; returns
/// what it imported (nothing when every year is there already).
pub async fn import_bundled_decrees(pool: &PgPool) -> Result<Vec<YearImport>, DirectoryError> {
    const DOING: &str = "reading the loaded decrees";
    let loaded: Vec<(i32,)> = sqlx::query_as("SELECT year FROM calendar_decree")
        .fetch_all(pool)
        .await
        .map_err(DirectoryError::database(DOING))?;
    let loaded: BTreeSet<i32> = loaded.into_iter().map(|(year,)| year).collect();
    let mut imported = Vec::new();
    for (name, text) in BUNDLED_DECREES {
        let file = parse_calendar(text)
            .map_err(|error| DirectoryError::BundledCalendar { file: name, error })?;
        let missing: BTreeSet<i32> = file.years().difference(&loaded).copied().collect();
        if !missing.is_empty() {
            imported.extend(import_calendar(pool, &file.only_years(&missing)).await?);
        }
    }
    Ok(imported)
}

#[cfg(test)]
mod tests;
