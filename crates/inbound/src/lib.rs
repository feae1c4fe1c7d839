//! Mail into Casebook from mail servers: the LMTP (and SMTP) listener a mail server delivers to
//! ([`lmtp`]), and the IMAP poller ([`imap`]). Both are interfaces like the web: they hand what
//! arrives to `app` (`App::deliver`), which takes it through the one ingest path.

pub mod imap;
pub mod lmtp;
