//! The vocabulary of a case timeline: entry kinds, the events they record, who may read them
//! ([`Visibility`]) and how an email was matched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::status::Status;
use crate::summary::Summary;

/// What a timeline entry records. The identifiers are stable JSON values.
///
/// Emails have their own kinds; every other kind carries an [`Event`] whose
/// stored form holds identifiers and values, never a sentence: interfaces
/// render it in the reader's language when they show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An email from outside the vendor, or any email received by the intake.
    InboundEmail,
    /// An email sent from Casebook or by the vendor's staff.
    OutboundEmail,
    /// An internal note by staff.
    Note,
    /// A status change, with its summary where one was required; the case's opening is one (from nothing to `new`).
    StatusChange,
    /// The owner changed.
    Assignment,
    /// A file was attached to the case.
    Attachment,
    /// One field of the case changed (field, from, to).
    FieldChange,
    /// Another case was merged into this one, or this one into another.
    Merge,
    /// A case was split off this one, or this one off another.
    Split,
    /// A person made an entry public or internal.
    VisibilityChange,
    /// An SLA rule's warning threshold was reached.
    SlaWarning,
    /// An SLA rule's limit was passed.
    SlaBreach,
}

impl EntryKind {
    /// Every kind, for tests and catalogs that must cover them all.
    pub const ALL: [EntryKind; 12] = [
        EntryKind::InboundEmail,
        EntryKind::OutboundEmail,
        EntryKind::Note,
        EntryKind::StatusChange,
        EntryKind::Assignment,
        EntryKind::Attachment,
        EntryKind::FieldChange,
        EntryKind::Merge,
        EntryKind::Split,
        EntryKind::VisibilityChange,
        EntryKind::SlaWarning,
        EntryKind::SlaBreach,
    ];

    /// Whether this kind is an email.
    pub fn is_email(self) -> bool {
        matches!(self, EntryKind::InboundEmail | EntryKind::OutboundEmail)
    }
}

/// Who may read a timeline entry: the partner's contacts too, or only the vendor's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The customer's contacts may read it (in the portal, in exports).
    Public,
    /// Only the vendor's staff may read it.
    Internal,
}

impl Visibility {
    /// Whether an email is public: only when someone outside the staff organization sent it or
    /// received it. Mail among staff only, and mail whose recipients are unknown (a thread export
    /// gives senders' names, not recipients), stays internal until an engineer marks it public.
    pub fn of_email(
        from_thread_export: bool,
        sender_is_staff: bool,
        recipients_are_staff: impl IntoIterator<Item = bool>,
    ) -> Visibility {
        if from_thread_export {
            return Visibility::Internal;
        }
        if !sender_is_staff || recipients_are_staff.into_iter().any(|staff| !staff) {
            Visibility::Public
        } else {
            Visibility::Internal
        }
    }
}

/// A case field whose change is recorded as a [`Event::FieldChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseField {
    /// The title (in every subject).
    Title,
    /// The priority (in every subject).
    Priority,
    /// The stage label (in every subject).
    Stage,
    /// The product concerned.
    Product,
    /// The product's version.
    Version,
    /// The problem as defined with the partner.
    ProblemDefinition,
    /// The scope agreed with the partner.
    Scope,
    /// The staff's own labels (internal).
    Tags,
    /// The addresses the takeover guard trusts on the case (internal).
    Participants,
}

impl CaseField {
    /// Every field, in the order a case page shows them.
    pub const ALL: [CaseField; 9] = [
        CaseField::Title,
        CaseField::Priority,
        CaseField::Stage,
        CaseField::Product,
        CaseField::Version,
        CaseField::ProblemDefinition,
        CaseField::Scope,
        CaseField::Tags,
        CaseField::Participants,
    ];

    /// Whether the partner sees this field, and so the change of it: fields written in the subject
    /// or agreed with the partner are public; the staff's tags and the participant list are not.
    pub fn is_public(self) -> bool {
        !matches!(self, CaseField::Tags | CaseField::Participants)
    }
}

/// Which side of a merge an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeSide {
    /// On the case that stays: the other case was merged into it.
    MergedIn,
    /// On the duplicate: it was merged into the other case.
    MergedInto,
}

/// Which side of a split an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitSide {
    /// On the original case: the other case was split off it.
    SplitOff,
    /// On the new case: it was split from the other case.
    SplitFrom,
}

/// What a non-email timeline entry records, as stored (the `data` of the JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An internal note.
    Note {
        /// The note's text.
        text: String,
    },
    /// A status change; `from` is `None` for the case's opening.
    StatusChange {
        /// The status before, `None` when the case was opened.
        from: Option<Status>,
        /// The status after.
        to: Status,
        /// The written summary (archive) or root cause and resolution (resolve) it carried.
        summary: Option<Summary>,
    },
    /// The owner changed (display names; `None` is nobody).
    Assignment {
        /// The owner before.
        from: Option<String>,
        /// The owner after.
        to: Option<String>,
    },
    /// One field changed.
    FieldChange {
        /// Which field.
        field: CaseField,
        /// The value before (`None`: it had none).
        from: Option<String>,
        /// The value after.
        to: Option<String>,
    },
    /// A merge.
    Merge {
        /// Which side this entry is on.
        side: MergeSide,
        /// The other case's number.
        case: String,
        /// The other case's customer, when it differed from this case's.
        other_customer: Option<String>,
        /// How many entries of another customer the merge made internal.
        made_internal: u64,
    },
    /// A split.
    Split {
        /// Which side this entry is on.
        side: SplitSide,
        /// The other case's number.
        case: String,
        /// The new case's title.
        title: String,
        /// How many messages moved.
        messages: u64,
    },
    /// A person changed an entry's visibility.
    VisibilityChange {
        /// The entry that changed.
        entry: i64,
        /// Its visibility before.
        from: Visibility,
        /// Its visibility after.
        to: Visibility,
    },
    /// A file attached to the case (not by mail).
    Attachment {
        /// The safe file name.
        filename: String,
        /// Size in bytes.
        size: u64,
    },
    /// An SLA rule fired: its warning (`breach: false`) or its limit.
    Sla {
        /// Whether the limit was passed (else the warning threshold was reached).
        breach: bool,
        /// The policy rule's name.
        rule: String,
        /// What the rule measures (`idle`, `open`, …).
        measure: String,
        /// The limit as the policy writes it (`10d`, `4bh`).
        target: String,
        /// When the threshold was reached, microseconds since the epoch (UTC).
        due_at: i64,
        /// What the policy does (`notify_owner`, `escalate_manager`, …).
        actions: Vec<String>,
    },
}

/// The stored data of an entry does not fit its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} entry has data that does not fit it: {reason}")]
pub struct BadEventData {
    /// The entry's kind.
    pub kind: EntryKind,
    /// What did not fit.
    pub reason: String,
}

#[derive(Serialize, Deserialize)]
struct StatusData {
    from: Option<Status>,
    to: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
}

#[derive(Serialize, Deserialize)]
struct FromTo<T> {
    from: Option<T>,
    to: Option<T>,
}

#[derive(Serialize, Deserialize)]
struct FieldData {
    field: CaseField,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct MergeData {
    side: MergeSide,
    case: String,
    #[serde(default)]
    other_customer: Option<String>,
    #[serde(default)]
    made_internal: u64,
}

#[derive(Serialize, Deserialize)]
struct SplitData {
    side: SplitSide,
    case: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    messages: u64,
}

#[derive(Serialize, Deserialize)]
struct VisibilityData {
    entry: i64,
    from: Visibility,
    to: Visibility,
}

#[derive(Serialize, Deserialize)]
struct NoteData {
    text: String,
}

#[derive(Serialize, Deserialize)]
struct SlaData {
    rule: String,
    measure: String,
    target: String,
    due_at: i64,
    #[serde(default)]
    actions: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct AttachmentData {
    filename: String,
    size: u64,
}

fn to_value(value: impl Serialize) -> serde_json::Value {
    serde_json::to_value(value)
        .expect("event data holds strings, numbers and enums only, which always serialise")
}

impl Event {
    /// The entry kind that records this event.
    pub fn kind(&self) -> EntryKind {
        match self {
            Event::Note { .. } => EntryKind::Note,
            Event::StatusChange { .. } => EntryKind::StatusChange,
            Event::Assignment { .. } => EntryKind::Assignment,
            Event::FieldChange { .. } => EntryKind::FieldChange,
            Event::Merge { .. } => EntryKind::Merge,
            Event::Split { .. } => EntryKind::Split,
            Event::VisibilityChange { .. } => EntryKind::VisibilityChange,
            Event::Attachment { .. } => EntryKind::Attachment,
            Event::Sla { breach: false, .. } => EntryKind::SlaWarning,
            Event::Sla { breach: true, .. } => EntryKind::SlaBreach,
        }
    }

    /// Who may read the entry when it is recorded: status changes (with the summary they carry) and
    /// changes of public fields are public; notes, assignments, merges, splits and visibility changes
    /// are internal.
    pub fn visibility(&self) -> Visibility {
        match self {
            Event::StatusChange { .. } => Visibility::Public,
            Event::FieldChange { field, .. } if field.is_public() => Visibility::Public,
            _ => Visibility::Internal,
        }
    }

    /// The stored form: identifiers and values.
    pub fn to_json(&self) -> serde_json::Value {
        match self.clone() {
            Event::Note { text } => to_value(NoteData { text }),
            Event::StatusChange { from, to, summary } => to_value(StatusData { from, to, summary }),
            Event::Assignment { from, to } => to_value(FromTo { from, to }),
            Event::FieldChange { field, from, to } => to_value(FieldData { field, from, to }),
            Event::Merge {
                side,
                case,
                other_customer,
                made_internal,
            } => to_value(MergeData {
                side,
                case,
                other_customer,
                made_internal,
            }),
            Event::Split {
                side,
                case,
                title,
                messages,
            } => to_value(SplitData {
                side,
                case,
                title,
                messages,
            }),
            Event::VisibilityChange { entry, from, to } => {
                to_value(VisibilityData { entry, from, to })
            }
            Event::Attachment { filename, size } => to_value(AttachmentData { filename, size }),
            Event::Sla {
                rule,
                measure,
                target,
                due_at,
                actions,
                ..
            } => to_value(SlaData {
                rule,
                measure,
                target,
                due_at,
                actions,
            }),
        }
    }

    /// Reads the stored form back; an email kind has no event.
    pub fn from_json(kind: EntryKind, data: &serde_json::Value) -> Result<Event, BadEventData> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: EntryKind,
            data: &serde_json::Value,
        ) -> Result<T, BadEventData> {
            T::deserialize(data).map_err(|error| BadEventData {
                kind,
                reason: error.to_string(),
            })
        }
        Ok(match kind {
            EntryKind::InboundEmail | EntryKind::OutboundEmail => {
                return Err(BadEventData {
                    kind,
                    reason: "an email entry carries a message, not an event".into(),
                })
            }
            EntryKind::Note => {
                let data: NoteData = read(kind, data)?;
                Event::Note { text: data.text }
            }
            EntryKind::StatusChange => {
                let data: StatusData = read(kind, data)?;
                Event::StatusChange {
                    from: data.from,
                    to: data.to,
                    summary: data.summary,
                }
            }
            EntryKind::Assignment => {
                let data: FromTo<String> = read(kind, data)?;
                Event::Assignment {
                    from: data.from,
                    to: data.to,
                }
            }
            EntryKind::FieldChange => {
                let data: FieldData = read(kind, data)?;
                Event::FieldChange {
                    field: data.field,
                    from: data.from,
                    to: data.to,
                }
            }
            EntryKind::Merge => {
                let data: MergeData = read(kind, data)?;
                Event::Merge {
                    side: data.side,
                    case: data.case,
                    other_customer: data.other_customer,
                    made_internal: data.made_internal,
                }
            }
            EntryKind::Split => {
                let data: SplitData = read(kind, data)?;
                Event::Split {
                    side: data.side,
                    case: data.case,
                    title: data.title,
                    messages: data.messages,
                }
            }
            EntryKind::VisibilityChange => {
                let data: VisibilityData = read(kind, data)?;
                Event::VisibilityChange {
                    entry: data.entry,
                    from: data.from,
                    to: data.to,
                }
            }
            EntryKind::Attachment => {
                let data: AttachmentData = read(kind, data)?;
                Event::Attachment {
                    filename: data.filename,
                    size: data.size,
                }
            }
            EntryKind::SlaWarning | EntryKind::SlaBreach => {
                let data: SlaData = read(kind, data)?;
                Event::Sla {
                    breach: kind == EntryKind::SlaBreach,
                    rule: data.rule,
                    measure: data.measure,
                    target: data.target,
                    due_at: data.due_at,
                    actions: data.actions,
                }
            }
        })
    }
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
    /// A partner's contact wrote it in the portal, on their case.
    Portal,
    /// Staff wrote it in Casebook's composer, as a reply on the case.
    Composer,
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
    FieldChange => "field_change",
    Merge => "merge",
    Split => "split",
    VisibilityChange => "visibility_change",
    SlaWarning => "sla_warning",
    SlaBreach => "sla_breach",
});

identifiers!(Visibility {
    Public => "public",
    Internal => "internal",
});

identifiers!(CaseField {
    Title => "title",
    Priority => "priority",
    Stage => "stage",
    Product => "product",
    Version => "version",
    ProblemDefinition => "problem_definition",
    Scope => "scope",
    Tags => "tags",
    Participants => "participants",
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
    Portal => "portal",
    Composer => "composer",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        for kind in EntryKind::ALL {
            assert_eq!(kind.as_str().parse::<EntryKind>(), Ok(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
        for field in CaseField::ALL {
            assert_eq!(field.as_str().parse::<CaseField>(), Ok(field));
        }
        assert_eq!(
            "thread_index".parse::<MatchedBy>(),
            Ok(MatchedBy::ThreadIndex)
        );
        assert!("Token".parse::<MatchedBy>().is_err());
    }

    fn round_trip(event: Event) {
        let json = event.to_json();
        assert_eq!(
            Event::from_json(event.kind(), &json),
            Ok(event.clone()),
            "{json}"
        );
        // The stored form holds values, never a sentence.
        assert!(
            json.get("text").is_none() || matches!(event, Event::Note { .. }),
            "{json}"
        );
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        round_trip(Event::Note {
            text: "called Gao Meng".into(),
        });
        round_trip(Event::StatusChange {
            from: None,
            to: Status::New,
            summary: None,
        });
        round_trip(Event::StatusChange {
            from: Some(Status::InProgress),
            to: Status::Archived,
            summary: Some(Summary {
                problem: Some("p".into()),
                summary: Some("s".into()),
                ..Summary::default()
            }),
        });
        round_trip(Event::Assignment {
            from: None,
            to: Some("Li Qi".into()),
        });
        round_trip(Event::FieldChange {
            field: CaseField::Priority,
            from: Some("P3".into()),
            to: Some("P2".into()),
        });
        round_trip(Event::Merge {
            side: MergeSide::MergedIn,
            case: "CAS-00002-AAAAAA".into(),
            other_customer: Some("Lenovo".into()),
            made_internal: 3,
        });
        round_trip(Event::Split {
            side: SplitSide::SplitFrom,
            case: "CAS-00001-AAAAAA".into(),
            title: "t".into(),
            messages: 2,
        });
        round_trip(Event::VisibilityChange {
            entry: 7,
            from: Visibility::Internal,
            to: Visibility::Public,
        });
        round_trip(Event::Attachment {
            filename: "a.log".into(),
            size: 3,
        });
    }

    #[test]
    fn data_that_does_not_fit_its_kind_is_an_error() {
        let error = Event::from_json(
            EntryKind::FieldChange,
            &serde_json::json!({ "text": "changed priority" }),
        )
        .unwrap_err();
        assert_eq!(error.kind, EntryKind::FieldChange);
        assert!(Event::from_json(EntryKind::InboundEmail, &serde_json::json!({})).is_err());
    }

    #[test]
    fn who_may_read_an_event() {
        assert_eq!(
            Event::StatusChange {
                from: None,
                to: Status::New,
                summary: None
            }
            .visibility(),
            Visibility::Public
        );
        assert_eq!(
            Event::Note { text: "x".into() }.visibility(),
            Visibility::Internal
        );
        assert_eq!(
            Event::Assignment {
                from: None,
                to: None
            }
            .visibility(),
            Visibility::Internal
        );
        assert_eq!(
            Event::Merge {
                side: MergeSide::MergedIn,
                case: "x".into(),
                other_customer: None,
                made_internal: 0
            }
            .visibility(),
            Visibility::Internal
        );
    }

    #[test]
    fn email_visibility() {
        // A partner wrote: public.
        assert_eq!(Visibility::of_email(false, false, []), Visibility::Public);
        // Staff wrote to a partner: public.
        assert_eq!(
            Visibility::of_email(false, true, [true, false]),
            Visibility::Public
        );
        // Staff among themselves (the seed's manager and engineer): internal.
        assert_eq!(
            Visibility::of_email(false, true, [true, true]),
            Visibility::Internal
        );
        assert_eq!(Visibility::of_email(false, true, []), Visibility::Internal);
        // A thread export names no recipients: internal, whoever sent it.
        assert_eq!(
            Visibility::of_email(true, false, [false]),
            Visibility::Internal
        );
    }
}
