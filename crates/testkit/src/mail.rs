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

/// The user a mail server runs as: ours, or `nobody`'s when we are root (Dovecot refuses root).
fn server_user() -> (u32, u32, String, String) {
    #[allow(unsafe_code)]
    unsafe {
        let uid = if running_as_root() {
            65534
        } else {
            libc::geteuid()
        };
        let entry = libc::getpwuid(uid);
        let (name, gid) = if entry.is_null() {
            ("nobody".to_string(), 65534)
        } else {
            (
                std::ffi::CStr::from_ptr((*entry).pw_name)
                    .to_string_lossy()
                    .to_string(),
                (*entry).pw_gid,
            )
        };
        let group = libc::getgrgid(gid);
        let group = if group.is_null() {
            "nogroup".to_string()
        } else {
            std::ffi::CStr::from_ptr((*group).gr_name)
                .to_string_lossy()
                .to_string()
        };
        (uid, gid, name, group)
    }
}

/// Dovecot (Debian's dovecot-imapd and dovecot-lmtpd) as IMAP server and local delivery agent,
/// unprivileged, in a temp dir, on loopback ports.
pub struct Dovecot {
    /// IMAP, plain, on 127.0.0.1.
    pub imap_port: u16,
    /// LMTP on 127.0.0.1: deliver here to put mail into a mailbox.
    pub lmtp_port: u16,
    /// Its folder (configuration, mail, logs).
    pub dir: tempfile::TempDir,
    pid: u32,
}

impl Dovecot {
    /// Starts Dovecot with these users (login, password); each has a Maildir. With `fsync`, every
    /// delivery is flushed to disk before it is answered (the benchmark's ceiling).
    pub fn start(users: &[(&str, &str)], fsync: bool) -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("dv")
            .tempdir_in("/tmp")
            .expect("a temp dir");
        let root = dir.path();
        let (uid, gid, user, group) = server_user();
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(root.join(sub)).expect("dovecot dirs");
        }
        let passwd: String = users
            .iter()
            .map(|(login, password)| format!("{login}:{{PLAIN}}{password}\n"))
            .collect();
        std::fs::write(root.join("passwd"), passwd).expect("passwd file");
        let imap_port = free_port();
        let lmtp_port = free_port();
        let d = root.display();
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap lmtp\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nmail_location = maildir:{d}/mail/%u\n\
             mail_fsync = {fsync}\n\
             default_internal_user = {user}\ndefault_internal_group = {group}\ndefault_login_user = {user}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtp_port}\n  }}\n  unix_listener lmtp {{\n    mode = 0600\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n\
             service stats {{\n  unix_listener stats-reader {{\n    mode = 0600\n  }}\n  unix_listener stats-writer {{\n    mode = 0600\n  }}\n}}\n\
             protocol lmtp {{\n  postmaster_address = postmaster@test.example\n}}\n",
            fsync = if fsync { "always" } else { "optimized" },
        );
        std::fs::write(root.join("dovecot.conf"), config).expect("dovecot.conf");
        if running_as_root() {
            for entry in walk(root) {
                let _ = std::os::unix::fs::chown(&entry, Some(uid), Some(gid));
            }
        }
        let mut command = Command::new("/usr/sbin/dovecot");
        command
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if running_as_root() {
            std::os::unix::process::CommandExt::uid(&mut command, uid);
            std::os::unix::process::CommandExt::gid(&mut command, gid);
        }
        let pid = spawn_tied(command, Death::Kill)
            .expect("dovecot starts (Debian packages dovecot-imapd and dovecot-lmtpd)");
        let up = wait_for_port(imap_port, Duration::from_secs(20))
            && wait_for_port(lmtp_port, Duration::from_secs(20));
        assert!(
            up,
            "dovecot listens: {}",
            std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
        );
        Dovecot {
            imap_port,
            lmtp_port,
            dir,
            pid,
        }
    }

    /// Delivers a message into a user's INBOX through Dovecot's own LMTP.
    pub fn deliver(&self, user: &str, raw: &[u8]) {
        let answers = deliver(self.lmtp_port, true, "sender@test.example", &[user], raw)
            .expect("dovecot's LMTP answers");
        assert!(
            answers.iter().all(|a| a.starts_with("250")),
            "dovecot took the message: {answers:?}"
        );
    }

    /// How many messages a user's Maildir INBOX holds (new and cur).
    pub fn inbox_count(&self, user: &str) -> usize {
        ["new", "cur"]
            .iter()
            .map(|sub| {
                std::fs::read_dir(self.dir.path().join("mail").join(user).join(sub))
                    .map(|entries| entries.count())
                    .unwrap_or(0)
            })
            .sum()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut all = vec![root.to_path_buf()];
    let mut index = 0;
    while index < all.len() {
        if let Ok(entries) = std::fs::read_dir(&all[index]) {
            all.extend(entries.flatten().map(|e| e.path()));
        }
        index += 1;
    }
    all
}

/// A real Postfix relaying everything it takes to `relayhost` (a sink), from its own
/// configuration and queue in a temp dir (`postfix -c`). Postfix starts only as root (it drops
/// to its `postfix` user itself); `None` when the tests do not run as root.
pub struct Postfix {
    /// Its SMTP port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Postfix {
    /// Starts Postfix relaying to 127.0.0.1:`relay_port`.
    pub fn start(relay_port: u16) -> Option<Postfix> {
        if !running_as_root() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("pf")
            .tempdir_in("/tmp")
            .expect("a temp dir");
        let root = dir.path();
        for sub in ["conf", "queue", "data"] {
            std::fs::create_dir_all(root.join(sub)).expect("postfix dirs");
        }
        let port = free_port();
        let d = root.display();
        std::fs::write(
            root.join("conf/main.cf"),
            format!(
                "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
                 mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = relay.test\n\
                 inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmydestination =\n\
                 mynetworks = 127.0.0.0/8\nrelayhost = [127.0.0.1]:{relay_port}\n\
                 smtpd_relay_restrictions = permit_mynetworks, reject\n\
                 maillog_file = {d}/maillog\nmaillog_file_prefixes = {d}\nalias_maps =\nalias_database =\n"
            ),
        )
        .expect("main.cf");
        let services = [
            format!("{port} inet n - n - - smtpd"),
            "pickup unix n - n 60 1 pickup".into(),
            "cleanup unix n - n - 0 cleanup".into(),
            "qmgr unix n - n 300 1 qmgr".into(),
            "rewrite unix - - n - - trivial-rewrite".into(),
            "bounce unix - - n - 0 bounce".into(),
            "defer unix - - n - 0 bounce".into(),
            "trace unix - - n - 0 bounce".into(),
            "verify unix - - n - 1 verify".into(),
            "flush unix n - n 1000? 0 flush".into(),
            "proxymap unix - - n - - proxymap".into(),
            "smtp unix - - n - - smtp".into(),
            "relay unix - - n - - smtp".into(),
            "showq unix n - n - - showq".into(),
            "error unix - - n - - error".into(),
            "retry unix - - n - - error".into(),
            "discard unix - - n - - discard".into(),
            "anvil unix - - n - 1 anvil".into(),
            "scache unix - - n - 1 scache".into(),
            "postlog unix-dgram n - n - 1 postlogd".into(),
        ];
        std::fs::write(root.join("conf/master.cf"), services.join("\n") + "\n").expect("master.cf");
        // Postfix wants its data directory its own.
        let postfix = std::ffi::CString::new("postfix").expect("no NUL");
        #[allow(unsafe_code)]
        let entry = unsafe { libc::getpwnam(postfix.as_ptr()) };
        assert!(
            !entry.is_null(),
            "the postfix user exists (Debian package postfix)"
        );
        #[allow(unsafe_code)]
        let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
        std::os::unix::fs::chown(root.join("data"), Some(uid), Some(gid)).expect("chown data");
        let status = Command::new("postfix")
            .arg("-c")
            .arg(root.join("conf"))
            .arg("start")
            .status()
            .expect("postfix runs");
        assert!(
            status.success() && wait_for_port(port, Duration::from_secs(20)),
            "postfix starts: {}",
            std::fs::read_to_string(root.join("maillog")).unwrap_or_default()
        );
        Some(Postfix { port, dir })
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(self.dir.path().join("conf"))
            .arg("stop")
            .status();
    }
}
