//! `bench-mail`: the phases of the mail benchmark (`scripts/bench/mail.sh`), each printing JSON.
//!
//! - `lmtp --port P --dir DIR --connections N [--rcpt ADDRESS]`: delivers every file of DIR (one
//!   message each) by LMTP over N connections at once, one transaction per message, as a mail
//!   server would; reports accepted messages per second and the time to accept (from the end of
//!   the data to the answer).
//! - `queue --data-dir D --count N`: queues one reply on each of N cases (not timed).
//! - `wait-sent --data-dir D --count N`: waits until N replies have left the outbox; reports the
//!   time and the rate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

pub fn run(args: impl Iterator<Item = String>) -> Result<()> {
    let args: Vec<String> = args.collect();
    let phase = args.first().cloned().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = match phase.as_str() {
        "lmtp" => {
            let port: u16 = value(&args, "--port").context("--port")?.parse()?;
            let dir = PathBuf::from(value(&args, "--dir").context("--dir")?);
            let connections: usize = value(&args, "--connections").unwrap_or("1").parse()?;
            let rcpt = value(&args, "--rcpt")
                .unwrap_or("support@cmgos.com")
                .to_string();
            runtime.block_on(lmtp(port, &dir, connections, &rcpt))?
        }
        "queue" => {
            let data_dir = PathBuf::from(value(&args, "--data-dir").context("--data-dir")?);
            let count: usize = value(&args, "--count").unwrap_or("10000").parse()?;
            runtime.block_on(queue(&data_dir, count))?
        }
        "wait-sent" => {
            let data_dir = PathBuf::from(value(&args, "--data-dir").context("--data-dir")?);
            let count: u64 = value(&args, "--count").unwrap_or("10000").parse()?;
            runtime.block_on(wait_sent(&data_dir, count))?
        }
        other => bail!("bench-mail phases: lmtp, queue, wait-sent (not '{other}')"),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

async fn answer(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Result<String> {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            bail!("the server closed the connection");
        }
        let done = line.as_bytes().get(3) != Some(&b'-');
        all.push_str(&line);
        if done {
            return Ok(all);
        }
    }
}

/// Dot-stuffed data with CRLF line ends and the final dot.
fn data_of(raw: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(raw.len() + raw.len() / 30 + 8);
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.starts_with(b".") {
            data.push(b'.');
        }
        data.extend_from_slice(body);
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    data
}

async fn lmtp(port: u16, dir: &Path, connections: usize, rcpt: &str) -> Result<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let messages: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).map(|raw| data_of(&raw)))
        .collect::<std::io::Result<_>>()?;
    let total = messages.len();
    let queue = Arc::new(std::sync::Mutex::new(messages));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let queue = queue.clone();
        let rcpt = rcpt.to_string();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            answer(&mut reader).await?;
            write.write_all(b"LHLO bench.test\r\n").await?;
            answer(&mut reader).await?;
            let mut latencies = Vec::new();
            let mut refused = 0u64;
            let mut samples: Vec<String> = Vec::new();
            loop {
                let next = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop();
                let Some(data) = next else { break };
                write
                    .write_all(
                        format!("MAIL FROM:<gen@bench.test>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n")
                            .as_bytes(),
                    )
                    .await?;
                for _ in 0..3 {
                    answer(&mut reader).await?;
                }
                write.write_all(&data).await?;
                let sent = Instant::now();
                let reply = answer(&mut reader).await?;
                latencies.push(sent.elapsed());
                if !reply.starts_with('2') {
                    refused += 1;
                    if samples.len() < 3 {
                        samples.push(reply.trim().to_string());
                    }
                }
            }
            write.write_all(b"QUIT\r\n").await?;
            anyhow::Ok((latencies, refused, samples))
        }));
    }
    let mut latencies = Vec::new();
    let mut refused = 0;
    let mut refusals: Vec<String> = Vec::new();
    for task in tasks {
        let (mut l, r, mut samples) = task.await??;
        latencies.append(&mut l);
        refused += r;
        refusals.append(&mut samples);
    }
    refusals.truncate(5);
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(serde_json::json!({
        "messages": total,
        "connections": connections,
        "seconds": seconds,
        "per_second": total as f64 / seconds,
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "refused": refused,
        "refusals": refusals,
    }))
}

async fn open(data_dir: &Path) -> Result<app::App> {
    let store = match std::env::var("CASEBOOK_DATABASE_URL") {
        Ok(url) => app::StoreConfig {
            database_url: Some(url),
            ..app::StoreConfig::in_dir(data_dir)
        },
        Err(_) => app::StoreConfig::in_dir(data_dir),
    };
    let intake = app::IntakeConfig {
        intake_addresses: vec!["support@cmgos.com".parse()?],
        ..app::IntakeConfig::default()
    };
    Ok(app::App::open(
        &store,
        app::OpenMode::Existing,
        intake,
        Box::new(app::SystemClock),
        chrono_tz::Asia::Shanghai,
    )
    .await?)
}

async fn queue(data_dir: &Path, count: usize) -> Result<serde_json::Value> {
    let app = open(data_dir).await?;
    let operator = app::Actor::operator();
    let cases = app.case_list(None).await?;
    if cases.is_empty() {
        bail!("the store has no cases to reply on");
    }
    let mut queued = 0;
    // Round the cases until there are enough replies (a case has several in a real outbox too).
    for case in cases.iter().cycle().take(count * 2) {
        if queued == count {
            break;
        }
        let reply = app
            .case_reply(
                &operator,
                &case.number,
                app::compose::ReplyInput {
                    text: "请按以下步骤收集日志并回复本邮件。\nPlease collect the logs as follows."
                        .into(),
                    ..Default::default()
                },
            )
            .await;
        if reply.is_ok() {
            queued += 1;
        }
    }
    app.close().await;
    Ok(serde_json::json!({ "queued": queued }))
}

async fn wait_sent(data_dir: &Path, count: u64) -> Result<serde_json::Value> {
    let app = open(data_dir).await?;
    let operator = app::Actor::operator();
    let started = Instant::now();
    loop {
        let status = app.mail_status(&operator).await?;
        let count_of = |state: &str| status.outbox.get(state).copied().unwrap_or(0) as u64;
        let (queued, sending, sent, failed) = (
            count_of("queued"),
            count_of("sending"),
            count_of("sent"),
            count_of("failed"),
        );
        if queued == 0 && sending == 0 && sent + failed >= count {
            let seconds = started.elapsed().as_secs_f64();
            app.close().await;
            return Ok(serde_json::json!({
                "sent": sent,
                "failed": failed,
                "seconds": seconds,
                "per_second": sent as f64 / seconds,
            }));
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("{queued} messages still queued after 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
