//! The LMTP listener (RFC 2033), and the same dialogue as plain SMTP for mail servers that cannot
//! speak LMTP and for tests.
//!
//! A message is accepted only once its raw bytes are stored and its batch committed: each
//! session hands the message to one committer task, which takes whatever deliveries are waiting
//! into one batch (one pack flush and one transaction for all of them: group commit) and answers
//! each. When the store cannot take it, every recipient gets `451 4.3.0` and the mail server keeps
//! the message. A message already stored is answered `250` (counted as a duplicate), never
//! refused. Limits: message size (checked at `MAIL FROM … SIZE=` when the client announces it,
//! and while the data is read), recipients, command line length, connections and idle time.

use std::sync::Arc;
use std::time::Duration;

use intake::live::Delivery;
use smtp_proto::request::receiver::DataReceiver;
use smtp_proto::{
    EhloResponse, Request, EXT_8BIT_MIME, EXT_ENHANCED_STATUS_CODES, EXT_PIPELINING, EXT_SIZE,
};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Which dialogue the listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// LMTP: `LHLO`, one answer per recipient after the data.
    Lmtp,
    /// SMTP: `EHLO`/`HELO`, one answer for the message.
    Smtp,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Lmtp => "lmtp",
            Protocol::Smtp => "smtp",
        }
    }
}

/// The listener's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, in bytes.
    pub max_message: usize,
    /// Recipients per message.
    pub max_recipients: usize,
    /// Longest command line, in bytes (CRLF included).
    pub max_line: usize,
    /// Connections at once; one more is answered `421` and closed.
    pub max_connections: usize,
    /// How long the listener waits for a command or for more data.
    pub idle: Duration,
    /// Deliveries committed in one batch at most.
    pub batch: usize,
    /// Bytes of messages held in memory at once over all sessions (each is held until it is
    /// stored); a message that would pass it is answered `452`, and its sender tries again later.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 50 * 1024 * 1024,
            max_recipients: 100,
            max_line: 4096,
            max_connections: 200,
            idle: Duration::from_secs(300),
            batch: 256,
            max_in_flight: 1 << 30,
        }
    }
}

/// What the listener needs.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// LMTP or SMTP.
    pub protocol: Protocol,
    /// The name it greets with.
    pub hostname: String,
    /// Its limits.
    pub limits: Limits,
}

/// One message waiting for the committer, with the session waiting for its answer.
struct Pending {
    delivery: Delivery,
    answer: oneshot::Sender<Result<intake::Outcome, String>>,
    /// The message's share of the memory budget, given back once it is stored (not when its
    /// session ends).
    held: Option<OwnedSemaphorePermit>,
}

/// Takes deliveries in, in batches of whatever is waiting.
async fn committer(app: Arc<app::App>, mut queue: mpsc::Receiver<Pending>, batch: usize) {
    while let Some(first) = queue.recv().await {
        let mut pending = vec![first];
        while pending.len() < batch {
            match queue.try_recv() {
                Ok(next) => pending.push(next),
                Err(_) => break,
            }
        }
        // The budget's shares are given back when this batch is done with.
        let mut held = Vec::with_capacity(pending.len());
        let (deliveries, answers): (Vec<Delivery>, Vec<_>) = pending
            .into_iter()
            .map(|pending| {
                held.push(pending.held);
                (pending.delivery, pending.answer)
            })
            .unzip();
        // A panic in the store is answered like any failure (451, the server retries), and the
        // committer goes on with the next batch.
        let Ok(delivered) =
            futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(app.deliver(deliveries)))
                .await
        else {
            tracing::error!(
                "storing delivered mail failed unexpectedly; the mail server will retry"
            );
            for answer in answers {
                let _ = answer.send(Err("storing failed unexpectedly".into()));
            }
            continue;
        };
        match delivered {
            Ok(outcomes) if outcomes.len() == answers.len() => {
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    // The session may have gone; its message is stored all the same.
                    let _ = answer.send(Ok(outcome));
                }
            }
            Ok(_) => {
                for answer in answers {
                    let _ = answer.send(Err("the store answered for another batch".into()));
                }
            }
            Err(error) => {
                let cause = std::error::Error::source(&error).map(|source| format!("{source:?}"));
                tracing::warn!(%error, cause = cause.as_deref().unwrap_or(""), "delivered mail could not be stored; the mail server will retry");
                let text = error.to_string();
                for answer in answers {
                    let _ = answer.send(Err(text.clone()));
                }
            }
        }
    }
}

/// Serves LMTP or SMTP on a bound listener until the process ends.
pub async fn serve(app: Arc<app::App>, listener: TcpListener, config: ListenerConfig) {
    let (queue, receiver) = mpsc::channel(config.limits.batch * 4);
    tokio::spawn(committer(app.clone(), receiver, config.limits.batch));
    let connections = Arc::new(Semaphore::new(config.limits.max_connections));
    let budget = budget_of(&config.limits);
    let config = Arc::new(config);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a mail connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let queue = queue.clone();
        let config = config.clone();
        let app = app.clone();
        let budget = budget.clone();
        let permit = connections.clone().try_acquire_owned();
        tokio::spawn(async move {
            let Ok(_permit) = permit else {
                let mut stream = stream;
                let _ = stream
                    .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
                    .await;
                return;
            };
            if let Err(error) = session(&app, stream, peer, &config, &queue, &budget).await {
                tracing::debug!(%error, %peer, "mail session ended");
            }
        });
    }
}

/// One line of the dialogue, or why there is none.
enum Line {
    Text(Vec<u8>),
    TooLong,
    Closed,
}

async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(Line::Closed);
        }
        let (take, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => (end + 1, true),
            None => (buffer.len(), false),
        };
        if line.len() + take > max {
            // Skip to the end of the overlong line, then say so.
            let skip = take;
            reader.consume(skip);
            if done {
                return Ok(Line::TooLong);
            }
            loop {
                let buffer = reader.fill_buf().await?;
                if buffer.is_empty() {
                    return Ok(Line::Closed);
                }
                match buffer.iter().position(|b| *b == b'\n') {
                    Some(end) => {
                        reader.consume(end + 1);
                        return Ok(Line::TooLong);
                    }
                    None => {
                        let n = buffer.len();
                        reader.consume(n);
                    }
                }
            }
        }
        line.extend_from_slice(&buffer[..take]);
        reader.consume(take);
        if done {
            return Ok(Line::Text(line));
        }
    }
}

/// The message's data (with its share of the memory budget), or that it was too large or the
/// budget spent (read to its end all the same).
enum Data {
    Message(Vec<u8>, Option<OwnedSemaphorePermit>),
    TooLarge,
    NoRoom,
    Closed,
}

/// The memory budget of the messages in sessions, counted in KiB.
fn budget_of(limits: &Limits) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(
        (limits.max_in_flight / 1024).clamp(1, Semaphore::MAX_PERMITS),
    ))
}

async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    idle: Duration,
    budget: &Arc<Semaphore>,
) -> std::io::Result<Data> {
    let mut receiver = DataReceiver::new();
    // The data begins after the DATA line's CRLF: a first line "." ends it, ".." is unstuffed.
    let mut scratch = Vec::new();
    receiver.ingest(&mut b"\r\n".iter(), &mut scratch);
    let mut message = Vec::new();
    let mut too_large = false;
    let mut no_room = false;
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        let buffer = match tokio::time::timeout(idle, reader.fill_buf()).await {
            Ok(read) => read?,
            Err(_) => return Ok(Data::Closed),
        };
        if buffer.is_empty() {
            return Ok(Data::Closed);
        }
        let mut bytes = buffer.iter();
        let done = receiver.ingest(&mut bytes, &mut message);
        let used = buffer.len() - bytes.as_slice().len();
        reader.consume(used);
        if message.len() > max {
            too_large = true;
            message.clear();
        }
        // The budget is taken as the message grows, never waited for: sessions waiting on each
        // other's shares could wait for ever.
        let need = message.len() / 1024 + 1;
        let have = held.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        if !too_large && !no_room && need > have {
            let more = u32::try_from(need - have).unwrap_or(u32::MAX);
            match budget.clone().try_acquire_many_owned(more) {
                Ok(permit) => match &mut held {
                    Some(held) => held.merge(permit),
                    None => held = Some(permit),
                },
                Err(_) => {
                    no_room = true;
                    held = None;
                    message = Vec::new();
                }
            }
        }
        if no_room {
            message.clear();
        }
        if done {
            return Ok(if too_large {
                Data::TooLarge
            } else if no_room {
                Data::NoRoom
            } else {
                Data::Message(message, held)
            });
        }
    }
}

async fn reply<W: AsyncWrite + Unpin>(writer: &mut W, text: &str) -> std::io::Result<()> {
    writer.write_all(text.as_bytes()).await?;
    writer.write_all(b"\r\n").await?;
    Ok(())
}

async fn session(
    app: &app::App,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    config: &ListenerConfig,
    queue: &mpsc::Sender<Pending>,
    budget: &Arc<Semaphore>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let limits = &config.limits;
    let protocol = config.protocol;
    reply(
        &mut writer,
        &format!(
            "220 {} Casebook {} ready",
            config.hostname,
            protocol.name().to_uppercase()
        ),
    )
    .await?;
    let mut greeted: Option<String> = None;
    let mut mail_from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    loop {
        // Answers wait until the client has sent all it pipelined.
        if reader.buffer().is_empty() {
            writer.flush().await?;
        }
        let line = match tokio::time::timeout(limits.idle, read_line(&mut reader, limits.max_line))
            .await
        {
            Ok(line) => line?,
            Err(_) => {
                reply(&mut writer, "421 4.4.2 Idle too long, closing").await?;
                return Ok(());
            }
        };
        let line = match line {
            Line::Text(line) => line,
            Line::TooLong => {
                reply(&mut writer, "500 5.5.2 Line too long").await?;
                continue;
            }
            Line::Closed => return Ok(()),
        };
        let request = match Request::parse(&mut line.iter()) {
            Ok(request) => request,
            Err(error) => {
                let text = match error {
                    smtp_proto::Error::UnknownCommand => "500 5.5.1 Unknown command".to_string(),
                    smtp_proto::Error::UnsupportedParameter { param } => {
                        format!("555 5.5.4 Unsupported parameter {param}")
                    }
                    other => format!("501 5.5.4 Syntax error: {other:?}"),
                };
                reply(&mut writer, &text).await?;
                continue;
            }
        };
        match request {
            Request::Lhlo { host } if protocol == Protocol::Lmtp => {
                greeted = Some(host.to_string());
                ehlo(&mut writer, config).await?;
            }
            Request::Ehlo { host } if protocol == Protocol::Smtp => {
                greeted = Some(host.to_string());
                ehlo(&mut writer, config).await?;
            }
            Request::Helo { host } if protocol == Protocol::Smtp => {
                greeted = Some(host.to_string());
                reply(
                    &mut writer,
                    &format!("250 {} greets {host}", config.hostname),
                )
                .await?;
            }
            Request::Lhlo { .. } | Request::Ehlo { .. } | Request::Helo { .. } => {
                let expected = match protocol {
                    Protocol::Lmtp => "LHLO",
                    Protocol::Smtp => "EHLO or HELO",
                };
                reply(
                    &mut writer,
                    &format!(
                        "500 5.5.1 This is {}: say {expected}",
                        protocol.name().to_uppercase()
                    ),
                )
                .await?;
            }
            Request::Mail { from } => {
                if greeted.is_none() {
                    reply(&mut writer, "503 5.5.1 Say hello first").await?;
                } else if mail_from.is_some() {
                    reply(&mut writer, "503 5.5.1 Sender already given").await?;
                } else if from.size > limits.max_message {
                    reply(
                        &mut writer,
                        &format!(
                            "552 5.3.4 Message too large: {} bytes, the limit is {}",
                            from.size, limits.max_message
                        ),
                    )
                    .await?;
                } else {
                    mail_from = Some(from.address.to_string());
                    reply(&mut writer, "250 2.1.0 Sender OK").await?;
                }
            }
            Request::Rcpt { to } => {
                if mail_from.is_none() {
                    reply(&mut writer, "503 5.5.1 MAIL FROM first").await?;
                } else if recipients.len() >= limits.max_recipients {
                    reply(&mut writer, "452 4.5.3 Too many recipients").await?;
                } else if to.address.is_empty() || !to.address.contains('@') {
                    reply(&mut writer, "501 5.1.3 A recipient needs an address").await?;
                } else {
                    recipients.push(to.address.to_string());
                    reply(&mut writer, "250 2.1.5 Recipient OK").await?;
                }
            }
            Request::Data => {
                if recipients.is_empty() {
                    reply(&mut writer, "503 5.5.1 RCPT TO first").await?;
                    continue;
                }
                reply(&mut writer, "354 End data with <CR><LF>.<CR><LF>").await?;
                writer.flush().await?;
                let data = read_data(&mut reader, limits.max_message, limits.idle, budget).await?;
                let answer = match data {
                    Data::Closed => return Ok(()),
                    Data::NoRoom => {
                        tracing::warn!(%peer, "mail in progress fills the memory budget: a message is deferred");
                        "452 4.3.1 Too much mail in progress; try again later".to_string()
                    }
                    Data::TooLarge => format!(
                        "552 5.3.4 Message too large: the limit is {} bytes",
                        limits.max_message
                    ),
                    Data::Message(bytes, held) => {
                        let (answer, outcome) = oneshot::channel();
                        // Checked here, in the session: sessions check their senders side by side.
                        let evidence = app::mailroom::auth::Evidence {
                            client_ip: peer.ip(),
                            helo: greeted.clone().unwrap_or_default(),
                            mail_from: mail_from.clone().unwrap_or_default(),
                        };
                        let auth = app.verify_sender(&bytes, Some(&evidence)).await;
                        let delivery = Delivery {
                            bytes,
                            origin: format!("{}:{peer}", protocol.name()),
                            recipients: recipients.clone(),
                            auth,
                        };
                        let sent = queue
                            .send(Pending {
                                delivery,
                                answer,
                                held,
                            })
                            .await
                            .is_ok();
                        match (sent, outcome.await) {
                            (true, Ok(Ok(outcome))) => accepted(&outcome),
                            _ => "451 4.3.0 Cannot store the message now; try again later"
                                .to_string(),
                        }
                    }
                };
                let answers = match protocol {
                    Protocol::Lmtp => recipients.len(),
                    Protocol::Smtp => 1,
                };
                for _ in 0..answers {
                    reply(&mut writer, &answer).await?;
                }
                mail_from = None;
                recipients.clear();
            }
            Request::Rset => {
                mail_from = None;
                recipients.clear();
                reply(&mut writer, "250 2.0.0 Reset").await?;
            }
            Request::Noop { .. } => reply(&mut writer, "250 2.0.0 OK").await?,
            Request::Vrfy { .. } => {
                reply(
                    &mut writer,
                    "252 2.5.0 Cannot verify, but will take the message",
                )
                .await?
            }
            Request::Quit => {
                reply(&mut writer, "221 2.0.0 Bye").await?;
                writer.flush().await?;
                return Ok(());
            }
            _ => reply(&mut writer, "502 5.5.1 Not implemented").await?,
        }
    }
}

fn accepted(outcome: &intake::Outcome) -> String {
    match outcome {
        intake::Outcome::OnCase { case, .. } => format!("250 2.0.0 Stored on {case}"),
        intake::Outcome::Quarantined { id, .. } => {
            format!("250 2.0.0 Stored in quarantine as {id}")
        }
        intake::Outcome::Duplicate { .. } => "250 2.0.0 Already stored".to_string(),
    }
}

async fn ehlo<W: AsyncWrite + Unpin>(
    writer: &mut W,
    config: &ListenerConfig,
) -> std::io::Result<()> {
    let mut response = EhloResponse::new(config.hostname.as_str());
    response.capabilities = EXT_PIPELINING | EXT_SIZE | EXT_8BIT_MIME | EXT_ENHANCED_STATUS_CODES;
    response.size = config.limits.max_message;
    let mut bytes = Vec::new();
    response.write(&mut bytes)?;
    writer.write_all(&bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn line_of(bytes: &[u8], max: usize) -> Line {
        let mut reader = BufReader::new(bytes);
        read_line(&mut reader, max).await.expect("in memory")
    }

    #[tokio::test]
    async fn lines_are_cut_at_their_limit() {
        assert!(
            matches!(line_of(b"NOOP\r\nQUIT\r\n", 10).await, Line::Text(l) if l == b"NOOP\r\n")
        );
        assert!(matches!(
            line_of(b"NOOP NOOP NOOP\r\n", 10).await,
            Line::TooLong
        ));
        assert!(matches!(line_of(b"", 10).await, Line::Closed));
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_its_size_limited() {
        let mut reader = BufReader::new(&b"..dot\r\nline\r\n.\r\nQUIT\r\n"[..]);
        let budget = Arc::new(Semaphore::new(1024));
        let data = read_data(&mut reader, 100, Duration::from_secs(1), &budget)
            .await
            .expect("in memory");
        assert!(matches!(&data, Data::Message(m, Some(_)) if m == b".dot\r\nline\r\n"));
        assert_eq!(budget.available_permits(), 1023, "its share is held");
        drop(data);
        assert_eq!(budget.available_permits(), 1024, "and given back");
        let mut rest = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut rest)
            .await
            .expect("rest");
        assert_eq!(rest, "QUIT\r\n");
        let mut reader = BufReader::new(&b"0123456789\r\n.\r\n"[..]);
        let data = read_data(&mut reader, 5, Duration::from_secs(1), &budget)
            .await
            .expect("in memory");
        assert!(matches!(data, Data::TooLarge));
        // 3 KiB with 2 KiB of room: deferred, read to its end, and the room is still there.
        let mut big = vec![b'x'; 3 * 1024];
        big.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let small = Arc::new(Semaphore::new(2));
        let mut reader = BufReader::new(&big[..]);
        let data = read_data(&mut reader, 1 << 20, Duration::from_secs(1), &small)
            .await
            .expect("in memory");
        assert!(matches!(data, Data::NoRoom));
        assert_eq!(small.available_permits(), 2);
        let mut rest = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut rest)
            .await
            .expect("rest");
        assert_eq!(rest, "QUIT\r\n");
    }
}
