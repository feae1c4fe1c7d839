//! Real mail servers for tests, from Debian's packages, on loopback in temp dirs: Postfix's
//! `smtp-sink` capturing what Casebook sends, Dovecot as the IMAP server, and a small LMTP/SMTP
//! client to deliver to Casebook as a mail server would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::child::{spawn_tied, Death};

/// A port nothing listens on now (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn running_as_root() -> bool {
    // SAFETY-free: geteuid has no preconditions.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid() == 0
    }
}

/// One message `smtp-sink` took: its envelope and its bytes as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// `MAIL FROM` (without brackets).
    pub mail_from: String,
    /// `RCPT TO`s (without brackets).
    pub recipients: Vec<String>,
    /// The message as Casebook sent it.
    pub raw: Vec<u8>,
}

impl Captured {
    /// A header's first value (unfolded), if the message has it.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.raw);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(current) = &mut value {
                if line.starts_with([' ', '\t']) {
                    current.push(' ');
                    current.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':') {
                if key.eq_ignore_ascii_case(name) {
                    value = Some(rest.trim().to_string());
                }
            }
        }
        value
    }
}

/// Postfix's `smtp-sink`, writing every message it takes into a folder.
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    pid: u32,
}

impl SmtpSink {
    /// Starts a sink that takes everything.
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(&[])
    }

    /// Starts a sink with more options (`-q data` to answer DATA with a temporary failure…).
    pub fn start_with(options: &[&str]) -> SmtpSink {
        let dir = tempfile::tempdir().expect("a temp dir");
        // smtp-sink drops root for the user -u names, who must be able to write the folder.
        let mut permissions = std::fs::metadata(dir.path())
            .expect("temp dir")
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o777);
        std::fs::set_permissions(dir.path(), permissions).expect("chmod temp dir");
        let port = free_port();
        let mut command = Command::new("smtp-sink");
        if running_as_root() {
            command.args(["-u", "nobody"]);
        }
        command
            .args(options)
            .arg("-d")
            .arg(dir.path().join("%Y%m%d%H%M%S."))
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdout(std::process::Stdio::null());
        let pid =
            spawn_tied(command, Death::Kill).expect("smtp-sink starts (Debian package postfix)");
        assert!(
            wait_for_port(port, Duration::from_secs(10)),
            "smtp-sink listens on {port}"
        );
        SmtpSink { port, dir, pid }
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message taken so far, oldest first.
    pub fn messages(&self) -> Vec<Captured> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        // smtp-sink writes a dump as the transaction goes: a file is whole once it rests.
        let settled = |path: &PathBuf| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age > Duration::from_millis(300))
        };
        files
            .iter()
            .filter(|path| settled(path))
            .filter_map(|path| read_capture(path))
            .collect()
    }

    /// Waits until at least `count` messages were taken; returns them.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Captured> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
        }
    }
}

/// Reads one dump: smtp-sink's `X-…` envelope lines and its own `Received` line, then the message.
fn read_capture(path: &Path) -> Option<Captured> {
    let bytes = std::fs::read(path).ok()?;
    let mut mail_from = String::new();
    let mut recipients = Vec::new();
    let mut offset = 0;
    let mut in_received = false;
    let mut seen_received = false;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let trimmed = text.trim_end();
        if let Some(rest) = trimmed.strip_prefix("X-Mail-Args: ") {
            mail_from = rest
                .split_whitespace()
                .next()?
                .trim_matches(['<', '>'])
                .to_string();
        } else if let Some(rest) = trimmed.strip_prefix("X-Rcpt-Args: ") {
            recipients.push(
                rest.split_whitespace()
                    .next()?
                    .trim_matches(['<', '>'])
                    .to_string(),
            );
        } else if trimmed.starts_with("X-Client-") || trimmed.starts_with("X-Helo-Args") {
        } else if trimmed.starts_with("Received: ") && !seen_received {
            // The first Received line is the sink's own.
            in_received = true;
            seen_received = true;
        } else if in_received && line.starts_with(b"\t") {
        } else {
            break;
        }
        offset += line.len();
    }
    // The sink writes LF line ends; the message was sent with CRLF.
    let rest = &bytes[offset..];
    let mut raw = Vec::with_capacity(rest.len() + rest.len() / 40);
    for line in rest.split_inclusive(|b| *b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        raw.extend_from_slice(body);
        if line.ends_with(b"\n") {
            raw.extend_from_slice(b"\r\n");
        }
    }
    Some(Captured {
        mail_from,
        recipients,
        raw,
    })
}

/// Delivers one message by LMTP (`lmtp` true) or SMTP as a mail server would; returns every
/// answer line after the data (one per recipient for LMTP).
pub fn deliver(
    port: u16,
    lmtp: bool,
    mail_from: &str,
    recipients: &[&str],
    raw: &[u8],
) -> std::io::Result<Vec<String>> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let answer = |reader: &mut BufReader<TcpStream>| -> std::io::Result<String> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(std::io::Error::other("the server closed the connection"));
            }
            let done = line.as_bytes().get(3) != Some(&b'-');
            all.push_str(&line);
            if done {
                return Ok(all.trim_end().to_string());
            }
        }
    };
    answer(&mut reader)?;
    let hello = if lmtp { "LHLO" } else { "EHLO" };
    writeln!(writer, "{hello} mx.test\r")?;
    answer(&mut reader)?;
    write!(writer, "MAIL FROM:<{mail_from}>\r\n")?;
    let reply = answer(&mut reader)?;
    if !reply.starts_with('2') {
        return Ok(vec![reply]);
    }
    let mut accepted = 0;
    for recipient in recipients {
        write!(writer, "RCPT TO:<{recipient}>\r\n")?;
        if answer(&mut reader)?.starts_with('2') {
            accepted += 1;
        }
    }
    write!(writer, "DATA\r\n")?;
    let reply = answer(&mut reader)?;
    if !reply.starts_with('3') {
        return Ok(vec![reply]);
    }
    let mut data = Vec::with_capacity(raw.len() + 64);
    for line in raw.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    if !data.ends_with(b"\n") {
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    writer.write_all(&data)?;
    let mut answers = Vec::new();
    for _ in 0..if lmtp { accepted.max(1) } else { 1 } {
        answers.push(answer(&mut reader)?);
    }
    write!(writer, "QUIT\r\n")?;
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    Ok(answers)
}
