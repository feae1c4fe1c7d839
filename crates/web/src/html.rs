//! The pages' templates (askama, checked at compile time, escaping by default) and what they are
//! given: every sentence comes from the Fluent catalog through [`Chrome::t`], never from a
//! template.

use app::views::{CaseView, TimelineEntryView};
use app::Lang;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use case::timeline::Visibility;

use crate::guard::Signed;

/// What every page's frame needs: the language, the caller, the CSRF token.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The language.
    pub lang: Lang,
    /// The caller's name, if signed in.
    pub user: Option<String>,
    /// Staff see the workspace's menu.
    pub staff: bool,
    /// Admins see the admin pages.
    pub admin: bool,
    /// The session's CSRF token for forms.
    pub csrf: String,
    /// The page's title.
    pub title: String,
    /// Which menu item is current.
    pub nav: &'static str,
}

impl Chrome {
    /// The frame of a signed-in caller's page.
    pub fn signed(signed: &Signed, title: String, nav: &'static str) -> Chrome {
        Chrome {
            lang: signed.lang,
            user: Some(signed.principal.name.clone()),
            staff: signed.is_staff(),
            admin: signed.principal.role == case::party::Role::Admin,
            csrf: signed.csrf().to_string(),
            title,
            nav,
        }
    }

    /// The frame of a signed-out page.
    pub fn visitor(lang: Lang, title: String) -> Chrome {
        Chrome {
            lang,
            user: None,
            staff: false,
            admin: false,
            csrf: String::new(),
            title,
            nav: "",
        }
    }

    /// The catalog's sentence.
    pub fn t(&self, id: &str) -> String {
        self.lang.say(id)
    }

    /// The language's tag for `<html lang>`.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The other language, for the switch.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::En => "zh-CN",
            Lang::ZhCn => "en",
        }
    }

    /// The other language's own name.
    pub fn other_lang_name(&self) -> &'static str {
        match self.lang {
            Lang::En => "中文",
            Lang::ZhCn => "English",
        }
    }
}

/// An error page.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Frame.
    pub c: Chrome,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do.
    pub message: String,
}

impl ErrorPage {
    /// The page for an error.
    pub fn new(lang: Lang, status: StatusCode, message: &str) -> ErrorPage {
        ErrorPage {
            c: Chrome::visitor(lang, lang.say("web-error-title")),
            status: status.as_u16(),
            message: message.to_string(),
        }
    }
}

/// The sign-in page.
#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
pub struct SignInPage {
    /// Frame.
    pub c: Chrome,
    /// Where to go after.
    pub next: String,
    /// The login typed, on a second try.
    pub login: String,
    /// Why the last try failed.
    pub error: Option<String>,
    /// A message after a password was set.
    pub notice: Option<String>,
}

/// A queue row as shown.
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: String,
    /// Customer.
    pub customer: String,
    /// Status id.
    pub status: String,
    /// Status in words.
    pub status_text: String,
    /// Stage.
    pub stage: String,
    /// Owner.
    pub owner: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Last change, local.
    pub updated: String,
    /// Its clocks: `ok`, `at_risk`, `breached`, or empty without clocks.
    pub sla: &'static str,
    /// At risk or breached, in words (empty otherwise).
    pub sla_text: String,
    /// The earliest breach, local (empty without one).
    pub due: String,
}

/// A status tab with its count.
#[derive(Debug, Clone)]
pub struct CountTab {
    /// Status id.
    pub status: String,
    /// In words.
    pub text: String,
    /// Cases.
    pub count: u64,
    /// Whether the filter is on.
    pub active: bool,
}

/// The queue's filter values, to fill the form again.
#[derive(Debug, Clone, Default)]
pub struct QueueFilters {
    /// Text.
    pub q: String,
    /// Status ids.
    pub status: Vec<String>,
    /// Priority.
    pub priority: String,
    /// Customer.
    pub customer: String,
    /// Owner: any, mine, unassigned or a person.
    pub owner: String,
    /// Stage.
    pub stage: String,
    /// Tag.
    pub tag: String,
    /// Sort.
    pub sort: String,
    /// SLA: empty, `at_risk` or `breached`.
    pub sla: String,
}

/// The queue page.
#[derive(Template, WebTemplate)]
#[template(path = "queue.html")]
pub struct QueuePage {
    /// Frame.
    pub c: Chrome,
    /// Rows.
    pub rows: Vec<QueueRow>,
    /// Tabs.
    pub counts: Vec<CountTab>,
    /// Filters.
    pub filters: QueueFilters,
    /// The query string of the next page.
    pub next: Option<String>,
    /// The query string of the current filters (for saving a view).
    pub query: String,
    /// Saved views: (id, name, query).
    pub views: Vec<(i64, String, String)>,
    /// Every priority id.
    pub priorities: Vec<&'static str>,
    /// Every status: (id, words).
    pub statuses: Vec<(&'static str, String)>,
    /// A message after a bulk action.
    pub notice: Option<String>,
}

/// A timeline entry as shown.
#[derive(Debug, Clone)]
pub struct EntryRow {
    /// Entry id.
    pub id: i64,
    /// Kind id (for the style).
    pub kind: String,
    /// Kind in words.
    pub kind_text: String,
    /// Whether it is internal.
    pub internal: bool,
    /// Who.
    pub who: String,
    /// When, in the reader's zone.
    pub at: String,
    /// Subject, for mail.
    pub subject: Option<String>,
    /// The new text (of a mail, before the quoted history; of a note; of an event).
    pub text: String,
    /// The quoted history, folded.
    pub quoted: Option<String>,
    /// Attachments: (index, file name, size).
    pub attachments: Vec<(usize, String, u64)>,
    /// Outbox state in words, for replies Casebook wrote.
    pub outbox: Option<String>,
    /// Recipients, for mail.
    pub to: String,
}

impl EntryRow {
    /// The row for an entry.
    pub fn build(entry: &TimelineEntryView, lang: Lang, zone: chrono_tz::Tz) -> EntryRow {
        let at = app::views::local_time(&entry.at, zone);
        let kind = entry.kind.to_string();
        let kind_text = lang.say(&format!("kind-{kind}"));
        let internal = entry.visibility == Visibility::Internal;
        match &entry.email {
            Some(email) => {
                let body = email.body_text.as_str();
                let cut = email
                    .quoted_from
                    .and_then(|q| usize::try_from(q).ok())
                    .filter(|&q| q <= body.len() && body.is_char_boundary(q));
                let (fresh, quoted) = match cut {
                    Some(cut) => (&body[..cut], Some(body[cut..].trim().to_string())),
                    None => (body, None),
                };
                let who = match (&email.from_name, &email.from_address) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (None, Some(address)) => address.clone(),
                    (Some(name), None) => name.clone(),
                    (None, None) => String::new(),
                };
                let to = email
                    .to
                    .iter()
                    .chain(&email.cc)
                    .filter_map(|m| m.address.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                EntryRow {
                    id: entry.id,
                    kind,
                    kind_text,
                    internal,
                    who,
                    at,
                    subject: Some(email.subject.clone()),
                    text: fresh.trim_end().to_string(),
                    quoted: quoted.filter(|q| !q.is_empty()),
                    attachments: email
                        .attachments
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (i, a.filename.clone(), a.size))
                        .collect(),
                    outbox: None,
                    to,
                }
            }
            None => EntryRow {
                id: entry.id,
                kind,
                kind_text,
                internal,
                who: entry.actor.clone().unwrap_or_default(),
                at,
                subject: None,
                text: entry
                    .event()
                    .map(|event| app::i18n::event_text(&event, lang))
                    .unwrap_or_default(),
                quoted: None,
                attachments: Vec::new(),
                outbox: None,
                to: String::new(),
            },
        }
    }
}

/// A template for the composer.
#[derive(Debug, Clone)]
pub struct ComposerTemplate {
    /// Its id.
    pub id: &'static str,
    /// Its name in the reader's language.
    pub name: String,
    /// Its text (in the reader's language).
    pub text: String,
    /// Whether it goes to the note (internal) or the reply.
    pub note: bool,
}

/// The case page (workspace and portal).
#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePageHtml {
    /// Frame.
    pub c: Chrome,
    /// The case.
    pub case: CaseView,
    /// Status in words.
    pub status_text: String,
    /// Entries.
    pub entries: Vec<EntryRow>,
    /// Tags.
    pub tags: Vec<String>,
    /// Participants.
    pub participants: Vec<String>,
    /// Allowed transitions: (id, words).
    pub transitions: Vec<(String, String)>,
    /// Every priority.
    pub priorities: Vec<&'static str>,
    /// Composer templates.
    pub templates: Vec<ComposerTemplate>,
    /// The newest entry shown (the live stream starts after it).
    pub last_entry: i64,
    /// Created, local.
    pub created: String,
    /// A message after an action.
    pub notice: Option<String>,
    /// The SLA clocks (staff, with a policy set).
    pub clocks: Vec<ClockRow>,
    /// The policy version the clocks follow.
    pub sla_version: Option<i64>,
}

/// The managers' SLA dashboard.
#[derive(Template, WebTemplate)]
#[template(path = "sla.html")]
pub struct SlaPage {
    /// Frame.
    pub c: Chrome,
    /// Whether a policy is set.
    pub policy_set: bool,
    /// Open cases past a limit, earliest breach first.
    pub breached: Vec<SlaRow>,
    /// Open cases past an at-risk point, nearest breach first.
    pub at_risk: Vec<SlaRow>,
    /// Per owner: name, breached, at risk.
    pub owners: Vec<(String, usize, usize)>,
}

/// A case on the dashboard.
#[derive(Debug, Clone)]
pub struct SlaRow {
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: String,
    /// Customer.
    pub customer: String,
    /// Owner (or "nobody").
    pub owner: String,
    /// The clocks at risk or breached.
    pub clocks: Vec<ClockRow>,
}

/// One SLA clock as the case page shows it.
#[derive(Debug, Clone)]
pub struct ClockRow {
    /// The rule.
    pub rule: String,
    /// What it measures, in words.
    pub measure: String,
    /// The limit (`10d`).
    pub target: String,
    /// `breached`, `at_risk`, `running`, `paused`, `stopped` or `met`.
    pub state: &'static str,
    /// The state in words.
    pub state_text: String,
    /// When it is or was due, local (empty when paused or met).
    pub due: String,
    /// How long until then, or how long overdue, in words.
    pub left: String,
}

impl CasePageHtml {
    /// The case's number.
    pub fn number(&self) -> &str {
        &self.case.summary.number
    }
}

/// The new case page.
#[derive(Template, WebTemplate)]
#[template(path = "new_case.html")]
pub struct NewCasePage {
    /// Frame.
    pub c: Chrome,
    /// Customer organizations (staff choose one).
    pub customers: Vec<String>,
    /// Every priority.
    pub priorities: Vec<&'static str>,
}

/// The outbox: what Casebook sends, and what failed.
#[derive(Template, WebTemplate)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    /// Frame.
    pub c: Chrome,
    /// Messages, newest first.
    pub rows: Vec<OutboxRow>,
    /// The state shown (`""`: all).
    pub status: String,
}

/// One outgoing message.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// Outbox id.
    pub id: i64,
    /// `queued`, `sending`, `sent`, `failed`.
    pub state: String,
    /// The state in words.
    pub state_label: String,
    /// What it is, in words.
    pub purpose: String,
    /// The case's number, if any.
    pub case: Option<String>,
    /// Recipients.
    pub recipients: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Queued, local.
    pub queued: String,
    /// Sent, local.
    pub sent: String,
    /// The error or the bounce, with the recipient it named.
    pub error: String,
}

/// The quarantine list.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine.html")]
pub struct QuarantinePage {
    /// Frame.
    pub c: Chrome,
    /// Entries: (id, received local, from, subject, reason, resolution).
    pub rows: Vec<QuarantineRow>,
    /// Whether dismissed and decided entries are shown.
    pub all: bool,
}

/// A quarantine row.
#[derive(Debug, Clone)]
pub struct QuarantineRow {
    /// Id.
    pub id: i64,
    /// Arrived, local.
    pub received: String,
    /// Sender.
    pub from: String,
    /// Subject.
    pub subject: String,
    /// Why it is held.
    pub reason: String,
    /// What a person decided.
    pub resolution: String,
}

/// One quarantined message.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine_show.html")]
pub struct QuarantineShowPage {
    /// Frame.
    pub c: Chrome,
    /// The entry.
    pub row: QuarantineRow,
    /// Its raw headers.
    pub headers: String,
    /// Its text.
    pub body: String,
    /// Whether a decision was made already.
    pub open: bool,
    /// The case it went to.
    pub case: Option<String>,
}

/// A list of organizations or contacts.
#[derive(Template, WebTemplate)]
#[template(path = "directory.html")]
pub struct DirectoryPage {
    /// Frame.
    pub c: Chrome,
    /// Column headings (catalog ids).
    pub columns: Vec<String>,
    /// Rows: (link, cells).
    pub rows: Vec<(Option<String>, Vec<String>)>,
}

/// An organization with its people and cases.
#[derive(Template, WebTemplate)]
#[template(path = "org.html")]
pub struct OrgPage {
    /// Frame.
    pub c: Chrome,
    /// Name.
    pub name: String,
    /// Domains.
    pub domains: Vec<String>,
    /// Staff organization.
    pub staff: bool,
    /// People: (id, name, addresses, role).
    pub people: Vec<(i64, String, String, String)>,
    /// Cases.
    pub rows: Vec<QueueRow>,
}

/// A contact with the cases they take part in.
#[derive(Template, WebTemplate)]
#[template(path = "contact.html")]
pub struct ContactPage {
    /// Frame.
    pub c: Chrome,
    /// The contact.
    pub contact: app::views::ContactView,
    /// Their role, in words.
    pub role: String,
    /// Their cases.
    pub rows: Vec<QueueRow>,
}

/// The page a one-time link opens: a new password for an invited user or a reset.
#[derive(Template, WebTemplate)]
#[template(path = "password_link.html")]
pub struct PasswordLinkPage {
    /// Frame.
    pub c: Chrome,
    /// The heading (invitation or reset).
    pub heading: String,
    /// Where the form posts (the link itself).
    pub action: String,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// The users page.
#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    /// Frame.
    pub c: Chrome,
    /// Users.
    pub users: Vec<app::auth::UserView>,
    /// Tokens.
    pub tokens: Vec<app::auth::TokenView>,
    /// Recent admin log lines: (at, actor, event, subject).
    pub log: Vec<(String, String, String, String)>,
    /// Every role id.
    pub roles: Vec<&'static str>,
    /// A token or a one-time link just made, shown once: (what it is, in words; the secret).
    pub new_secret: Option<(String, String)>,
    /// A message after an action.
    pub notice: Option<String>,
}

/// The caller's settings.
#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    /// Frame.
    pub c: Chrome,
    /// Login.
    pub login: String,
    /// Role in words.
    pub role: String,
    /// Organization.
    pub org: String,
    /// Zone.
    pub zone: String,
    /// A message after an action.
    pub notice: Option<String>,
    /// Why the last action failed.
    pub error: Option<String>,
    /// The second factor (staff only).
    pub second_factor: Option<app::accounts::SecondFactorStatus>,
    /// A set-up waiting for its first code.
    pub enrolment: Option<app::accounts::TotpEnrolment>,
    /// Recovery codes just made, shown this once.
    pub recovery_codes: Option<Vec<String>>,
    /// The notifications by mail (staff only): kind, its name, whether it is on.
    pub mail_notices: Vec<(String, String, bool)>,
}

/// The second step of a sign-in.
#[derive(Template, WebTemplate)]
#[template(path = "signin_code.html")]
pub struct SignInCodePage {
    /// Frame.
    pub c: Chrome,
    /// Where to go after.
    pub next: String,
    /// Why the last code failed.
    pub error: Option<String>,
}

/// Asking for a password reset link.
#[derive(Template, WebTemplate)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    /// Frame.
    pub c: Chrome,
    /// Whether the request was taken (the answer never tells whether the user exists).
    pub sent: bool,
    /// Why the request was refused.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use app::i18n::has_text;
    use app::Lang;

    /// Every sentence a template asks the catalog for exists in both languages.
    #[test]
    fn every_template_sentence_is_in_both_catalogs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("c.t(\"").skip(1) {
                let id = piece.split('"').next().unwrap();
                for lang in [Lang::En, Lang::ZhCn] {
                    assert!(
                        has_text(lang, id),
                        "{id} (in {}) has no {lang:?} sentence",
                        path.display()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} sentences found");
    }
}
