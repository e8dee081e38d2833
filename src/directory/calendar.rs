//! Production calendars of later years: a plain text format and its import.
//!
//! The government publishes each year's calendar (holidays, days off moved by
//! transfer, shortened pre-holiday days) in the autumn before; an administrator types
//! it into a file and runs `hotline calendar import FILE`. The 2026 calendar ships as a
//! migration; every later year is data in this format.
//!
//! # Format
//!
//! UTF-8 text, one day per line:
//!
//! ```text
//! # comment lines start with '#'; blank lines are ignored
//! YYYY-MM-DD KIND [hours=N] [note …]
//! ```
//!
//! - `KIND` is `holiday` (a non-working day: public holiday or a day off by transfer),
//!   `working` (a weekend day that is worked by transfer) or `shortened` (a
//!   pre-holiday working day, one hour shorter).
//! - `hours=N`, only after `working`, names the ISO weekday (1 = Monday … 7 = Sunday)
//!   whose hours apply that day; without it Monday's hours apply.
//! - The note (optional, the rest of the line) is the holiday's name or the reason,
//!   shown in routing reasons: `2027-01-07 holiday Рождество Христово`.
//! - Only days that differ from the ordinary week are listed; each date at most once.
//!
//! Parsing is pure and reports every bad line ("line 7: unknown kind `holyday`").
//! Importing replaces *all* rows of every year present in the file in one
//! transaction, so re-importing a corrected file is safe and idempotent; years not in
//! the file are left alone. `docs/calendar-format.md` says the same for administrators.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use crate::directory::error::DirectoryError;

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

/// A parsed calendar file: its days in date order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarFile {
    /// Listed days, sorted by date, each date once.
    pub entries: Vec<CalendarEntry>,
}

impl CalendarFile {
    /// The years the file lists days of; import replaces exactly these years.
    pub fn years(&self) -> BTreeSet<i32> {
        self.entries.iter().map(|entry| entry.day.year()).collect()
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

/// Parses a calendar file, reporting every bad line.
pub fn parse_calendar(text: &str) -> Result<CalendarFile, CalendarParseError> {
    let mut errors = Vec::new();
    let mut days: BTreeMap<NaiveDate, (usize, CalendarEntry)> = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        match parse_line(content) {
            Ok(entry) => {
                if let Some((first, _)) = days.get(&entry.day) {
                    let message = format!("{} is listed twice (first on line {first})", entry.day);
                    errors.push(CalendarLineError { line, message });
                } else {
                    days.insert(entry.day, (line, entry));
                }
            }
            Err(message) => errors.push(CalendarLineError { line, message }),
        }
    }
    if errors.is_empty() {
        let entries = days.into_values().map(|(_, entry)| entry).collect();
        Ok(CalendarFile { entries })
    } else {
        Err(CalendarParseError { lines: errors })
    }
}

/// Splits off the first whitespace-separated word; the rest is trimmed.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// Parses one non-comment line: `YYYY-MM-DD KIND [hours=N] [note …]`.
fn parse_line(content: &str) -> Result<CalendarEntry, String> {
    let (date_word, rest) = split_word(content);
    let day = NaiveDate::parse_from_str(date_word, "%Y-%m-%d")
        .ok()
        .filter(|_| date_word.len() == 10)
        .ok_or_else(|| format!("invalid date `{date_word}` (expected YYYY-MM-DD)"))?;
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
    /// Rows of that year there were before.
    pub replaced: u64,
    /// Rows of that year there are now.
    pub imported: u64,
}

/// Replaces every year present in `file` with its days, in one transaction.
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
    for year in file.years() {
        let deleted = sqlx::query(
            "DELETE FROM production_calendar WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)",
        )
        .bind(year)
        .execute(&mut *tx)
        .await
        .map_err(DirectoryError::database(DOING))?;
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
            replaced: deleted.rows_affected(),
            imported,
        });
    }
    tx.commit().await.map_err(DirectoryError::database(DOING))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn parses_days_notes_comments_and_hours() {
        let text = "# 2099, an example\n\n2099-01-02 holiday Новогодние каникулы\n\
                    2099-01-01  holiday\tНовый год  \n2099-01-10 working hours=5 Перенос с 3 января\n\
                    2099-02-20 shortened\n  # indented comment\n";
        let file = parse_calendar(text).unwrap();
        assert_eq!(file.entries.len(), 4);
        assert_eq!(file.entries[0].day, date("2099-01-01"), "sorted by date");
        assert_eq!(file.entries[0].note, "Новый год");
        assert_eq!(file.entries[2].kind, CalendarDayKind::Working);
        assert_eq!(file.entries[2].hours_of_weekday, Some(5));
        assert_eq!(file.entries[2].note, "Перенос с 3 января");
        assert_eq!(file.entries[3].note, "");
        assert_eq!(file.years(), BTreeSet::from([2099]));
    }

    #[test]
    fn working_day_without_hours_keeps_the_note_whole() {
        let file = parse_calendar("2099-01-10 working Рабочая суббота").unwrap();
        assert_eq!(file.entries[0].hours_of_weekday, None);
        assert_eq!(file.entries[0].note, "Рабочая суббота");
    }

    #[test]
    fn reports_every_bad_line_with_its_number() {
        let text = "2099-01-01 holiday\n2099-02-30 holiday\n\n2099-03-08 holyday\n2099-01-01 holiday again\n\
                    2099-05-08\n2099-05-09 holiday hours=1\n2099-06-06 working hours=8\n1.1.2099 holiday\n";
        let error = parse_calendar(text).unwrap_err();
        let lines: Vec<String> = error.lines.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 2: invalid date `2099-02-30` (expected YYYY-MM-DD)",
                "line 4: unknown kind `holyday` (expected holiday, working or shortened)",
                "line 5: 2099-01-01 is listed twice (first on line 1)",
                "line 6: missing kind after 2099-05-08 (holiday, working or shortened)",
                "line 7: hours=1 is only allowed on a working day, not holiday",
                "line 8: hours=8 is not an ISO weekday (1 = Monday … 7 = Sunday)",
                "line 9: invalid date `1.1.2099` (expected YYYY-MM-DD)",
            ]
        );
        assert!(
            error
                .to_string()
                .starts_with("the calendar file has 7 bad line(s):")
        );
    }

    #[test]
    fn an_empty_file_lists_no_years() {
        assert_eq!(
            parse_calendar("# nothing yet\n").unwrap().years(),
            BTreeSet::new()
        );
    }
}
