//! Fuzz target: the production calendar file (`hotline calendar import`).
//!
//! Any text is a file an administrator might feed it. `parse_calendar` must never
//! panic; a refusal names only lines the file has; an accepted file keeps the
//! parser's promises: days sorted and each date once, every day's and transfer's
//! year declared by a decree line, and building the routing calendar from it (and
//! limiting it to its own years) works and changes nothing.

#![no_main]

use chrono::Datelike;
use hotline::directory::calendar::parse_calendar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_calendar(text) {
        Err(error) => {
            assert!(!error.lines.is_empty());
            let count = text.lines().count();
            for line in &error.lines {
                assert!((1..=count).contains(&line.line), "line {} of {count}", line.line);
                assert!(!line.message.is_empty());
            }
            let _ = error.to_string();
        }
        Ok(file) => {
            for pair in file.entries.windows(2) {
                assert!(pair[0].day < pair[1].day, "days sorted, each once");
            }
            let years = file.years();
            for entry in &file.entries {
                assert!(years.contains(&entry.day.year()), "day without its decree");
            }
            for transfer in &file.transfers {
                assert!(years.contains(&transfer.from.year()), "transfer without its decree");
            }
            let calendar = file.calendar();
            assert_eq!(calendar.days.len(), file.entries.len());
            assert_eq!(file.only_years(&years), file);
        }
    }
});
