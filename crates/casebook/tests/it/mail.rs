//! Real mail end to end: `casebook serve` taking mail by LMTP, acknowledging it, an engineer's
//! reply from the command line sent through Postfix's `smtp-sink`, the partner's answer built
//! from the reply threading back, status by mail, and a SIGKILL in the middle of it all.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::child::{spawn_tied, Death};
use testkit::mail::{deliver, free_port, wait_for_port, Captured, SmtpSink};
use testkit::TestDb;

use crate::{add_org, balanced, command, json, path};

const ARCHIVE_SUMMARY: &str =
    "问题描述：\n----\n用户反馈重置失败。\n案例总结：\n----\n等待OEM提供镜像。\n";

/// A `casebook serve` with an LMTP listener, killed (SIGKILL) when dropped.
struct Server {
    pid: u32,
    lmtp: u16,
    web: u16,
    _log: PathBuf,
}

impl Server {
    fn start(db: &TestDb, env: &[(&str, &str)]) -> Server {
        let web = free_port();
        let lmtp = free_port();
        let log = db.dir.path().join(format!("serve-{lmtp}.log"));
        let mut serve: Command = command(
            db,
            &[
                "serve",
                "--listen",
                &format!("127.0.0.1:{web}"),
                "--lmtp",
                &format!("127.0.0.1:{lmtp}"),
            ],
        );
        for (name, value) in env {
            serve.env(name, value);
        }
        let file = std::fs::File::create(&log).unwrap();
        serve
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .env("CASEBOOK_LOG", "info");
        let pid = spawn_tied(serve, Death::Kill).unwrap();
        assert!(
            wait_for_port(lmtp, Duration::from_secs(60)),
            "casebook serve takes LMTP: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(wait_for_port(web, Duration::from_secs(30)));
        Server {
            pid,
            lmtp,
            web,
            _log: log,
        }
    }

    fn kill(&self) {
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP/1.1 GET on loopback; the whole answer as text.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn message(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut raw = String::new();
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    raw.push_str(body);
    raw.push_str("\r\n");
    raw.into_bytes()
}

/// The case number an LMTP answer names (`250 2.0.0 Stored on CAS-…`).
fn stored_on(answer: &str) -> String {
    assert!(answer.starts_with("250 "), "{answer}");
    answer
        .split_whitespace()
        .find(|word| word.starts_with("CAS-"))
        .unwrap_or_else(|| panic!("no case in {answer}"))
        .to_string()
}

/// Gao Meng of Acer writes to support over LMTP; the number of the case it opened.
fn partner_opens_case(lmtp: u16, subject: &str, message_id: &str) -> String {
    let first = message(
        &[
            ("From", "gaomeng@acer.com"),
            ("To", "support@cmgos.com"),
            ("Subject", subject),
            ("Message-ID", message_id),
        ],
        "x",
    );
    let answers = deliver(
        lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &first,
    )
    .unwrap();
    stored_on(&answers[0])
}

fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn with_id<'a>(mails: &'a [Captured], message_id: &str) -> Vec<&'a Captured> {
    mails
        .iter()
        .filter(|mail| mail.header("Message-ID").as_deref() == Some(&format!("<{message_id}>")))
        .collect()
}

async fn a_partner_mail_round_trip(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let sink = SmtpSink::start();
    let smtp = sink.url();
    // No records at all: SPF and DMARC find nothing, and the partner's mail is placed as unauthenticated.
    let dns = testkit::dns::DnsStub::start();
    let dns_address = dns.address.to_string();
    let server = Server::start(
        &db,
        &[
            ("CASEBOOK_SMTP_URL", &smtp),
            ("CASEBOOK_MAIL_DOMAIN", "cases.cmgos.com"),
            ("CASEBOOK_DNS_SERVER", &dns_address),
        ],
    );

    // A partner writes without a case number: a new case, acknowledged in the subject form.
    let first = message(
        &[
            ("From", "Gao Meng <gaomeng@acer.com>"),
            ("To", "support@cmgos.com"),
            ("Subject", "系统重置失败问题"),
            ("Message-ID", "<p1@acer.com>"),
            ("Date", "Mon, 09 Nov 2026 10:00:00 +0800"),
        ],
        "重置失败，错误 0x80070020。",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &first,
    )
    .unwrap();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let number = stored_on(&answers[0]);
    let acks = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(acks.len(), 1, "one acknowledgement");
    let ack = &acks[0];
    assert_eq!(ack.recipients, vec!["gaomeng@acer.com".to_string()]);
    assert_eq!(ack.header("In-Reply-To").as_deref(), Some("<p1@acer.com>"));
    assert!(ack.header("Auto-Submitted").is_some());
    let case = json(&db, &["case", "show", &number, "--json"]);
    let token = case["tracking_token"].as_str().unwrap().to_string();
    let first_entry = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "inbound_email")
        .unwrap();
    assert_eq!(
        first_entry["authentication"]["standing"], "unauthenticated",
        "{first_entry}"
    );
    assert_eq!(
        first_entry["authentication"]["verdict"]["client_ip"],
        "127.0.0.1"
    );
    let ack_subject = mail_parser::MessageParser::default()
        .parse(&ack.raw)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap();
    assert!(
        ack_subject.contains(&number) && ack_subject.contains(&token),
        "{ack_subject}"
    );
    assert!(
        ack.header("Message-ID")
            .unwrap()
            .ends_with("@cases.cmgos.com>"),
        "{:?}",
        ack.header("Message-ID")
    );

    // The same message delivered again is accepted and counted as a duplicate.
    let again = deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &first,
    )
    .unwrap();
    assert_eq!(again, vec!["250 2.0.0 Already stored".to_string()]);

    // The engineer replies from the command line; the reply reaches the partner.
    let output = command(
        &db,
        &[
            "case",
            "reply",
            &number,
            "--text",
            "请收集 C:\\Recovery 下的日志。",
            "--json",
        ],
    )
    .env("CASEBOOK_MAIL_DOMAIN", "cases.cmgos.com")
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let message_id = reply["outbox"]["message_id"].as_str().unwrap().to_string();
    assert!(message_id.ends_with("@cases.cmgos.com"), "{message_id}");
    let outbox_id = reply["outbox"]["outbox_id"].as_i64().unwrap();
    let mails = sink.wait_for(2, Duration::from_secs(30));
    let sent = with_id(&mails, &message_id);
    assert_eq!(sent.len(), 1, "the reply arrives once");
    let sent = sent[0];
    assert_eq!(sent.recipients, vec!["gaomeng@acer.com".to_string()]);
    assert_eq!(sent.mail_from, "support@cmgos.com");
    assert!(sent.header("From").unwrap().contains("support@cmgos.com"));
    assert_eq!(sent.header("In-Reply-To").as_deref(), Some("<p1@acer.com>"));
    assert!(wait_until(Duration::from_secs(10), || {
        json(&db, &["outbox", "list", "--status", "sent", "--json"])["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == outbox_id && m["case"] == number.as_str())
    }));

    // The partner answers it as a mail client would: RE: the subject, In-Reply-To the reply.
    let subject = sent.header("Subject").unwrap();
    let references = format!("<p1@acer.com> <{message_id}>");
    let in_reply_to = format!("<{message_id}>");
    let answer = message(
        &[
            ("From", "Gao Meng <gaomeng@acer.com>"),
            ("To", "support@cmgos.com"),
            ("Subject", &format!("RE: {subject}")),
            ("Message-ID", "<p2@acer.com>"),
            ("In-Reply-To", &in_reply_to),
            ("References", &references),
            ("Date", "Tue, 10 Nov 2026 09:00:00 +0800"),
        ],
        "日志已上传。",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &answer,
    )
    .unwrap();
    assert_eq!(stored_on(&answers[0]), number);

    // Waiting on the customer: their mail puts the case back in progress.
    json(&db, &["case", "status", &number, "in_progress", "--json"]);
    json(
        &db,
        &["case", "status", &number, "waiting_on_customer", "--json"],
    );
    let third = message(
        &[
            ("From", "gaomeng@acer.com"),
            ("To", "support@cmgos.com"),
            ("Subject", "one more log"),
            ("Message-ID", "<p3@acer.com>"),
        ],
        "另一个日志。",
    );
    // Plus-addressing names the case.
    let plus = format!("support+{number}@cmgos.com");
    let answers = deliver(server.lmtp, true, "gaomeng@acer.com", &[&plus], &third).unwrap();
    assert_eq!(stored_on(&answers[0]), number);
    assert_eq!(
        json(&db, &["case", "show", &number, "--json"])["status"],
        "in_progress"
    );

    // Archived while waiting; the partner writes months later and the case reopens.
    let (_summary_dir, summary) = testkit::fixture("summary.txt", ARCHIVE_SUMMARY.as_bytes());
    json(
        &db,
        &[
            "case",
            "status",
            &number,
            "archived",
            "--summary-file",
            path(&summary),
            "--json",
        ],
    );
    let later = message(
        &[
            ("From", "gaomeng@acer.com"),
            ("To", "support@cmgos.com"),
            ("Subject", &format!("RE: {subject}")),
            ("Message-ID", "<p4@acer.com>"),
            ("In-Reply-To", &in_reply_to),
        ],
        "问题又出现了。",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &later,
    )
    .unwrap();
    assert_eq!(stored_on(&answers[0]), number);
    assert_eq!(
        json(&db, &["case", "show", &number, "--json"])["status"],
        "reopened"
    );

    // Only the acknowledgement and the reply went out: nothing answers the partner's answers.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.messages().len(), 2);
    let stats = balanced(&db);
    assert_eq!(stats["received"], 5, "{stats}");
    assert_eq!(stats["duplicates"], 1, "{stats}");
    drop(server);
}

/// A TCP relay to Dovecot that cuts the connection once it has passed `cut_after` bytes from the
/// server: an IMAP connection lost in the middle of a fetch. Every later connection passes.
fn cutting_relay(
    target: u16,
    cut_after: usize,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let was_cut = cut.clone();
    std::thread::spawn(move || {
        let mut first = true;
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let limit = if first { cut_after } else { usize::MAX };
            first = false;
            let (mut client_read, mut server_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_read, &mut server_write);
            });
            let (mut server_read, mut client_write) = (server, client);
            let cut = cut.clone();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut passed = 0;
                let mut buffer = [0u8; 16 * 1024];
                loop {
                    let n = match server_read.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let n = n.min(limit - passed);
                    if client_write.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                    passed += n;
                    if passed >= limit {
                        cut.store(true, std::sync::atomic::Ordering::SeqCst);
                        let _ = client_write.shutdown(std::net::Shutdown::Both);
                        let _ = server_read.shutdown(std::net::Shutdown::Both);
                        break;
                    }
                }
            });
        }
    });
    (port, was_cut)
}

fn partner_mail(index: usize) -> Vec<u8> {
    message(
        &[
            ("From", "Gao Meng <gaomeng@acer.com>"),
            ("To", "support@cmgos.com"),
            ("Subject", &format!("问题 {index}: BSOD 0x{index:08X}")),
            ("Message-ID", &format!("<imap-{index}@acer.com>")),
            ("Date", "Mon, 09 Nov 2026 10:00:00 +0800"),
        ],
        &format!("第 {index} 封邮件。{}", "日志内容 ".repeat(40)),
    )
}

async fn imap_intake_takes_every_message_once(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let dovecot = testkit::mail::Dovecot::start(&[("support", "secret")], false);
    const COUNT: usize = 1000;
    for index in 0..COUNT {
        dovecot.deliver("support", &partner_mail(index));
    }
    // The first connection is cut in the middle of the first fetch (about 200 messages of 1.5 KB).
    let (relay, cut) = cutting_relay(dovecot.imap_port, 150_000);
    let url = format!(
        "imap://support:secret@127.0.0.1:{relay}/INBOX?processed=Casebook&address=support@cmgos.com&poll=1"
    );
    let dns = testkit::dns::DnsStub::start();
    let dns_address = dns.address.to_string();
    let env = [
        ("CASEBOOK_IMAP_URLS", url.as_str()),
        ("CASEBOOK_DNS_SERVER", &dns_address),
    ];
    let server = Server::start(&db, &env);
    let arrived = |db: &TestDb| json(db, &["stats", "--json"])["received"].as_u64().unwrap();
    // Killed in the middle of intake, and started again.
    assert!(wait_until(Duration::from_secs(120), || arrived(&db) > 0));
    server.kill();
    let taken = arrived(&db);
    assert!(
        cut.load(std::sync::atomic::Ordering::SeqCst),
        "the first connection was cut in the middle of a fetch"
    );
    let server = Server::start(&db, &env);
    assert!(
        wait_until(Duration::from_secs(180), || {
            json(&db, &["stats", "--json"])["messages"]
                .as_u64()
                .unwrap()
                >= COUNT as u64
        }),
        "all {COUNT} messages arrive (had {taken} before the kill)"
    );
    let stats = balanced(&db);
    assert_eq!(stats["messages"], COUNT as u64, "each once: {stats}");
    assert_eq!(stats["quarantined"], 0, "{stats}");
    // Taken messages are moved out of the INBOX once committed.
    assert!(wait_until(Duration::from_secs(30), || dovecot
        .inbox_count("support")
        == 0));
    // The progress is written after the server moved them: wait for it too.
    let status = |db: &TestDb| json(db, &["mail", "status", "--json"]);
    assert!(
        wait_until(Duration::from_secs(30), || status(&db)["mailboxes"][0]
            ["last_uid"]
            == COUNT as u64),
        "{}",
        status(&db)
    );
    let status = status(&db);
    assert!(status["mailboxes"][0]["last_error"].is_null(), "{status}");
    // A message arriving later is picked up too.
    dovecot.deliver("support", &partner_mail(COUNT));
    assert!(wait_until(Duration::from_secs(60), || {
        json(&db, &["stats", "--json"])["messages"]
            .as_u64()
            .unwrap()
            == COUNT as u64 + 1
    }));
    drop(server);
}

async fn an_unreachable_mailbox_is_reported_not_fatal(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    let closed = free_port();
    let url = format!("imap://support:secret@127.0.0.1:{closed}/INBOX");
    let _server = Server::start(
        &db,
        &[
            ("CASEBOOK_IMAP_URLS", &url),
            ("CASEBOOK_SENDER_AUTH", "off"),
        ],
    );
    assert!(wait_until(Duration::from_secs(30), || {
        let status = json(&db, &["mail", "status", "--json"]);
        status["mailboxes"][0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("cannot reach"))
    }));
    let status = json(&db, &["mail", "status", "--json"]);
    assert!(status["mailboxes"][0]["failures"].as_i64().unwrap() >= 1);
    assert!(!status.to_string().contains("secret"), "{status}");
    // The web instance stays ready and says so; the mailbox's name and error are not public.
    let ready = http_get(_server.web, "/readyz");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.contains("\"mailboxes_failing\":1"), "{ready}");
    assert!(!ready.contains("support@"), "{ready}");
}

async fn forged_mail_is_quarantined(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    add_org(&db, "Lenovo", "lenovo.com", false);
    let dns = testkit::dns::DnsStub::start();
    // The staff domain sends only from its own servers and asks to reject the rest.
    dns.txt("cmgos.com", "v=spf1 ip4:192.0.2.1 -all");
    dns.txt("_dmarc.cmgos.com", "v=DMARC1; p=reject");
    // So does Acer.
    dns.txt("acer.com", "v=spf1 ip4:198.51.100.0/24 -all");
    dns.txt("_dmarc.acer.com", "v=DMARC1; p=quarantine");
    // Lenovo's mail leaves from this very host (the test's loopback).
    dns.txt("lenovo.com", "v=spf1 ip4:127.0.0.1 -all");
    dns.txt("_dmarc.lenovo.com", "v=DMARC1; p=reject");
    let dns_address = dns.address.to_string();
    let server = Server::start(&db, &[("CASEBOOK_DNS_SERVER", &dns_address)]);

    // A genuine Lenovo message: aligned SPF, DMARC passes, the case opens.
    let genuine = message(
        &[
            ("From", "Li Wei <liwei@lenovo.com>"),
            ("To", "support@cmgos.com"),
            ("Subject", "BIOS update fails"),
            ("Message-ID", "<g1@lenovo.com>"),
        ],
        "The update stops at 40%.",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "liwei@lenovo.com",
        &["support@cmgos.com"],
        &genuine,
    )
    .unwrap();
    let number = stored_on(&answers[0]);
    let case = json(&db, &["case", "show", &number, "--json"]);
    let email = &case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "inbound_email")
        .unwrap();
    assert_eq!(
        email["authentication"]["standing"], "authenticated",
        "{case}"
    );
    assert_eq!(email["authentication"]["verdict"]["spf"], "pass");
    assert_eq!(email["authentication"]["verdict"]["dmarc"], "pass");

    // Someone writes onto that case as a staff member, from a host the staff domain does not use.
    let forged_staff = message(
        &[
            ("From", "Boss <boss@cmgos.com>"),
            ("To", "liwei@lenovo.com, support@cmgos.com"),
            (
                "Subject",
                &format!("RE: [案例号: {number} ] % |P3|Lenovo|BIOS update fails %"),
            ),
            ("Message-ID", "<f1@evil.example>"),
            ("In-Reply-To", "<g1@lenovo.com>"),
        ],
        "Please send the logs to my private address.",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "boss@cmgos.com",
        &["support@cmgos.com"],
        &forged_staff,
    )
    .unwrap();
    assert!(answers[0].contains("quarantine"), "{answers:?}");
    // A forged Acer message fails Acer's DMARC.
    let forged_partner = message(
        &[
            ("From", "gaomeng@acer.com"),
            ("To", "support@cmgos.com"),
            ("Subject", "urgent"),
            ("Message-ID", "<f2@evil.example>"),
        ],
        "Reset my portal password.",
    );
    let answers = deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &forged_partner,
    )
    .unwrap();
    assert!(answers[0].contains("quarantine"), "{answers:?}");
    let quarantine = json(&db, &["quarantine", "list", "--json"]);
    let entries = quarantine["quarantine"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{quarantine}");
    for entry in entries {
        assert_eq!(entry["reason_code"], "failed_authentication", "{entry}");
        assert!(
            entry["reason"].as_str().unwrap().contains("spf=fail"),
            "{entry}"
        );
    }
    // The case saw neither.
    let timeline = json(&db, &["case", "show", &number, "--json"])["timeline"].clone();
    assert_eq!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "inbound_email" || e["kind"] == "outbound_email")
            .count(),
        1
    );
    balanced(&db);
    drop(server);
}

/// Delivers until the server says 250, as a mail server retries a message it was not sure of.
fn deliver_until_accepted(port: &std::sync::atomic::AtomicU16, raw: &[u8]) -> usize {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let lmtp = port.load(std::sync::atomic::Ordering::SeqCst);
        if let Ok(answers) = deliver(lmtp, true, "gaomeng@acer.com", &["support@cmgos.com"], raw) {
            if answers.iter().all(|a| a.starts_with("250")) {
                return attempts;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn a_killed_server_loses_and_doubles_nothing(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    // The sink answers DATA after a pause, so that a kill falls in the middle of sending.
    let sink = SmtpSink::start_with(&["-w", "1"]);
    let smtp = sink.url();
    let dns = testkit::dns::DnsStub::start();
    let dns_address = dns.address.to_string();
    let env = [
        ("CASEBOOK_SMTP_URL", smtp.as_str()),
        ("CASEBOOK_DNS_SERVER", dns_address.as_str()),
        // Acknowledgements would add to the capture; the replies are what is counted here.
        ("CASEBOOK_AUTO_MAIL_LIMIT", "1"),
    ];
    let server = Server::start(&db, &env);
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(server.lmtp));

    // LMTP: a mail server delivers 120 messages one after another while Casebook is killed twice.
    const COUNT: usize = 120;
    let sender = {
        let port = port.clone();
        std::thread::spawn(move || {
            let mut retried = 0;
            for index in 0..COUNT {
                let raw = message(
                    &[
                        ("From", "gaomeng@acer.com"),
                        ("To", "support@cmgos.com"),
                        ("Subject", &format!("crash test {index}")),
                        ("Message-ID", &format!("<crash-{index}@acer.com>")),
                    ],
                    "x",
                );
                retried += deliver_until_accepted(&port, &raw) - 1;
            }
            retried
        })
    };
    let stored = || {
        json(&db, &["stats", "--json"])["received"]
            .as_u64()
            .unwrap()
    };
    let mut server = server;
    for threshold in [30, 70] {
        assert!(wait_until(Duration::from_secs(120), || stored() >= threshold));
        server.kill();
        server = Server::start(&db, &env);
        port.store(server.lmtp, std::sync::atomic::Ordering::SeqCst);
    }
    let retried = sender.join().unwrap();
    let stats = balanced(&db);
    assert_eq!(
        stats["messages"], COUNT as u64,
        "each message once: {stats}"
    );
    assert!(retried >= 1, "the kills fell in the middle of deliveries");

    // Sending: 20 replies queued, Casebook killed while it sends them, started again.
    let cases: Vec<String> = json(&db, &["case", "list", "--json"])["cases"]
        .as_array()
        .unwrap()
        .iter()
        .take(20)
        .map(|case| case["number"].as_str().unwrap().to_string())
        .collect();
    let mut message_ids = Vec::new();
    for number in &cases {
        let reply = json(
            &db,
            &["case", "reply", number, "--text", "请上传日志。", "--json"],
        );
        message_ids.push(reply["outbox"]["message_id"].as_str().unwrap().to_string());
    }
    assert!(wait_until(Duration::from_secs(60), || {
        message_ids
            .iter()
            .any(|id| !with_id(&sink.messages(), id).is_empty())
    }));
    server.kill();
    let server = Server::start(&db, &env);
    assert!(
        wait_until(Duration::from_secs(120), || {
            json(&db, &["outbox", "list", "--status", "sent", "--json"])["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["purpose"] == "case")
                .count()
                == message_ids.len()
        }),
        "every reply is sent after the restart"
    );
    assert!(wait_until(Duration::from_secs(30), || {
        let captured = sink.messages();
        message_ids
            .iter()
            .all(|id| !with_id(&captured, id).is_empty())
    }));
    let captured = sink.messages();
    let mut repeats = 0;
    for id in &message_ids {
        let copies = with_id(&captured, id).len();
        assert!(copies >= 1, "reply {id} arrived");
        repeats += copies - 1;
    }
    // A resend happens only for the message whose acceptance the kill fell after.
    assert!(repeats <= 1, "{repeats} replies were sent twice");
    println!(
        "crash test: {retried} deliveries retried by the mail server, {repeats} replies sent twice"
    );
    drop(server);
}

async fn a_bounce_fails_the_reply_and_marks_the_contact(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let sink = SmtpSink::start();
    let smtp = sink.url();
    let dns = testkit::dns::DnsStub::start();
    let dns_address = dns.address.to_string();
    let server = Server::start(
        &db,
        &[
            ("CASEBOOK_SMTP_URL", &smtp),
            ("CASEBOOK_DNS_SERVER", &dns_address),
        ],
    );
    let number = partner_opens_case(server.lmtp, "BSOD", "<bounce-1@acer.com>");
    let reply = json(
        &db,
        &["case", "reply", &number, "--text", "请上传日志。", "--json"],
    );
    let message_id = reply["outbox"]["message_id"].as_str().unwrap().to_string();
    let outbox_id = reply["outbox"]["outbox_id"].as_i64().unwrap();
    assert!(wait_until(Duration::from_secs(30), || !with_id(
        &sink.messages(),
        &message_id
    )
    .is_empty()));
    // The partner's server says the mailbox is gone (RFC 3464).
    let dsn = format!(
        "From: MAILER-DAEMON@mx.acer.com\r\nTo: support@cmgos.com\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn-1@mx.acer.com>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\n<gaomeng@acer.com>: user unknown\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acer.com\r\n\r\n\
         Final-Recipient: rfc822; gaomeng@acer.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{message_id}>\r\nFrom: support@cmgos.com\r\n\
         To: gaomeng@acer.com\r\n\r\n--b--\r\n"
    );
    deliver(
        server.lmtp,
        true,
        "",
        &["support@cmgos.com"],
        dsn.as_bytes(),
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || {
            let failed = json(&db, &["outbox", "list", "--status", "failed", "--json"]);
            failed["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == outbox_id && m["failed_recipient"] == "gaomeng@acer.com")
        }),
        "the bounce fails the reply"
    );
    let status = json(&db, &["mail", "status", "--json"]);
    assert_eq!(
        status["bouncing"][0]["address"], "gaomeng@acer.com",
        "{status}"
    );
    assert_eq!(status["bouncing"][0]["status"], "5.1.1", "{status}");
    // A bouncing contact is not written to: the case has nobody else.
    let (code, stderr) = crate::failure(&db, &["case", "reply", &number, "--text", "again"]);
    assert_eq!(code, 1, "{stderr}");
    // Mail from them again clears the mark.
    let back = message(
        &[
            ("From", "gaomeng@acer.com"),
            ("To", "support@cmgos.com"),
            ("Subject", "RE: BSOD"),
            ("Message-ID", "<bounce-2@acer.com>"),
            ("In-Reply-To", "<bounce-1@acer.com>"),
        ],
        "邮箱已恢复。",
    );
    deliver(
        server.lmtp,
        true,
        "gaomeng@acer.com",
        &["support@cmgos.com"],
        &back,
    )
    .unwrap();
    assert!(wait_until(Duration::from_secs(30), || {
        json(&db, &["mail", "status", "--json"])["bouncing"]
            .as_array()
            .unwrap()
            .is_empty()
    }));
    // Retrying the failed reply sends the same Message-ID again.
    json(&db, &["outbox", "retry", &outbox_id.to_string(), "--json"]);
    assert!(wait_until(Duration::from_secs(30), || with_id(
        &sink.messages(),
        &message_id
    )
    .len()
        == 2));
    drop(server);
}

async fn a_reply_goes_through_a_real_postfix(db: TestDb) {
    let sink = SmtpSink::start();
    let Some(postfix) = testkit::mail::Postfix::start(sink.port) else {
        eprintln!("skipped: Postfix starts only as root (CI runs this test as root)");
        return;
    };
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let dns = testkit::dns::DnsStub::start();
    let dns_address = dns.address.to_string();
    let relay = format!("smtp://127.0.0.1:{}", postfix.port);
    // Replies are signed with DKIM; the public key is published where the partner looks for it.
    let (key_dir, key_file, public_key) = dkim_key();
    dns.txt(
        "casebook._domainkey.cmgos.com",
        &format!("v=DKIM1; k=ed25519; p={public_key}"),
    );
    let server = Server::start(
        &db,
        &[
            ("CASEBOOK_SMTP_URL", &relay),
            ("CASEBOOK_DNS_SERVER", &dns_address),
            ("CASEBOOK_AUTO_MAIL_LIMIT", "1"),
            ("CASEBOOK_DKIM_KEY", path(&key_file)),
            ("CASEBOOK_DKIM_DOMAIN", "cmgos.com"),
        ],
    );
    let number = partner_opens_case(server.lmtp, "重置失败", "<pf-1@acer.com>");
    let reply = json(
        &db,
        &["case", "reply", &number, "--text", "请收集日志。", "--json"],
    );
    let message_id = reply["outbox"]["message_id"].as_str().unwrap().to_string();
    assert!(
        wait_until(Duration::from_secs(60), || !with_id(
            &sink.messages(),
            &message_id
        )
        .is_empty()),
        "the reply reaches the sink through Postfix"
    );
    let relayed = sink.messages();
    let relayed = with_id(&relayed, &message_id)[0];
    let raw = String::from_utf8_lossy(&relayed.raw);
    assert!(
        raw.contains("by relay.test (Postfix)"),
        "Postfix's Received line: {raw}"
    );
    assert_eq!(relayed.recipients, vec!["gaomeng@acer.com".to_string()]);
    // The partner's server checks the signature after the relay: DKIM passes, aligned with From.
    let received = key_dir.path().join("received.eml");
    std::fs::write(&received, &relayed.raw).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["mail", "parse", path(&received), "--json"])
        .args(["--received-from", "127.0.0.1", "--helo", "relay.test"])
        .args(["--mail-from", "support@cmgos.com"])
        .env("CASEBOOK_DNS_SERVER", dns.address.to_string())
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let verdict = &parsed["authentication"]["verdict"];
    assert_eq!(verdict["dkim"], "pass", "{parsed}");
    assert_eq!(verdict["dkim_domains"][0], "cmgos.com", "{parsed}");
    assert_eq!(verdict["dkim_aligned"], true, "{parsed}");
    // Aligned without any DMARC record for the domain: a staff claim would be believed.
    assert_eq!(parsed["authentication"]["standing"], "authenticated");
    drop(server);
}

/// A fresh Ed25519 key: its directory, the PEM file, and the public key in base64 (for DNS).
fn dkim_key() -> (tempfile::TempDir, PathBuf, String) {
    use base64::Engine;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dkim.pem");
    std::fs::write(
        &file,
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            b64.encode(pkcs8.as_ref())
        ),
    )
    .unwrap();
    let public = b64.encode(ring::signature::KeyPair::public_key(&pair).as_ref());
    (dir, file, public)
}

testkit::backend_tests!(
    a_partner_mail_round_trip,
    a_reply_goes_through_a_real_postfix,
    a_bounce_fails_the_reply_and_marks_the_contact,
    a_killed_server_loses_and_doubles_nothing,
    forged_mail_is_quarantined,
    imap_intake_takes_every_message_once,
    an_unreachable_mailbox_is_reported_not_fatal
);

#[test]
fn mail_parse_checks_a_sender_on_given_evidence() {
    let dns = testkit::dns::DnsStub::start();
    dns.txt("acer.com", "v=spf1 ip4:203.0.113.0/24 -all");
    dns.txt("_dmarc.acer.com", "v=DMARC1; p=reject");
    let (_dir, file) = testkit::fixture(
        "mail.eml",
        &message(
            &[
                ("From", "gaomeng@acer.com"),
                ("To", "support@cmgos.com"),
                ("Subject", "日志"),
                ("Message-ID", "<parse-1@acer.com>"),
            ],
            "x",
        ),
    );
    let parse = |ip: &str| -> serde_json::Value {
        let output = Command::new(env!("CARGO_BIN_EXE_casebook"))
            .args([
                "mail",
                "parse",
                path(&file),
                "--json",
                "--received-from",
                ip,
            ])
            .args(["--helo", "mx.acer.com", "--mail-from", "gaomeng@acer.com"])
            .env("CASEBOOK_DNS_SERVER", dns.address.to_string())
            .env("LANG", "C")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let genuine = parse("203.0.113.5");
    assert_eq!(
        genuine["authentication"]["standing"], "authenticated",
        "{genuine}"
    );
    assert_eq!(genuine["authentication"]["verdict"]["spf"], "pass");
    let forged = parse("198.51.100.9");
    assert_eq!(forged["authentication"]["standing"], "failed", "{forged}");
    assert_eq!(forged["authentication"]["verdict"]["dmarc"], "fail");
    // Without the flags there is no evidence and no verdict.
    let output = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["mail", "parse", path(&file), "--json"])
        .output()
        .unwrap();
    let plain: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(plain.get("authentication").is_none());
}
