//! Unit tests of the calendar file format: parsing, its errors, and the shipped decrees.

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

const DECREE_2099: &str = "decree 2099 Постановление № 1 от 01.09.2098\n";

#[test]
fn parses_decree_transfers_days_notes_comments_and_hours() {
    let text = format!(
        "# 2099, an example\n\n{DECREE_2099}transfer 2099-01-03 2099-01-09\n\
         transfer  2099-10-31\t2099-11-03   Своя формулировка  \n\
         2099-01-02 holiday Новогодние каникулы\n\
         2099-01-01  holiday\tНовый год  \n2099-01-10 working hours=5 Перенос с 3 января\n\
         2099-02-20 shortened\n  # indented comment\n"
    );
    let file = parse_calendar(&text).unwrap();
    assert_eq!(
        file.decrees,
        BTreeMap::from([(2099, "Постановление № 1 от 01.09.2098".to_owned())])
    );
    assert_eq!(file.transfers.len(), 2);
    assert_eq!(
        (file.transfers[0].from, file.transfers[0].to),
        (date("2099-01-03"), date("2099-01-09"))
    );
    assert_eq!(
        file.transfers[0].note,
        "Перенос выходного дня с субботы 3 января на пятницу 9 января"
    );
    assert_eq!(file.transfers[1].note, "Своя формулировка");
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
    let text = format!("{DECREE_2099}2099-01-10 working Рабочая суббота");
    let file = parse_calendar(&text).unwrap();
    assert_eq!(file.entries[0].hours_of_weekday, None);
    assert_eq!(file.entries[0].note, "Рабочая суббота");
}

#[test]
fn the_decrees_usual_wording_declines_weekdays_and_months() {
    let cases = [
        (
            "2025-01-05",
            "2025-12-31",
            "с воскресенья 5 января на среду 31 декабря",
        ),
        (
            "2025-03-08",
            "2025-06-13",
            "с субботы 8 марта на пятницу 13 июня",
        ),
        (
            "2027-02-20",
            "2027-02-22",
            "с субботы 20 февраля на понедельник 22 февраля",
        ),
        (
            "2099-10-31",
            "2099-11-03",
            "с субботы 31 октября на вторник 3 ноября",
        ),
        (
            "2025-11-01",
            "2025-11-06",
            "с субботы 1 ноября на четверг 6 ноября",
        ),
    ];
    for (from, to, words) in cases {
        let note = transfer_note(date(from), date(to));
        assert_eq!(note, format!("Перенос выходного дня {words}"));
    }
}

#[test]
fn reports_every_bad_line_with_its_number() {
    let text = format!(
        "{DECREE_2099}2099-02-30 holiday\n\n2099-03-08 holyday\n2099-01-01 holiday\n2099-01-01 holiday again\n\
         2099-05-08\n2099-05-09 holiday hours=1\n2099-06-06 working hours=8\n1.1.2099 holiday\n\
         transfer 2099-03-02 2099-03-03\ntransfer 2099-03-07 2099-03-14\ntransfer 2099-12-26 2100-01-04\n\
         transfer 2099-05-02\ntransfer 2099-01-03 2099-01-01\ndecree 2099 again\ndecree 99 Постановление\n\
         decree 2098\n2030-05-05 holiday\n"
    );
    let error = parse_calendar(&text).unwrap_err();
    let lines: Vec<String> = error.lines.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "line 2: invalid date `2099-02-30` (expected YYYY-MM-DD)",
            "line 4: unknown kind `holyday` (expected holiday, working or shortened)",
            "line 6: 2099-01-01 is listed twice (first on line 5)",
            "line 7: missing kind after 2099-05-08 (holiday, working or shortened)",
            "line 8: hours=1 is only allowed on a working day, not holiday",
            "line 9: hours=8 is not an ISO weekday (1 = Monday … 7 = Sunday)",
            "line 10: invalid date `1.1.2099` (expected YYYY-MM-DD)",
            "line 11: transfer from 2099-03-02: that is a Mon, not a Saturday or Sunday",
            "line 12: transfer to 2099-03-14: that is a Sat, not a weekday",
            "line 13: transfer from 2099-12-26 to 2100-01-04: a decree moves days off within its own year",
            "line 14: a transfer needs two dates: `transfer FROM TO` (a weekend day off moves to a weekday)",
            "line 15: 2099-01-01 is listed twice (first on line 5)",
            "line 16: the decree of 2099 is named twice (first on line 1)",
            "line 17: invalid decree year `99` (expected e.g. `decree 2027 Постановление …`)",
            "line 18: the decree of 2098 needs its source: number and date (`decree 2098 Постановление Правительства РФ от … № …`)",
            "line 19: 2030 has days but no `decree 2030 …` line naming its decree (number and date)",
        ]
    );
    assert!(
        error
            .to_string()
            .starts_with("the calendar file has 16 bad line(s):")
    );
}

#[test]
fn every_bundled_decree_parses_and_names_its_year_once() {
    let mut years = BTreeSet::new();
    for (name, text) in BUNDLED_DECREES {
        let file = parse_calendar(text).unwrap_or_else(|error| panic!("{name}: {error}"));
        let year: i32 = name[9..13].parse().unwrap();
        assert_eq!(file.years(), BTreeSet::from([year]), "{name}");
        assert!(file.decrees[&year].contains("Постановление Правительства РФ от"));
        assert!(
            file.entries.is_empty(),
            "{name}: a decree lists transfers only"
        );
        assert!(years.insert(year));
    }
}

#[test]
fn an_empty_file_lists_no_years() {
    assert_eq!(
        parse_calendar("# nothing yet\n").unwrap().years(),
        BTreeSet::new()
    );
}
