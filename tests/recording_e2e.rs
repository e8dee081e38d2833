//! A recorded line end to end: the citizen hears the notice, the conversation with
//! staff is recorded by Asterisk under the call's id, the file is as long as the
//! conversation, an admin (only) plays it through the console and the access is
//! audited, and the retention cleanup removes it once the clock passes the line's
//! retention, marking the journal.
//!
//! Needs the sandbox (`scripts/sandbox start`) and SIPp; skipped without them.

mod common;
mod e2e;

use std::path::PathBuf;

use e2e::{ConsoleSession, Phone, Scene, Sipp, enabled, purge_recordings, sandbox_root};

/// The recordings' folder of this test, inside Asterisk's recording directory.
const FOLDER: &str = "e2e-recording";

/// Bytes per second of Asterisk's WAV recordings (8 kHz, 16-bit, mono).
const WAV_BYTES_PER_SECOND: f64 = 16_000.0;

fn recording_dir() -> PathBuf {
    sandbox_root()
        .join("var/spool/asterisk/recording")
        .join(FOLDER)
}

/// Seconds of audio in a WAV file, from its `data` chunk's size.
fn wav_seconds(bytes: &[u8]) -> f64 {
    assert_eq!(&bytes[0..4], b"RIFF", "not a WAV file");
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"data" {
            // Asterisk fills the size in when the recording ends; trust the file's
            // length if it did not.
            let size = size.min(bytes.len() - at - 8);
            return size as f64 / WAV_BYTES_PER_SECOND;
        }
        at += 8 + size + size % 2;
    }
    panic!("no data chunk in the WAV file");
}

#[test]
fn a_recorded_line_records_the_conversation_and_the_cleanup_removes_it_after_retention() {
    if !enabled() {
        return;
    }
    let _ = std::fs::remove_dir_all(recording_dir());
    let scene = Scene::build("recording_e2e")
        .tune(&[
            "UPDATE line SET record_calls = true, recording_retention_days = 30 WHERE number = '122'",
        ])
        .settings(&[("HOTLINE_RECORDING_FOLDER", FOLDER)])
        .console_users()
        .start();

    // Health on Tuesday morning: staff01 answers. The citizen presses 1 during the
    // greeting and notice (11 s, not cut short), which then lead to "connecting"
    // (3 s) and staff; the citizen hangs up 20 s after the digit.
    let staff = scene.phone("staff01", Phone::Answers);
    Sipp::citizen("122", Some("1"), 20_000, &scene.work).assert_success();
    staff.assert_success();

    let directory = &scene.directory;
    directory.wait_for_row(
        "SELECT (ended_at IS NOT NULL AND recording_name IS NOT NULL)::text FROM call_record",
        "true",
    );
    let row = &directory.rows(
        "SELECT call_key, recording_name,
                extract(epoch FROM ended_at - answered_at)::text,
                to_char((entered_at + interval '29 days') AT TIME ZONE 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                to_char((entered_at + interval '31 days') AT TIME ZONE 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                outcome::text
           FROM call_record",
    )[0];
    let text = |i: usize| row[i].clone().unwrap_or_default();
    let (call_key, name) = (text(0), text(1));
    assert_eq!(name, format!("{FOLDER}/{call_key}"));
    assert_eq!(text(5), "answered_by_staff");
    let conversation: f64 = text(2).parse().unwrap();

    // The notice came before the menu.
    scene.service.wait_for_log("hotline/recording-notice");

    // The file is there, named after the call, as long as the conversation.
    let file = recording_dir().join(format!("{call_key}.wav"));
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let recorded = wav_seconds(&bytes);
    assert!(
        conversation > 2.0 && (recorded - conversation).abs() < 1.0,
        "recorded {recorded:.2} s of a {conversation:.2} s conversation"
    );
    eprintln!("recorded {recorded:.2} s of a {conversation:.2} s conversation");

    // Only admins hear it; each hearing is written down.
    let operator = ConsoleSession::sign_in(&scene.service, "operator1");
    let (status, _, _) = operator.get_raw(&format!("/api/calls/{call_key}/recording"));
    assert_eq!(status, 403);
    let admin = ConsoleSession::sign_in(&scene.service, "admin");
    let (status, content_type, served) =
        admin.get_raw(&format!("/api/calls/{call_key}/recording?download=1"));
    assert_eq!((status, content_type.as_str()), (200, "audio/wav"));
    assert_eq!(served, bytes, "the console serves the file Asterisk keeps");
    let access = admin.get(&format!("/api/recordings/access?call={call_key}"));
    assert_eq!(access.as_array().map(Vec::len), Some(1), "{access}");
    assert_eq!(access[0]["console_user"], "admin");
    let listed = admin.get("/api/recordings");
    assert_eq!(listed[0]["call_key"], call_key.as_str(), "{listed}");

    // Day 29: kept. Day 31: removed, and the journal says when.
    let url = directory.db.url();
    assert!(purge_recordings(&url, &[], &text(3)).contains("removed 0,"));
    assert!(file.exists());
    let output = purge_recordings(&url, &[], &text(4));
    assert!(output.contains("removed 1,"), "{output}");
    assert!(!file.exists(), "{} is still there", file.display());
    directory.wait_for_row(
        "SELECT (recording_removed_at IS NOT NULL)::text FROM call_record",
        "true",
    );
    assert!(purge_recordings(&url, &[], &text(4)).contains("removed 0, already gone 0"));
    let (status, _, _) = admin.get_raw(&format!("/api/calls/{call_key}/recording"));
    assert_eq!(status, 409, "a removed recording is gone for good");

    scene.finish();
}
