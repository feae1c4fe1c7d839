//! What commands return: serialisable views with stable field names (the CLI's `--json` contract).
//!
//! Times are RFC 3339 in UTC with milliseconds; [`local_time`] renders them
//! in the viewer's zone for people.

use case::summary::Summary;
use case::{EntryKind, Event, MatchedBy, Priority, Role, Status, Visibility};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use store::cases::CaseRecord;
use store::timeline::{AttachmentRecord, StoredMailbox, TimelineRecord};

/// Microseconds since the epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros).map_or_else(String::new, |time| {
        time.to_rfc3339_opts(SecondsFormat::Millis, true)
    })
}

/// An RFC 3339 time shown in a zone, as people read it: `2021-03-06 01:05:26 +08:00`.
pub fn local_time(rfc3339: &str, zone: chrono_tz::Tz) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|time| {
            time.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgView {
    /// Internal id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Mail domains.
    pub domains: Vec<String>,
    /// Whether this is the vendor's own organization.
    pub staff: bool,
}

impl From<store::orgs::OrgRecord> for OrgView {
    fn from(record: store::orgs::OrgRecord) -> OrgView {
        OrgView {
            id: record.id,
            name: record.name,
            domains: record.domains,
            staff: record.is_staff,
        }
    }
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactView {
    /// Internal id.
    pub id: i64,
    /// The name shown first.
    pub name: String,
    /// Every name.
    pub names: Vec<String>,
    /// Every address.
    pub addresses: Vec<String>,
    /// The organization, if linked.
    pub org: Option<String>,
    /// The role, if a user.
    pub role: Option<Role>,
}

impl From<store::orgs::ContactRecord> for ContactView {
    fn from(record: store::orgs::ContactRecord) -> ContactView {
        ContactView {
            id: record.id,
            name: record.display_name,
            names: record.names,
            addresses: record.addresses,
            org: record.org,
            role: record.role,
        }
    }
}

/// A case in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSummaryView {
    /// The case number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Customer.
    pub customer: String,
    /// Status.
    pub status: Status,
    /// Stage label.
    pub stage: String,
    /// Tracking token.
    pub tracking_token: Option<String>,
    /// Created (UTC).
    pub created_at: String,
    /// Last changed (UTC).
    pub updated_at: String,
}

impl CaseSummaryView {
    pub(crate) fn from_record(record: &CaseRecord) -> CaseSummaryView {
        CaseSummaryView {
            number: record.number.to_string(),
            title: record.title.clone(),
            priority: record.priority,
            customer: record.customer.clone(),
            status: record.status,
            stage: record.stage.clone(),
            tracking_token: record.tracking_token.as_ref().map(ToString::to_string),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
        }
    }
}

/// The email part of a timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailView {
    /// Internal row id (used by `case split --message`).
    pub message_row: i64,
    /// The Message-ID, if any.
    pub message_id: Option<String>,
    /// Sender's name.
    pub from_name: Option<String>,
    /// Sender's address.
    pub from_address: Option<String>,
    /// To recipients.
    pub to: Vec<StoredMailbox>,
    /// Cc recipients.
    pub cc: Vec<StoredMailbox>,
    /// Send time, RFC 3339 UTC with milliseconds.
    pub sent_at: String,
    /// The offset the source wrote the time with, `+08:00`.
    pub sent_offset: String,
    /// Subject.
    pub subject: String,
    /// The readable body.
    pub body_text: String,
    /// Byte offset in `body_text` where quoted history begins.
    pub quoted_from: Option<u64>,
    /// How the message found its case.
    pub matched_by: MatchedBy,
    /// Sender authentication, for mail that came live (IMAP, LMTP): `{"standing":
    /// "authenticated" | "unauthenticated" | "unverified", "verdict": {spf, dkim, dmarc, …}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<serde_json::Value>,
    /// Attachments.
    pub attachments: Vec<AttachmentRecord>,
    /// SHA-256 of the raw message.
    pub raw_sha256: String,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntryView {
    /// The entry's stable id (`casebook case entry ID --public`).
    pub id: i64,
    /// What it records.
    pub kind: EntryKind,
    /// Who may read it: `public` (the customer's contacts too) or `internal` (staff only).
    pub visibility: Visibility,
    /// The customer organization it came from (the case's customer when it was recorded).
    pub org_id: Option<i64>,
    /// When (UTC).
    pub at: String,
    /// Who, if a person.
    pub actor: Option<String>,
    /// The email, for email entries.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailView>,
    /// Details of other entries: identifiers and values of their event ([`Event`]).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl TimelineEntryView {
    /// The event a non-email entry records.
    pub fn event(&self) -> Option<Event> {
        if self.email.is_some() {
            return None;
        }
        Event::from_json(self.kind, &self.data).ok()
    }

    pub(crate) fn build(entry: &TimelineRecord) -> TimelineEntryView {
        TimelineEntryView {
            id: entry.id,
            kind: entry.kind,
            visibility: entry.visibility,
            org_id: entry.org_id,
            at: rfc3339(entry.at),
            actor: entry.actor.clone(),
            email: entry.message.as_ref().map(|message| EmailView {
                message_row: message.row_id,
                message_id: message.message_id.clone(),
                from_name: message.from_name.clone(),
                from_address: message.from_address.clone(),
                to: message.to.clone(),
                cc: message.cc.clone(),
                sent_at: rfc3339(message.sent_at),
                sent_offset: offset_text(message.sent_offset),
                subject: message.subject.clone(),
                body_text: message.body_text.clone(),
                quoted_from: message.quoted_from,
                matched_by: message.matched_by,
                authentication: entry.data.get("authentication").cloned(),
                attachments: message.attachments.clone(),
                raw_sha256: message.raw_sha256.clone(),
            }),
            data: if entry.message.is_some() {
                serde_json::Value::Null
            } else {
                entry.data.clone()
            },
        }
    }
}

/// A case with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    /// Number, title, priority, customer, status, stage, token and times.
    #[serde(flatten)]
    pub summary: CaseSummaryView,
    /// Owner.
    pub owner: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Problem definition.
    pub problem_definition: Option<String>,
    /// Scope.
    pub scope: Option<String>,
    /// Other labels that find this case.
    pub aliases: Vec<String>,
    /// The case this was split from.
    pub split_from: Option<String>,
    /// The case this was merged into.
    pub merged_into: Option<String>,
    /// The written summary of the latest archiving (问题描述, 案例总结), if it was archived.
    pub archive_summary: Option<Summary>,
    /// The root cause and resolution of the latest resolving, if it was resolved.
    pub resolution: Option<Summary>,
    /// The timeline, in time order.
    pub timeline: Vec<TimelineEntryView>,
    /// The SLA clocks (staff only, when a policy is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<crate::sla::CaseSlaView>,
}

impl CaseView {
    pub(crate) fn build(record: &CaseRecord, timeline: &[TimelineRecord]) -> CaseView {
        let timeline: Vec<TimelineEntryView> =
            timeline.iter().map(TimelineEntryView::build).collect();
        let latest_summary = |status: Status| {
            timeline.iter().rev().find_map(|entry| match entry.event() {
                Some(Event::StatusChange {
                    to,
                    summary: Some(summary),
                    ..
                }) if to == status => Some(summary),
                _ => None,
            })
        };
        CaseView {
            summary: CaseSummaryView::from_record(record),
            owner: record.owner.clone(),
            product: record.product.clone(),
            version: record.version.clone(),
            problem_definition: record.problem_definition.clone(),
            scope: record.scope.clone(),
            aliases: record.aliases.clone(),
            split_from: record.split_from.clone(),
            merged_into: record.merged_into.clone(),
            archive_summary: latest_summary(Status::Archived),
            resolution: latest_summary(Status::Resolved),
            timeline,
            sla: None,
        }
    }
}

/// What a command that changes a case did: the case's header and the entries it added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeView {
    /// The case changed (for a split, the new case; for a merge, the case that stays).
    pub case: CaseSummaryView,
    /// Whether anything changed; `false` when every value was already so.
    pub changed: bool,
    /// The entries the change added, on this case and, for merges and splits, on the other.
    pub entries: Vec<TimelineEntryView>,
    /// What the person should know: `{"code": "other_customer_internal", "customer", "count"}`.
    pub warnings: Vec<serde_json::Value>,
    /// For a reply: the message queued in the outbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<QueuedMail>,
}

/// A message a change queued for sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedMail {
    /// The outbox id (`casebook outbox list`, `outbox retry`).
    pub outbox_id: i64,
    /// Its Message-ID (without brackets), the same on every attempt.
    pub message_id: String,
}

/// A quarantine entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineView {
    /// The entry's id.
    pub id: i64,
    /// The reason's stable code.
    pub reason_code: String,
    /// The reason in words.
    pub reason: String,
    /// Sender.
    pub from_address: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Message-ID.
    pub message_id: Option<String>,
    /// Where it came from.
    pub origin: String,
    /// When it arrived (UTC).
    pub received_at: String,
    /// SHA-256 of the raw bytes.
    pub raw_sha256: String,
    /// What a person decided, if anything.
    pub resolution: Option<String>,
    /// The case it went to.
    pub case: Option<String>,
    /// Why a person dismissed it, if they said.
    pub note: Option<String>,
}

impl From<store::quarantine::QuarantineRecord> for QuarantineView {
    fn from(record: store::quarantine::QuarantineRecord) -> QuarantineView {
        QuarantineView {
            id: record.id,
            reason_code: record.reason_code,
            reason: record.reason,
            from_address: record.from_address,
            subject: record.subject,
            message_id: record.message_id,
            origin: record.origin,
            received_at: rfc3339(record.received_at),
            raw_sha256: record.raw_sha256,
            resolution: record.resolution,
            case: record.case_number,
            note: record.note,
        }
    }
}

/// What `case new` takes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCaseInput {
    /// Title.
    pub title: String,
    /// Customer organization's name.
    pub customer: String,
    /// Priority (P3 if not given).
    pub priority: Option<Priority>,
    /// Stage label (the default stage if not given).
    pub stage: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Add the customer as a new organization when no organization has that name.
    pub new_org: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let micros = 1_614_963_926_201_000; // 2021-03-05T17:05:26.201Z, the seed's first message
        assert_eq!(rfc3339(micros), "2021-03-05T17:05:26.201Z");
        assert_eq!(
            local_time("2021-03-05T17:05:26.201Z", chrono_tz::Asia::Shanghai),
            "2021-03-06 01:05:26 +08:00"
        );
        assert_eq!(offset_text(8 * 3600), "+08:00");
        assert_eq!(offset_text(-(5 * 3600 + 30 * 60)), "-05:30");
    }
}
