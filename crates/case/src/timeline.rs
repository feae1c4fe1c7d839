//! The vocabulary of a case timeline: entry kinds and how an email was matched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a timeline entry records. The identifiers are stable JSON values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An email from outside the vendor, or any email received by the intake.
    InboundEmail,
    /// An email sent from Casebook or by the vendor's staff.
    OutboundEmail,
    /// An internal note by staff.
    Note,
    /// A status change, with its summary where one was required.
    StatusChange,
    /// The owner changed.
    Assignment,
    /// A file was attached to the case.
    Attachment,
}

/// How an email found its case, so a person can see why it landed where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// In-Reply-To or References named a message already on the case.
    References,
    /// The subject carried the case's tracking token.
    Token,
    /// The subject carried the case's number or one of its aliases.
    CaseNumber,
    /// Outlook's Thread-Index shared its root with a message on the case.
    ThreadIndex,
    /// The subject named a number Casebook did not know, and the title and participants of a case
    /// Casebook had opened named the same problem: the number became that case's alias.
    Title,
    /// The email named no case and opened a new one.
    NewCase,
    /// The email named a number from an earlier system; the case was created with it.
    Adopted,
    /// The email came from a thread export that an operator imported.
    Import,
    /// A person put the email on the case (from quarantine).
    Manual,
}

macro_rules! identifiers {
    ($type:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $type {
            /// The stable identifier used in JSON and the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $type {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text { $($text => Ok(Self::$variant),)+ other => Err(format!("unknown {} '{other}'", stringify!($type))) }
            }
        }
    };
}

identifiers!(EntryKind {
    InboundEmail => "inbound_email",
    OutboundEmail => "outbound_email",
    Note => "note",
    StatusChange => "status_change",
    Assignment => "assignment",
    Attachment => "attachment",
});

identifiers!(MatchedBy {
    References => "references",
    Token => "token",
    CaseNumber => "case_number",
    ThreadIndex => "thread_index",
    Title => "title",
    NewCase => "new_case",
    Adopted => "adopted",
    Import => "import",
    Manual => "manual",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        for kind in [
            EntryKind::InboundEmail,
            EntryKind::OutboundEmail,
            EntryKind::Note,
            EntryKind::StatusChange,
            EntryKind::Assignment,
            EntryKind::Attachment,
        ] {
            assert_eq!(kind.as_str().parse::<EntryKind>(), Ok(kind));
        }
        assert_eq!(
            "thread_index".parse::<MatchedBy>(),
            Ok(MatchedBy::ThreadIndex)
        );
        assert!("Token".parse::<MatchedBy>().is_err());
    }
}
