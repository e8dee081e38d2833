//! A fake Asterisk for FastAGI tests and the load client: opens a session like
//! `AGI(agi://host/SCRIPT,ARGS…)` would, and answers `SET VARIABLE` (plain or
//! `ARRAY`), `GET VARIABLE` and `GET FULL VARIABLE` (of `${NAME}` and
//! `${LEN(${NAME})}`) against an in-memory channel, parsing commands the way
//! `res_agi.c` and `ARRAY` do.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::collections::HashMap;
use std::net::SocketAddr;

use hotline::agi::command::{assignments_like_asterisk, split_like_asterisk};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The channel variables of one simulated call, shared by its AGI sessions.
#[derive(Clone, Debug, Default)]
pub struct FakeChannel {
    /// `agi_uniqueid`.
    pub unique_id: String,
    /// `agi_callerid`.
    pub caller: String,
    /// Channel variables.
    pub vars: HashMap<String, String>,
    /// Every command received, in order.
    pub commands: Vec<String>,
}

impl FakeChannel {
    pub fn new(unique_id: &str) -> Self {
        Self {
            unique_id: unique_id.to_owned(),
            caller: "79990000001".to_owned(),
            ..Self::default()
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_owned(), value.to_owned());
    }

    /// The environment block Asterisk 22 sends for `AGI(agi://…/script,args…)`.
    pub fn environment(&self, address: SocketAddr, script: &str, args: &[&str]) -> String {
        let mut env = format!(
            "agi_network: yes\nagi_network_script: {script}\nagi_request: agi://{address}/{script}\n\
             agi_channel: PJSIP/citizen-agi-00000001\nagi_language: ru\nagi_type: PJSIP\n\
             agi_uniqueid: {}\nagi_version: 22.10.1\nagi_callerid: {}\nagi_calleridname: citizen\n\
             agi_callingpres: 0\nagi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\n\
             agi_dnid: 122\nagi_rdnis: unknown\nagi_context: hotline-agi-call\nagi_extension: 122\n\
             agi_priority: 7\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 1\n",
            self.unique_id, self.caller
        );
        for (n, arg) in args.iter().enumerate() {
            env.push_str(&format!("agi_arg_{}: {arg}\n", n + 1));
        }
        env.push('\n');
        env
    }

    /// One `AGI()` call: sends the environment and answers commands until the
    /// server closes the connection. Returns how many commands it answered.
    pub async fn agi(
        &mut self,
        address: SocketAddr,
        script: &str,
        args: &[&str],
    ) -> std::io::Result<usize> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(self.environment(address, script, args).as_bytes())
            .await?;
        let mut answered = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(answered);
            }
            let reply = self.answer(&line);
            write.write_all(reply.as_bytes()).await?;
            answered += 1;
        }
    }

    /// Asterisk's reply to one command line.
    pub fn answer(&mut self, line: &str) -> String {
        self.commands.push(line.to_owned());
        let words = split_like_asterisk(line);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["SET", "VARIABLE", _, _] => {
                for (name, value) in assignments_like_asterisk(line).expect("a SET VARIABLE") {
                    self.set(&name, &value);
                }
                "200 result=1\n".to_owned()
            }
            ["GET", "FULL", "VARIABLE", expression] => {
                format!("200 result=1 ({})\n", self.substitute(expression))
            }
            ["GET", "VARIABLE", name] => match self.vars.get(*name) {
                Some(value) => format!("200 result=1 ({value})\n"),
                None => "200 result=0\n".to_owned(),
            },
            ["NOOP"] => "200 result=0\n".to_owned(),
            _ => "510 Invalid or unknown command\n".to_owned(),
        }
    }

    /// `${NAME}` and `${LEN(${NAME})}` substituted as Asterisk would (an unset
    /// variable is empty; LEN counts bytes); other text as it is.
    fn substitute(&self, mut expression: &str) -> String {
        let mut out = String::new();
        while let Some(start) = expression.find("${") {
            out.push_str(&expression[..start]);
            let rest = &expression[start + 2..];
            if let Some(inner) = rest.strip_prefix("LEN(${") {
                let end = inner.find("})}").expect("${LEN(${NAME})}");
                out.push_str(&self.var(&inner[..end]).unwrap_or("").len().to_string());
                expression = &inner[end + 3..];
            } else {
                let end = rest.find('}').expect("${NAME}");
                out.push_str(self.var(&rest[..end]).unwrap_or(""));
                expression = &rest[end + 1..];
            }
        }
        out.push_str(expression);
        out
    }
}
