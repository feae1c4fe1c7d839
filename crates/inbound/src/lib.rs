//! Mail into Casebook from mail servers: the LMTP (and SMTP) listener a mail server delivers to
//! ([`lmtp`]), and later the IMAP poller. Both are interfaces like the web: they hand what
//! arrives to `app` (`App::deliver`), which takes it through the one ingest path.

pub mod lmtp;
