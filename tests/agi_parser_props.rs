//! A stable-toolchain stand-in for the cargo-fuzz target (`fuzz/`): tens of
//! thousands of random and mutated byte strings through both AGI parsers, checking
//! they never panic and keep their contract. Seeded, so a failure reproduces; set
//! `HOTLINE_PROPS_SEED` to explore other seeds, `HOTLINE_PROPS_CASES` for more.

use hotline::agi::frame::{MAX_FRAME, MAX_LINE};
use hotline::agi::{Environment, FrameError, ReplyFrame};

/// Valid frames to mutate: captured off Asterisk 22 and hand-written edge cases
/// (the same files seed the fuzz corpus).
const SEEDS: &[&[u8]] = &[
    include_bytes!("../fuzz/corpus/agi_frame/environment-route"),
    include_bytes!("../fuzz/corpus/agi_frame/environment-hangup"),
    include_bytes!("../fuzz/corpus/agi_frame/replies"),
    include_bytes!("../fuzz/corpus/agi_frame/usage-520"),
    include_bytes!("../fuzz/corpus/agi_frame/hangup-511"),
    b"200 result=0 (timeout) endpos=1234\n100 result=0 Trying...\n",
    b"agi_calleridname: \xc8\xe2\xe0\xed\r\nagi_arg_1: 122\r\n\r\n",
];

/// Bytes the parsers care about, so random data hits their branches often.
const INTERESTING: &[u8] = b"\n\r :()-=_agi0123456789 result endpos HANGUP\xff\xc3\x00";

fn cases() -> usize {
    std::env::var("HOTLINE_PROPS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

fn rng() -> fastrand::Rng {
    let seed = std::env::var("HOTLINE_PROPS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(122_117);
    fastrand::Rng::with_seed(seed)
}

fn random_bytes(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = rng.usize(0..200);
    (0..len)
        .map(|_| {
            if rng.bool() {
                INTERESTING[rng.usize(..INTERESTING.len())]
            } else {
                rng.u8(..)
            }
        })
        .collect()
}

fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.usize(1..6) {
        let at = rng.usize(0..=bytes.len());
        match rng.u8(0..7) {
            0 if !bytes.is_empty() => {
                let i = rng.usize(..bytes.len());
                bytes[i] ^= 1 << rng.u8(0..8);
            }
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, INTERESTING[rng.usize(..INTERESTING.len())]),
            3 => bytes.truncate(at),
            4 => {
                // Repeat a slice: long lines, duplicate variables.
                let end = rng.usize(at..=bytes.len());
                let piece = bytes[at..end].to_vec();
                for _ in 0..rng.usize(1..50) {
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
            5 => {
                let other = SEEDS[rng.usize(..SEEDS.len())];
                bytes.splice(at..at, other.iter().copied());
            }
            _ => bytes.insert(at, rng.u8(..)),
        }
    }
    bytes
}

/// The contract both parsers keep on any input.
fn check(bytes: &[u8]) {
    match Environment::parse(bytes) {
        Ok(Some((_, used))) => {
            assert!(used > 0 && used <= bytes.len() && used <= MAX_FRAME);
            assert_eq!(bytes[used - 1], b'\n');
        }
        Ok(None) => assert!(bytes.len() <= MAX_FRAME + MAX_LINE),
        Err(FrameError::LineTooLong { line }) => assert!(line >= 1),
        Err(_) => {}
    }
    match ReplyFrame::parse(bytes) {
        Ok(Some((_, used))) => {
            assert!(used > 0 && used <= bytes.len());
            assert_eq!(bytes[used - 1], b'\n');
            // A complete frame parses the same with more bytes behind it.
            let mut longer = bytes[..used].to_vec();
            longer.extend_from_slice(b"200 result=1\n");
            assert_eq!(
                ReplyFrame::parse(&longer).map(|f| f.map(|(_, n)| n)),
                Ok(Some(used))
            );
        }
        Ok(None) => {}
        Err(_) => {}
    }
}

#[test]
fn random_bytes_never_panic_the_parsers() {
    let mut rng = rng();
    for _ in 0..cases() {
        check(&random_bytes(&mut rng));
    }
}

#[test]
fn mutated_captures_never_panic_the_parsers() {
    let mut rng = rng();
    for _ in 0..cases() {
        let seed = SEEDS[rng.usize(..SEEDS.len())];
        check(&mutate(&mut rng, seed));
    }
}

#[test]
fn every_prefix_of_a_valid_frame_is_incomplete_never_an_error() {
    for seed in SEEDS {
        let Ok(Some((_, used))) = ReplyFrame::parse(seed)
            .or_else(|_| Environment::parse(seed).map(|o| o.map(|(_, n)| (ReplyFrame::Trying, n))))
        else {
            continue;
        };
        for cut in 0..used {
            let prefix = &seed[..cut];
            assert!(
                matches!(ReplyFrame::parse(prefix), Ok(None))
                    || matches!(Environment::parse(prefix), Ok(None)),
                "prefix {cut} of {:?}",
                String::from_utf8_lossy(seed)
            );
        }
    }
}

#[test]
fn huge_inputs_are_refused_quickly_not_buffered() {
    let no_newline = vec![b'a'; 4 * MAX_FRAME];
    assert!(Environment::parse(&no_newline).is_err());
    assert!(ReplyFrame::parse(&no_newline).is_err());
    let many_lines = b"agi_x: y\n".repeat(MAX_FRAME);
    assert!(Environment::parse(&many_lines).is_err());
}
