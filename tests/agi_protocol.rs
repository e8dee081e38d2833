//! The FastAGI wire format from byte literals. The environment blocks and replies
//! marked "captured" were recorded off the sandbox's Asterisk 22.10.1 (a Python
//! FastAGI listener answering `agi-example.conf`'s first `AGI()` of a SIPp call).

use std::time::Duration;

use hotline::agi::command::{
    MAX_COMMAND, assignments_like_asterisk, set_all, split_lengths, split_like_array,
    split_like_asterisk,
};
use hotline::agi::frame::{MAX_FRAME, MAX_LINE};
use hotline::agi::{
    AgiText, Command, CommandError, Connection, ConnectionError, Environment, FrameError, Reply,
    ReplyFrame, VariableName,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Captured: the environment of `AGI(agi://127.0.0.1:4599/route,122)`.
const ROUTE_ENVIRONMENT: &[u8] = b"agi_network: yes\n\
agi_network_script: route\n\
agi_request: agi://127.0.0.1:4599/route\n\
agi_channel: PJSIP/citizen-agi-00000024\n\
agi_language: ru\n\
agi_type: PJSIP\n\
agi_uniqueid: 1795893746.36\n\
agi_version: 22.10.1+dfsg+~cs6.17.60671434-1\n\
agi_callerid: 79990000001\n\
agi_calleridname: citizen\n\
agi_callingpres: 0\n\
agi_callingani2: 0\n\
agi_callington: 0\n\
agi_callingtns: 0\n\
agi_dnid: 122\n\
agi_rdnis: unknown\n\
agi_context: hotline-agi-call\n\
agi_extension: 122\n\
agi_priority: 7\n\
agi_enhanced: 0.0\n\
agi_accountcode: \n\
agi_threadid: 140443319809728\n\
agi_arg_1: 122\n\
\n";

/// Captured: the `h` extension's `AGI(…/result,hangup)` on the same channel.
const HANGUP_ENVIRONMENT: &[u8] = b"agi_network: yes\n\
agi_network_script: result\n\
agi_request: agi://127.0.0.1:4599/result\n\
agi_channel: PJSIP/citizen-agi-00000024\n\
agi_uniqueid: 1795893746.36\n\
agi_callerid: 79990000001\n\
agi_context: hotline-agi-call\n\
agi_extension: h\n\
agi_priority: 1\n\
agi_arg_1: hangup\n\
\n";

fn environment(bytes: &[u8]) -> Environment {
    let (environment, used) = Environment::parse(bytes).expect("valid").expect("complete");
    assert_eq!(used, bytes.len());
    environment
}

fn reply(bytes: &[u8]) -> (ReplyFrame, usize) {
    ReplyFrame::parse(bytes).expect("valid").expect("complete")
}

fn success(result: i64, data: Option<&str>, endpos: Option<u64>) -> ReplyFrame {
    ReplyFrame::Reply(Reply::Success {
        result,
        data: data.map(str::to_owned),
        endpos,
    })
}

// ------------------------------------------------------------------- environment

#[test]
fn a_captured_environment_parses_with_its_script_and_arguments() {
    let env = environment(ROUTE_ENVIRONMENT);
    assert_eq!(env.network_script(), Some("route"));
    assert_eq!(env.args(), ["122"]);
    assert_eq!(env.unique_id(), Some("1795893746.36"));
    assert_eq!(env.caller_number(), Some("79990000001"));
    assert_eq!(env.channel(), Some("PJSIP/citizen-agi-00000024"));
    assert_eq!(env.get("agi_accountcode"), Some(""));
    assert_eq!(env.get("agi_rdnis"), Some("unknown"));
    assert_eq!(env.iter().count(), 23);

    let hangup = environment(HANGUP_ENVIRONMENT);
    assert_eq!(hangup.network_script(), Some("result"));
    assert_eq!(hangup.args(), ["hangup"]);
    assert_eq!(hangup.get("agi_extension"), Some("h"));
}

#[test]
fn arguments_keep_empty_values_and_stop_at_a_gap() {
    let env = environment(
        b"agi_network_script: route\nagi_uniqueid: 1.2\nagi_arg_1: 122\nagi_arg_2: \nagi_arg_3: 1\nagi_arg_5: x\n\n",
    );
    assert_eq!(env.args(), ["122", "", "1"]);
    let none = environment(b"agi_uniqueid: 1.2\n\n");
    assert!(none.args().is_empty());
    assert_eq!(none.network_script(), None);
    let unknown_caller = environment(b"agi_callerid: unknown\n\n");
    assert_eq!(unknown_caller.caller_number(), None);
}

#[test]
fn an_environment_without_its_blank_line_is_incomplete_at_every_cut() {
    for cut in 0..ROUTE_ENVIRONMENT.len() {
        assert_eq!(
            Environment::parse(&ROUTE_ENVIRONMENT[..cut]),
            Ok(None),
            "cut at {cut}"
        );
    }
    // What follows the blank line is not part of it.
    let mut more = ROUTE_ENVIRONMENT.to_vec();
    more.extend_from_slice(b"200 result=1\n");
    let (_, used) = Environment::parse(&more).unwrap().unwrap();
    assert_eq!(used, ROUTE_ENVIRONMENT.len());
}

#[test]
fn crlf_line_ends_are_accepted() {
    let env = environment(b"agi_network_script: route\r\nagi_arg_1: 117\r\n\r\n");
    assert_eq!(env.args(), ["117"]);
}

#[test]
fn malformed_environment_lines_are_refused_with_their_line_number() {
    for (bytes, line) in [
        (&b"agi_uniqueid 1.2\n\n"[..], 1),
        (b"agi_uniqueid: 1\nAGI_ARG_1: x\n\n", 2),
        (b"uniqueid: 1\n\n", 1),
        (b"agi_: x\n\n", 1),
        (b"agi_arg_1:x\n\n", 1),
        (b"agi_arg 1: x\n\n", 1),
        (b"agi_arg_1: a\nagi_arg_1: b\n\n", 2),
        (b"200 result=1\n\n", 1),
        (b"HANGUP\n\n", 1),
    ] {
        match Environment::parse(bytes) {
            Err(FrameError::MalformedEnvironment { line: got, .. }) => {
                assert_eq!(got, line, "{:?}", String::from_utf8_lossy(bytes));
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bytes)),
        }
    }
}

#[test]
fn non_utf8_is_refused_except_in_what_the_caller_controls() {
    assert_eq!(
        Environment::parse(b"agi_uniqueid: 1\nagi_channel: PJSIP/\xff\xfe\n\n"),
        Err(FrameError::NotUtf8 { line: 2, byte: 19 })
    );
    assert!(matches!(
        Environment::parse(b"agi_\xd0: x\n\n"),
        Err(FrameError::MalformedEnvironment { line: 1, .. })
    ));
    // cp1251 "Иван" from an old trunk: kept, lossily.
    let env = environment(b"agi_calleridname: \xc8\xe2\xe0\xed\nagi_callerid: 7\xff\n\n");
    assert_eq!(
        env.get("agi_calleridname"),
        Some("\u{fffd}\u{fffd}\u{fffd}\u{fffd}")
    );
    assert_eq!(env.caller_number(), Some("7\u{fffd}"));
}

#[test]
fn over_long_lines_and_frames_are_refused_before_they_end() {
    let mut long = b"agi_calleridname: ".to_vec();
    long.resize(MAX_LINE + 10, b'x');
    assert_eq!(
        Environment::parse(&long),
        Err(FrameError::LineTooLong { line: 1 })
    );
    assert_eq!(
        ReplyFrame::parse(&vec![b'2'; MAX_LINE]),
        Err(FrameError::LineTooLong { line: 1 })
    );
    // Just under the limit, newline included, is fine.
    let mut fits = b"agi_arg_1: ".to_vec();
    fits.resize(MAX_LINE - 1, b'y');
    fits.extend_from_slice(b"\n\n");
    assert!(Environment::parse(&fits).unwrap().is_some());

    let mut many = Vec::new();
    for n in 0.. {
        many.extend_from_slice(format!("agi_arg_{n}: {}\n", "z".repeat(1000)).as_bytes());
        if many.len() > MAX_FRAME {
            break;
        }
    }
    assert_eq!(Environment::parse(&many), Err(FrameError::FrameTooLarge));
}

// ------------------------------------------------------------------- replies

#[test]
fn captured_success_replies() {
    assert_eq!(
        reply(b"200 result=1 (1795893746.36)\n"),
        (success(1, Some("1795893746.36"), None), 29)
    );
    assert_eq!(reply(b"200 result=0\n").0, success(0, None, None));
    assert_eq!(
        reply(b"200 result=-1 endpos=28480\n").0,
        success(-1, None, Some(28480))
    );
    assert_eq!(
        reply("200 result=1 (a \"b\" c\\d é)\n".as_bytes()).0,
        success(1, Some("a \"b\" c\\d é"), None)
    );
    assert_eq!(
        reply("200 result=1 (a \"b\" c\\d é|122)\n".as_bytes()).0,
        success(1, Some("a \"b\" c\\d é|122"), None)
    );
}

#[test]
fn success_replies_with_data_and_endpos_together_or_tricky_data() {
    assert_eq!(
        reply(b"200 result=0 (timeout) endpos=1234\n").0,
        success(0, Some("timeout"), Some(1234))
    );
    assert_eq!(
        reply(b"200 result=1 (x) endpos=5)\n").0,
        success(1, Some("x) endpos=5"), None)
    );
    assert_eq!(
        reply(b"200 result=1 ((nested) (parens))\n").0,
        success(1, Some("(nested) (parens)"), None)
    );
    assert_eq!(reply(b"200 result=1 ()\n").0, success(1, Some(""), None));
    assert_eq!(reply(b"200 result=1\r\n"), (success(1, None, None), 14));
}

#[test]
fn malformed_success_replies_are_refused() {
    for line in [
        &b"200 result=\n"[..],
        b"200 result=x\n",
        b"200 result=1x\n",
        b"200 result=1 (unclosed\n",
        b"200 result=1 data\n",
        b"200 result=1  (two spaces)\n",
        b"200 ok\n",
        b"200 result=99999999999999999999\n",
        b"200 result=1 endpos=\n",
    ] {
        assert!(
            matches!(
                ReplyFrame::parse(line),
                Err(FrameError::MalformedReply { .. })
            ),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn captured_error_replies() {
    assert_eq!(
        reply(b"510 Invalid or unknown command\n").0,
        ReplyFrame::Reply(Reply::InvalidCommand {
            message: "Invalid or unknown command".into()
        })
    );
    assert_eq!(
        reply(b"511 Command Not Permitted on a dead channel or intercept routine\n").0,
        ReplyFrame::Reply(Reply::DeadChannel {
            message: "Command Not Permitted on a dead channel or intercept routine".into()
        })
    );
    // The older wording too.
    assert!(matches!(
        reply(b"511 Command Not Permitted on a dead channel\n").0,
        ReplyFrame::Reply(Reply::DeadChannel { .. })
    ));
}

#[test]
fn a_captured_multi_line_520_is_one_reply_and_incomplete_until_its_end() {
    let bytes = b"520-Invalid command syntax.  Proper usage follows:\n\
Sets a variable to the current channel.\n\
520 End of proper usage.\n";
    assert_eq!(
        reply(bytes),
        (
            ReplyFrame::Reply(Reply::Usage {
                lines: vec!["Sets a variable to the current channel.".into()]
            }),
            bytes.len()
        )
    );
    for cut in 0..bytes.len() {
        assert_eq!(ReplyFrame::parse(&bytes[..cut]), Ok(None), "cut at {cut}");
    }
    assert_eq!(
        reply(b"520 Invalid command syntax.  Proper usage not available.\n").0,
        ReplyFrame::Reply(Reply::Usage { lines: vec![] })
    );
}

#[test]
fn trying_and_hangup_are_frames_of_their_own() {
    assert_eq!(
        reply(b"100 result=0 Trying...\n200 result=1\n"),
        (ReplyFrame::Trying, 23)
    );
    // Captured: HANGUP came just before the reply to the next command.
    let bytes = b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n";
    assert_eq!(reply(bytes), (ReplyFrame::Hangup, 7));
    assert!(matches!(
        reply(&bytes[7..]).0,
        ReplyFrame::Reply(Reply::DeadChannel { .. })
    ));
}

#[test]
fn truncated_and_unexpected_lines() {
    assert_eq!(ReplyFrame::parse(b""), Ok(None));
    assert_eq!(ReplyFrame::parse(b"200 result=1"), Ok(None));
    assert_eq!(ReplyFrame::parse(b"HANG"), Ok(None));
    for line in [
        &b"HANGUP now\n"[..],
        b"hello\n",
        b"\n",
        b"2000 result=1\n",
        b"5100\n",
    ] {
        assert!(
            matches!(
                ReplyFrame::parse(line),
                Err(FrameError::UnexpectedLine { .. })
            ),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(
        ReplyFrame::parse(b"200 result=1 (\xc3\x28)\n"),
        Err(FrameError::NotUtf8 { line: 1, byte: 14 })
    );
    assert_eq!(
        ReplyFrame::parse(b"520-usage\n\xff\n520 end\n"),
        Err(FrameError::NotUtf8 { line: 2, byte: 0 })
    );
}

// ------------------------------------------------------------------- commands

fn name(text: &str) -> VariableName {
    VariableName::new(text).unwrap()
}

#[test]
fn commands_encode_as_asterisk_reads_them() {
    let set = Command::set(name("HOTLINE_X"), AgiText::new("a \"b\" c\\d é").unwrap());
    let line = set.encode().unwrap();
    // Byte for byte what the capture sent, and Asterisk stored `a "b" c\d é`.
    assert_eq!(line, "SET VARIABLE HOTLINE_X \"a \\\"b\\\" c\\\\d é\"\n");
    assert_eq!(
        split_like_asterisk(&line),
        ["SET", "VARIABLE", "HOTLINE_X", "a \"b\" c\\d é"]
    );
    assert_eq!(
        Command::get(name("DIALSTATUS")).encode().unwrap(),
        "GET VARIABLE DIALSTATUS\n"
    );
    assert_eq!(
        Command::set(name("E"), AgiText::default())
            .encode()
            .unwrap(),
        "SET VARIABLE E \"\"\n"
    );
    assert_eq!(
        split_like_asterisk("SET VARIABLE E \"\"\n"),
        ["SET", "VARIABLE", "E", ""]
    );
    assert_eq!(
        Command::Verbose {
            message: AgiText::new("hi").unwrap(),
            level: 9
        }
        .encode()
        .unwrap(),
        "VERBOSE \"hi\" 4\n"
    );
    assert_eq!(Command::Noop.encode().unwrap(), "NOOP\n");
}

#[test]
fn values_with_line_breaks_or_controls_are_refused_or_replaced() {
    for (text, code, at) in [
        ("a\nSET VARIABLE X 1", 0x0a, 1),
        ("a\r", 0x0d, 1),
        ("\0", 0, 0),
        ("tab\there", 0x09, 3),
        ("del\x7f", 0x7f, 3),
        ("é\u{85}", 0x85, 2),
        ("x\u{2028}", 0x2028, 1),
    ] {
        assert_eq!(
            AgiText::new(text),
            Err(CommandError::ControlCharacter { code, at }),
            "{text:?}"
        );
    }
    let lossy = AgiText::lossy("line one\nEXEC Dial PJSIP/evil\r\n\"");
    assert_eq!(lossy.as_str(), "line one EXEC Dial PJSIP/evil  \"");
    let line = Command::set(name("HOTLINE_REASON"), lossy.clone())
        .encode()
        .unwrap();
    assert_eq!(line.matches('\n').count(), 1);
    assert_eq!(
        split_like_asterisk(&line),
        ["SET", "VARIABLE", "HOTLINE_REASON", lossy.as_str()]
    );
}

#[test]
fn variable_names_are_plain_words() {
    for good in ["A", "_x", "HOTLINE_TARGET_12", "dialstatus"] {
        assert!(VariableName::new(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "1ABC",
        "A B",
        "CALLERID(name)",
        "X\"",
        "X\n",
        "Ж",
        &"A".repeat(81),
    ] {
        assert!(
            matches!(
                VariableName::new(bad),
                Err(CommandError::BadVariableName { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_command_longer_than_asterisks_buffer_is_never_sent() {
    let long = AgiText::new("\"".repeat(MAX_COMMAND / 2)).unwrap();
    assert!(matches!(
        Command::set(name("X"), long).encode(),
        Err(CommandError::TooLong { .. })
    ));
    let cut = AgiText::lossy(&"д".repeat(3000)).truncated(1000);
    assert!(cut.as_str().len() <= 1000 && cut.as_str().ends_with('…'));
    assert!(Command::set(name("X"), cut).encode().is_ok());
}

/// Whatever text a value holds, once accepted it reaches Asterisk as exactly one
/// word of exactly one command.
#[test]
fn any_accepted_value_is_one_word_of_one_command() {
    let alphabet: Vec<char> = "aZ09 \t\"\\'&,;()$%{}|#\n\r\0éЖ\u{7f}\u{2028}"
        .chars()
        .collect();
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..20_000 {
        let len = rng.usize(0..40);
        let text: String = (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect();
        let value = match AgiText::new(text.clone()) {
            Ok(value) => value,
            Err(_) => AgiText::lossy(&text),
        };
        let line = Command::set(name("V"), value.clone()).encode().unwrap();
        assert_eq!(line.matches('\n').count(), 1, "{text:?}");
        assert!(!line.contains('\r'));
        assert_eq!(
            split_like_asterisk(&line),
            ["SET", "VARIABLE", "V", value.as_str()],
            "{text:?}"
        );
    }
}

/// What Asterisk sets for the commands `set_all` made, each checked to be one
/// whole line that fits Asterisk's buffer.
fn assignments_asterisk_reads(commands: &[Command]) -> Vec<(String, String)> {
    let mut set = Vec::new();
    for command in commands {
        let line = command.encode().expect("set_all makes sendable commands");
        assert!(line.len() <= MAX_COMMAND, "{} bytes", line.len());
        assert_eq!(line.matches('\n').count(), 1, "{line:?}");
        if let Command::SetVariables { pairs } = command {
            assert_eq!(
                split_like_array(&split_like_asterisk(&line)[3]).len(),
                pairs.len()
            );
        }
        set.extend(assignments_like_asterisk(&line).expect("a SET VARIABLE line"));
    }
    set
}

#[test]
fn several_variables_go_in_one_array_command() {
    let pairs = vec![
        (name("A"), AgiText::new("x,y").unwrap()),
        (name("B"), AgiText::new("(z,q").unwrap()),
        (
            name("C"),
            AgiText::new("Привет \"мир\" (да)\\ конец]").unwrap(),
        ),
        (name("D"), AgiText::default()),
        (name("E"), AgiText::new("a|b[c]{d}$x${UNIQUEID}'").unwrap()),
    ];
    let commands = set_all(pairs.clone());
    assert_eq!(commands.len(), 1);
    // Byte for byte the line Asterisk 22 took in the sandbox, storing A..E as given.
    let line = commands[0].encode().unwrap();
    assert_eq!(
        line,
        concat!(
            r#"SET VARIABLE "ARRAY(A,B,C,D,E)" "x\\,y,\\(z\\,q,Привет \\\"мир\\\" "#,
            r#"\\(да\\)\\\\ конец\\],,a\\|b\\[c\\]\\{d\\}$x$\\{UNIQUEID\\}\\'""#,
            "\n"
        )
    );
    let expected: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_str().to_owned()))
        .collect();
    assert_eq!(assignments_asterisk_reads(&commands), expected);
    // One assignment alone stays a plain SET VARIABLE.
    let one = set_all([(name("A"), AgiText::new("1").unwrap())]);
    assert_eq!(one, [Command::set(name("A"), AgiText::new("1").unwrap())]);
    assert!(set_all([]).is_empty());
}

/// However long and hostile the values, `set_all` sends every assignment once, in
/// order, in commands Asterisk reads whole, and packs them (no command could have
/// taken the next assignment too).
#[test]
fn set_all_packs_any_values_in_order_within_the_buffer() {
    let alphabet: Vec<char> = "aZ09 \"\\'&,;()[]{}|$%#éЖ".chars().collect();
    let mut rng = fastrand::Rng::with_seed(14);
    for round in 0..2_000 {
        let count = rng.usize(0..60);
        let pairs: Vec<(VariableName, AgiText)> = (0..count)
            .map(|i| {
                let len = match rng.u8(..10) {
                    0 => rng.usize(500..1500),
                    _ => rng.usize(0..40),
                };
                let text: String = (0..len)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect();
                (name(&format!("V{i}")), AgiText::new(text).unwrap())
            })
            .collect();
        let commands = set_all(pairs.clone());
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_str().to_owned()))
            .collect();
        assert_eq!(
            assignments_asterisk_reads(&commands),
            expected,
            "round {round}"
        );
        for pair in commands.windows(2) {
            let mut joined = match &pair[0] {
                Command::SetVariables { pairs } => pairs.clone(),
                Command::SetVariable { name, value } => vec![(name.clone(), value.clone())],
                other => panic!("set_all made {other:?}"),
            };
            if joined.len() == 64 {
                continue; // ARRAY's own limit, not the buffer's
            }
            joined.push(match &pair[1] {
                Command::SetVariables { pairs } => pairs[0].clone(),
                Command::SetVariable { name, value } => (name.clone(), value.clone()),
                other => panic!("set_all made {other:?}"),
            });
            assert!(
                matches!(
                    (Command::SetVariables { pairs: joined }).encode(),
                    Err(CommandError::TooLong { .. })
                ),
                "round {round}: a command could have taken one more assignment"
            );
        }
    }
}

#[test]
fn several_variables_come_back_length_prefixed() {
    let get = Command::GetVariables {
        names: vec![name("A"), name("DIALSTATUS")],
    };
    assert_eq!(
        get.encode().unwrap(),
        "GET FULL VARIABLE \"${LEN(${A})}:${A}${LEN(${DIALSTATUS})}:${DIALSTATUS}\"\n"
    );
    // Asterisk 22's reply for A = `x:5:y`, DIALSTATUS = ANSWER, and what a value
    // with separators inside still splits into.
    assert_eq!(
        split_lengths("5:x:5:y6:ANSWER", 2),
        Some(vec!["x:5:y".to_owned(), "ANSWER".to_owned()])
    );
    assert_eq!(
        split_lengths("0:0:", 2),
        Some(vec![String::new(), String::new()])
    );
    assert_eq!(
        split_lengths("12:Привет", 1),
        Some(vec!["Привет".to_owned()])
    );
    // LEN counts bytes. Cut short, too long, not a length, or a length inside a
    // character.
    for bad in ["5:abc", "1:ab", "x:a", ":a", "1:Ж", "3:abc0:"] {
        assert_eq!(split_lengths(bad, 1), None, "{bad:?}");
    }
    assert_eq!(split_lengths("3:abc", 2), None);
}

// ------------------------------------------------------------------- connection

const TIMEOUT: Duration = Duration::from_secs(2);

/// A connection and the fake Asterisk at the other end of an in-memory pipe.
fn pipe() -> (Connection<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    (Connection::new(ours, TIMEOUT), theirs)
}

async fn read_line(peer: &mut tokio::io::DuplexStream) -> String {
    let mut line = Vec::new();
    loop {
        let byte = peer.read_u8().await.unwrap();
        line.push(byte);
        if byte == b'\n' {
            return String::from_utf8(line).unwrap();
        }
    }
}

#[tokio::test]
async fn a_dialog_with_trying_and_hangup_in_the_middle() {
    let (mut connection, mut asterisk) = pipe();
    let script = tokio::spawn(async move {
        let env = connection.read_environment().await.unwrap();
        assert_eq!(env.args(), ["122"]);
        let first = connection
            .send(&Command::get(name("DIALSTATUS")))
            .await
            .unwrap();
        assert_eq!(first.value(), Some("BUSY"));
        assert!(!connection.hung_up());
        let second = connection
            .send(&Command::set(name("X"), AgiText::new("1").unwrap()))
            .await
            .unwrap();
        assert_eq!(
            second,
            Reply::Success {
                result: 1,
                data: None,
                endpos: None
            }
        );
        assert!(connection.hung_up());
        let third = connection.send(&Command::Noop).await.unwrap();
        assert!(matches!(third, Reply::DeadChannel { .. }));
    });
    // The environment arrives in pieces.
    for piece in ROUTE_ENVIRONMENT.chunks(7) {
        asterisk.write_all(piece).await.unwrap();
    }
    assert_eq!(read_line(&mut asterisk).await, "GET VARIABLE DIALSTATUS\n");
    asterisk
        .write_all(b"100 result=0 Trying...\n200 result=1 (BUSY)\n")
        .await
        .unwrap();
    assert_eq!(read_line(&mut asterisk).await, "SET VARIABLE X \"1\"\n");
    asterisk.write_all(b"HANGUP\n200 result=1\n").await.unwrap();
    assert_eq!(read_line(&mut asterisk).await, "NOOP\n");
    asterisk
        .write_all(b"511 Command Not Permitted on a dead channel or intercept routine\n")
        .await
        .unwrap();
    script.await.unwrap();
}

#[tokio::test]
async fn a_520_usage_reply_comes_back_whole() {
    let (mut connection, mut asterisk) = pipe();
    let script = tokio::spawn(async move {
        connection.read_environment().await.unwrap();
        connection.send(&Command::Noop).await.unwrap()
    });
    asterisk.write_all(b"agi_uniqueid: 1\n\n").await.unwrap();
    read_line(&mut asterisk).await;
    asterisk
        .write_all(b"520-Invalid command syntax.  Proper usage follows:\nUsage: NOOP\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    asterisk
        .write_all(b"520 End of proper usage.\n")
        .await
        .unwrap();
    assert_eq!(
        script.await.unwrap(),
        Reply::Usage {
            lines: vec!["Usage: NOOP".into()]
        }
    );
}

#[tokio::test]
async fn a_peer_that_closes_mid_frame_or_between_frames() {
    let (mut connection, mut asterisk) = pipe();
    asterisk
        .write_all(b"agi_uniqueid: 1\nagi_arg_1: 1")
        .await
        .unwrap();
    drop(asterisk);
    assert!(matches!(
        connection.read_environment().await,
        Err(ConnectionError::Truncated(28))
    ));

    let (mut connection, mut asterisk) = pipe();
    asterisk.write_all(b"agi_uniqueid: 1\n\n").await.unwrap();
    connection.read_environment().await.unwrap();
    drop(asterisk);
    assert!(matches!(
        connection.send(&Command::Noop).await,
        Err(ConnectionError::Io(_) | ConnectionError::Closed)
    ));
}

#[tokio::test]
async fn a_missing_blank_line_or_a_silent_peer_times_out() {
    let (ours, mut asterisk) = tokio::io::duplex(1024);
    let mut connection = Connection::new(ours, Duration::from_millis(100));
    asterisk
        .write_all(b"agi_uniqueid: 1\nagi_arg_1: 122\n")
        .await
        .unwrap();
    assert!(matches!(
        connection.read_environment().await,
        Err(ConnectionError::Timeout(_))
    ));
}

#[tokio::test]
async fn an_unsafe_command_is_refused_before_anything_is_sent() {
    let (mut connection, mut asterisk) = pipe();
    asterisk.write_all(b"agi_uniqueid: 1\n\n").await.unwrap();
    connection.read_environment().await.unwrap();
    let long = AgiText::new("x".repeat(MAX_COMMAND)).unwrap();
    assert!(matches!(
        connection.send(&Command::set(name("X"), long)).await,
        Err(ConnectionError::Command(CommandError::TooLong { .. }))
    ));
    drop(connection);
    let mut rest = Vec::new();
    asterisk.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[tokio::test]
async fn garbage_instead_of_a_reply_is_a_protocol_error() {
    let (mut connection, mut asterisk) = pipe();
    asterisk.write_all(b"agi_uniqueid: 1\n\n").await.unwrap();
    connection.read_environment().await.unwrap();
    asterisk.write_all(b"SIP/2.0 200 OK\n").await.unwrap();
    assert!(matches!(
        connection.send(&Command::Noop).await,
        Err(ConnectionError::Frame(FrameError::UnexpectedLine { .. }))
    ));
}
