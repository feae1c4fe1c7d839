//! SLA commands: the policy (set, show), calendar imports, a case's clocks, the at-risk and
//! breached lists, replays of old cases; the scheduler's sweep is in [`sweep`], the mail and
//! webhooks it sends in [`actions`].
//!
//! The rules themselves are the `sla` crate's: this module reads the history from the store,
//! hands it over with the time, and writes back what the rules decided.

mod actions;
mod sweep;

use std::collections::BTreeMap;

use case::access::Action;
use case::{EntryKind, Priority, Status, Visibility};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use sla::{Activity, CaseFacts, ClockState, HistoryEvent, Policy};
use store::sla::PolicyRecord;

use crate::views::rfc3339;
use crate::{Actor, App, AppError};

pub use actions::{webhook_handler, SlaSettings, WEBHOOK_JOB};
pub use sweep::SweepReport;

/// The active policy, read and checked, with its calendar imports.
#[derive(Debug, Clone)]
pub struct ActivePolicy {
    pub(crate) record: PolicyRecord,
    pub(crate) policy: Policy,
    pub(crate) imported_days: usize,
}

/// What the application keeps of the policy it read last: the policy's version and the
/// calendar's (count, newest import) with the checked policy.
pub(crate) type PolicyCacheEntry = ((i64, (u64, i64)), std::sync::Arc<ActivePolicy>);

/// One clock as interfaces show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockView {
    /// The rule.
    pub rule: String,
    /// What it measures: `first_response`, `update`, `idle`, `resolution`, `open`.
    pub measure: sla::Measure,
    /// `calendar` (elapsed time) or `business` (working time).
    pub basis: sla::Basis,
    /// The limit as written (`10d`).
    pub target: String,
    /// `running`, `paused`, `stopped` or `met`.
    pub status: sla::ClockStatus,
    /// When the episode began (RFC 3339, UTC).
    pub since: String,
    /// When the limit is or was reached (`null` while paused before it, or met).
    pub due_at: Option<String>,
    /// Seconds from now to `due_at` (negative: overdue).
    pub remaining_seconds: Option<i64>,
    /// When the at-risk point is or was reached.
    pub risk_at: Option<String>,
    /// Past the at-risk point, not breached.
    pub at_risk: bool,
    /// Past the limit.
    pub breached: bool,
}

/// A case's clocks: under which policy, and each rule's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSlaView {
    /// The policy version they were computed under.
    pub policy_version: i64,
    /// Past an at-risk point of any clock.
    pub at_risk: bool,
    /// Past a limit of any clock.
    pub breached: bool,
    /// One per rule that applies to the case.
    pub clocks: Vec<ClockView>,
}

/// A rule as `sla policy show` gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleView {
    /// Its name.
    pub name: String,
    /// What it measures.
    pub measure: sla::Measure,
    /// The limit as written.
    pub after: String,
    /// Elapsed or working time.
    pub basis: sla::Basis,
    /// The priorities it applies to (all when empty).
    pub priorities: Vec<Priority>,
    /// The customers it applies to (all when empty).
    pub customers: Vec<String>,
    /// The products it applies to (all when empty).
    pub products: Vec<String>,
    /// At the breach.
    pub actions: Vec<sla::Action>,
    /// The warning's fraction, if it warns.
    pub warn_at: Option<f64>,
    /// At the warning.
    pub warn_actions: Vec<sla::Action>,
    /// Who is mailed instead of every manager.
    pub notify: Vec<String>,
    /// The priority `raise_priority` sets.
    pub raise_to: Option<Priority>,
    /// Where `webhook` posts.
    pub webhook: Option<String>,
}

/// The calendar of a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarView {
    /// The zone working hours are read in.
    pub zone: String,
    /// Working hours.
    pub hours: Vec<String>,
    /// The shipped calendars it includes.
    pub includes: Vec<String>,
    /// The years its holidays and make-up days cover.
    pub years: Vec<i32>,
    /// This year and next, where the calendar names no holiday: it needs the year's dates.
    pub missing_years: Vec<i32>,
    /// Days imported from iCalendar files.
    pub imported_days: usize,
}

/// The active policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaPolicyView {
    /// Its version.
    pub version: i64,
    /// When it became active (RFC 3339).
    pub activated_at: String,
    /// Who set it.
    pub activated_by: Option<String>,
    /// The statuses that pause the clocks.
    pub pause_in: Vec<Status>,
    /// The calendar.
    pub calendar: CalendarView,
    /// The rules.
    pub rules: Vec<RuleView>,
    /// The TOML as set (only for those who may set it: webhook addresses may carry secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One firing of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiringView {
    /// The rule.
    pub rule: String,
    /// The first action (what the policy writes as `action`).
    pub action: sla::Action,
    /// Every action.
    pub actions: Vec<sla::Action>,
    /// `warning` or `breach`.
    pub level: sla::Level,
    /// When (RFC 3339, UTC, milliseconds).
    pub at: String,
    /// What the rule measures.
    pub measure: sla::Measure,
}

/// What `sla replay --all` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayTotals {
    /// Cases replayed.
    pub cases: u64,
    /// Firings in all.
    pub firings: u64,
    /// Per rule: warnings, breaches and the cases with any.
    pub rules: BTreeMap<String, RuleTotals>,
}

/// One rule's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleTotals {
    /// Warnings.
    pub warning: u64,
    /// Breaches.
    pub breach: u64,
    /// Cases with at least one firing of the rule.
    pub cases: u64,
}

/// A case at risk or breached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaCaseView {
    /// Its number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Customer.
    pub customer: String,
    /// Priority.
    pub priority: Priority,
    /// Status.
    pub status: Status,
    /// Owner.
    pub owner: Option<String>,
    /// The earliest at-risk point (RFC 3339).
    pub risk_at: Option<String>,
    /// The earliest breach (RFC 3339).
    pub breach_at: Option<String>,
    /// Its clocks.
    pub clocks: Vec<ClockView>,
}

/// `sla status`: open cases at risk and breached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaStatusView {
    /// As of (RFC 3339).
    pub at: String,
    /// The active policy's version (`null`: no policy is set).
    pub policy_version: Option<i64>,
    /// Past a limit, earliest breach first.
    pub breached: Vec<SlaCaseView>,
    /// Past an at-risk point and not breached, nearest breach first.
    pub at_risk: Vec<SlaCaseView>,
}

/// What evaluating every open case's clocks found (the SLA benchmark's figure).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvaluationReport {
    /// Open cases evaluated.
    pub cases: u64,
    /// Of which folded from their history (no saved state under the active policy).
    pub refolded: u64,
    /// Past a limit.
    pub breached: u64,
    /// Past an at-risk point, not breached.
    pub at_risk: u64,
    /// Cases with something due to fire now.
    pub due_now: u64,
}

/// Which kind of days an iCalendar file holds (iCalendar has no mark for a make-up workday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Days off.
    Holidays,
    /// Extra working days.
    Workdays,
}

/// What a calendar import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarImportView {
    /// Days the file names.
    pub days: u64,
    /// Of which new or changed.
    pub added: u64,
    /// `holiday` or `workday`.
    pub kind: String,
    /// The first and last day.
    pub first: Option<String>,
    /// The last day.
    pub last: Option<String>,
}

/// A case's history as the clocks read it, from its timeline entries in time order: the
/// priority it was opened with (when a change recorded it) and the events after the opening.
pub(crate) fn history<'a>(
    entries: impl IntoIterator<Item = (EntryKind, i64, Visibility, &'a serde_json::Value)>,
) -> (Option<Priority>, Vec<HistoryEvent>) {
    let mut opened_with = None;
    let mut events = Vec::new();
    for (kind, at, visibility, data) in entries {
        let Some(at) = DateTime::from_timestamp_micros(at) else {
            continue;
        };
        let activity = match kind {
            EntryKind::InboundEmail | EntryKind::OutboundEmail => Activity::Email {
                staff: kind == EntryKind::OutboundEmail,
                public: visibility == Visibility::Public,
            },
            EntryKind::Note => Activity::Note,
            EntryKind::StatusChange => match case::Event::from_json(kind, data) {
                Ok(case::Event::StatusChange {
                    from: Some(_), to, ..
                }) => Activity::Status(to),
                _ => continue,
            },
            EntryKind::FieldChange => match case::Event::from_json(kind, data) {
                Ok(case::Event::FieldChange {
                    field: case::CaseField::Priority,
                    from,
                    to,
                }) => {
                    let Some(to) = to.and_then(|p| p.parse::<Priority>().ok()) else {
                        continue;
                    };
                    if events
                        .iter()
                        .all(|e: &HistoryEvent| !matches!(e.activity, Activity::Priority(_)))
                    {
                        opened_with = from.and_then(|p| p.parse::<Priority>().ok());
                    }
                    Activity::Priority(to)
                }
                _ => continue,
            },
            _ => continue,
        };
        events.push(HistoryEvent { at, activity });
    }
    (opened_with, events)
}

/// Folds a case's entries (kind, time, visibility, data, in time order) through a policy up to
/// `until`: the state then and what fired on the way. With `live`, an email dated ahead of `until`
/// (a sender's clock runs fast) counts when it arrived; a replay keeps every date as written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fold<'a>(
    policy: &Policy,
    facts: CaseFacts<'_>,
    created_at: i64,
    priority: Priority,
    entries: impl IntoIterator<Item = (EntryKind, i64, Visibility, &'a serde_json::Value)>,
    until: DateTime<Utc>,
    live: bool,
) -> (ClockState, Vec<sla::Firing>) {
    let (opened_with, mut events) = history(entries);
    if live {
        for event in &mut events {
            event.at = event.at.min(until);
        }
    }
    sla::replay(
        policy,
        facts,
        at_of(created_at),
        opened_with.unwrap_or(priority),
        &events,
        until,
    )
}

/// The entries of a case as `fold` takes them.
pub(crate) fn clock_entries(
    list: &[store::sla::ClockEntry],
) -> impl Iterator<Item = (EntryKind, i64, Visibility, &serde_json::Value)> {
    list.iter().map(|e| (e.kind, e.at, e.visibility, &e.data))
}

fn at_of(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn clock_views(
    policy: &Policy,
    state: &ClockState,
    facts: CaseFacts<'_>,
    now: DateTime<Utc>,
) -> Vec<ClockView> {
    state
        .readings(policy, facts)
        .into_iter()
        .map(|r| ClockView {
            rule: r.rule,
            measure: r.measure,
            basis: r.basis,
            target: r.target,
            status: r.status,
            since: millis(r.since),
            remaining_seconds: r.due_at.map(|due| (due - now).num_seconds()),
            due_at: r.due_at.map(millis),
            risk_at: r.risk_at.map(millis),
            at_risk: r.at_risk,
            breached: r.breached,
        })
        .collect()
}

/// A span of seconds as people read it, in their language: `3d 4h`, `5h 20m`, `12m`
/// (`3天4小时`); the sign is left to the sentence around it.
pub fn span_words(seconds: i64, lang: crate::Lang) -> String {
    let seconds = seconds.unsigned_abs();
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    let n = |v: u64| crate::i18n::FluentValue::from(v as f64);
    match (days, hours) {
        (0, 0) => lang.text("span-m", &[("m", n(minutes))]),
        (0, _) => lang.text("span-hm", &[("h", n(hours)), ("m", n(minutes))]),
        _ => lang.text("span-dh", &[("d", n(days)), ("h", n(hours))]),
    }
}

fn policy_error(error: sla::PolicyError) -> AppError {
    AppError::invalid(
        "sla_policy_invalid",
        json!({ "line": error.line.map_or("?".to_string(), |l| l.to_string()), "key": error.key.unwrap_or_else(|| "-".into()), "problem": error.message }),
    )
}

impl App {
    /// The active policy with the imported calendar days, `None` when none was ever set.
    pub(crate) async fn active_policy(
        &self,
    ) -> Result<Option<std::sync::Arc<ActivePolicy>>, AppError> {
        let Some(record) = self.store.active_sla_policy().await? else {
            return Ok(None);
        };
        // Read and checked once per policy version and calendar import, not on every page.
        let mark = self.store.calendar_days_mark().await?;
        let key = (record.version, mark);
        {
            let cache = self
                .sla_cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((cached, active)) = cache.as_ref() {
                if *cached == key {
                    return Ok(Some(active.clone()));
                }
            }
        }
        let mut policy = Policy::parse(&record.source).map_err(policy_error)?;
        let days = self.store.calendar_days().await?;
        let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        policy.calendar.add_days(
            days.iter()
                .filter(|(_, k)| k == "holiday")
                .filter_map(|(d, _)| parse(d)),
            days.iter()
                .filter(|(_, k)| k == "workday")
                .filter_map(|(d, _)| parse(d)),
        );
        let active = std::sync::Arc::new(ActivePolicy {
            record,
            policy,
            imported_days: days.len(),
        });
        *self
            .sla_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((key, active.clone()));
        Ok(Some(active))
    }

    /// The policy as a person reads it; webhook addresses and the source only for `manage_sla`.
    fn policy_view(&self, active: &ActivePolicy, full: bool) -> SlaPolicyView {
        let policy = &active.policy;
        let years = policy.calendar.years();
        SlaPolicyView {
            version: active.record.version,
            activated_at: rfc3339(active.record.activated_at),
            activated_by: active.record.activated_by.clone(),
            pause_in: policy.pause_in.clone(),
            calendar: CalendarView {
                zone: policy.calendar.zone().name().to_string(),
                hours: policy
                    .calendar
                    .hours()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                includes: policy.includes.clone(),
                missing_years: sla::shipped::missing_years(
                    &years,
                    self.now()
                        .with_timezone(&policy.calendar.zone())
                        .date_naive(),
                ),
                years: years.into_iter().collect(),
                imported_days: active.imported_days,
            },
            rules: policy
                .rules
                .iter()
                .map(|rule| RuleView {
                    name: rule.name.clone(),
                    measure: rule.measure,
                    after: rule.after.to_string(),
                    basis: rule.after.basis(),
                    priorities: rule.priorities.clone(),
                    customers: rule.customers.clone(),
                    products: rule.products.clone(),
                    actions: rule.actions.clone(),
                    warn_at: rule.warn_at,
                    warn_actions: rule.warn_actions.clone(),
                    notify: rule.notify.clone(),
                    raise_to: rule.raise_to,
                    webhook: rule.webhook.clone().filter(|_| full),
                })
                .collect(),
            source: full.then(|| active.record.source.clone()),
        }
    }

    /// Checks a policy and makes it the active one: every case's clocks are folded again under
    /// it by the recompute job (`sla_recompute`), which any running server picks up.
    pub async fn sla_policy_set(
        &self,
        actor: &Actor,
        source: &str,
    ) -> Result<SlaPolicyView, AppError> {
        self.permit(actor, Action::ManageSla)?;
        Policy::parse(source).map_err(policy_error)?;
        self.store
            .set_sla_policy(source, self.now().timestamp_micros(), Some(&actor.name))
            .await?;
        let active = self
            .active_policy()
            .await?
            .ok_or_else(|| AppError::internal("the policy just set is missing".into()))?;
        Ok(self.policy_view(&active, true))
    }

    /// The active policy, `None` when none was ever set.
    pub async fn sla_policy_show(&self, actor: &Actor) -> Result<Option<SlaPolicyView>, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let full = actor.may(Action::ManageSla, None);
        Ok(self
            .active_policy()
            .await?
            .map(|active| self.policy_view(&active, full)))
    }

    /// Reads holidays or make-up workdays from an iCalendar file (every day an event covers)
    /// into the calendar of every policy; the clocks are folded again.
    pub async fn calendar_import(
        &self,
        actor: &Actor,
        ics: &str,
        kind: DayKind,
        source: &str,
    ) -> Result<CalendarImportView, AppError> {
        self.permit(actor, Action::ManageSla)?;
        let days = actions::ics_days(ics).map_err(|problem| {
            AppError::invalid("calendar_invalid", json!({ "problem": problem }))
        })?;
        let kind_id = match kind {
            DayKind::Holidays => "holiday",
            DayKind::Workdays => "workday",
        };
        let rows: Vec<(String, &str)> = days
            .iter()
            .map(|d| (d.format("%Y-%m-%d").to_string(), kind_id))
            .collect();
        let added = self
            .store
            .add_calendar_days(&rows, source, self.now().timestamp_micros())
            .await?;
        Ok(CalendarImportView {
            days: rows.len() as u64,
            added,
            kind: kind_id.to_string(),
            first: rows.first().map(|r| r.0.clone()),
            last: rows.last().map(|r| r.0.clone()),
        })
    }

    /// A case's clocks under the active policy, folded from the timeline the caller loaded
    /// (`None` without a policy, for a merged case, or for a caller who may not read clocks).
    pub(crate) async fn case_sla(
        &self,
        actor: &Actor,
        record: &store::cases::CaseRecord,
        timeline: &[store::timeline::TimelineRecord],
    ) -> Result<Option<CaseSlaView>, AppError> {
        if !actor.may(Action::ViewSla, None) || record.merged_into.is_some() {
            return Ok(None);
        }
        let Some(active) = self.active_policy().await? else {
            return Ok(None);
        };
        let facts = CaseFacts {
            customer: &record.customer,
            product: record.product.as_deref(),
        };
        let now = self.now();
        let entries = timeline
            .iter()
            .map(|e| (e.kind, e.at, e.visibility, &e.data));
        let (state, _) = fold(
            &active.policy,
            facts,
            record.created_at,
            record.priority,
            entries,
            now,
            true,
        );
        let clocks = clock_views(&active.policy, &state, facts, now);
        Ok(Some(CaseSlaView {
            policy_version: active.record.version,
            at_risk: clocks.iter().any(|c| c.at_risk),
            breached: clocks.iter().any(|c| c.breached),
            clocks,
        }))
    }

    /// Open cases at risk and breached now, most urgent first (at most `limit` of each).
    pub async fn sla_status(&self, actor: &Actor, limit: u32) -> Result<SlaStatusView, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let now = self.now();
        let active = self.active_policy().await?;
        let mut view = SlaStatusView {
            at: millis(now),
            policy_version: active.as_ref().map(|a| a.record.version),
            breached: Vec::new(),
            at_risk: Vec::new(),
        };
        let Some(active) = active else {
            return Ok(view);
        };
        for filter in [
            store::sla::ClockFilter::Breached,
            store::sla::ClockFilter::AtRisk,
        ] {
            let listing = self
                .store
                .clock_listing(filter, now.timestamp_micros(), limit)
                .await?;
            let saved = |state: Option<&str>| {
                state
                    .and_then(|s| serde_json::from_str::<ClockState>(s).ok())
                    .filter(|s| s.fits(&active.policy))
            };
            // A case changed since the last sweep has no state: its clocks are folded here.
            let stale: Vec<i64> = listing
                .iter()
                .filter(|row| saved(row.state.as_deref()).is_none())
                .map(|row| row.case_id)
                .collect();
            let entries = self.store.clock_entries(&stale).await?;
            let mut cases = Vec::with_capacity(listing.len());
            for row in listing {
                let facts = CaseFacts {
                    customer: &row.customer,
                    product: row.product.as_deref(),
                };
                let state = match saved(row.state.as_deref()) {
                    Some(mut state) => {
                        state.advance(&active.policy, facts, now);
                        state
                    }
                    None => {
                        let record = self.store.case_by_id(row.case_id).await?;
                        let list = entries.get(&row.case_id).map_or(&[][..], Vec::as_slice);
                        fold(
                            &active.policy,
                            facts,
                            record.created_at,
                            record.priority,
                            clock_entries(list),
                            now,
                            true,
                        )
                        .0
                    }
                };
                let clocks = clock_views(&active.policy, &state, facts, now);
                cases.push(SlaCaseView {
                    number: row.number,
                    title: row.title,
                    customer: row.customer.clone(),
                    priority: row.priority,
                    status: row.status,
                    owner: row.owner,
                    risk_at: row.risk_at.map(rfc3339),
                    breach_at: row.breach_at.map(rfc3339),
                    clocks,
                });
            }
            match filter {
                store::sla::ClockFilter::Breached => view.breached = cases,
                store::sla::ClockFilter::AtRisk => view.at_risk = cases,
            }
        }
        Ok(view)
    }

    /// Where every open case's clocks stand now, from the deadlines the sweep keeps (exact until
    /// each case's next check), a page at a time; a case due for a look, or changed since the
    /// last sweep, is evaluated from its state or history ([`App::sla_evaluate_all`] does that for
    /// every case). Nothing is written.
    pub async fn sla_deadlines_all(
        &self,
        actor: &Actor,
        page: u32,
    ) -> Result<EvaluationReport, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let mut report = EvaluationReport::default();
        if self.active_policy().await?.is_none() {
            return Ok(report);
        }
        let now = self.now().timestamp_micros();
        let fetch = |after: i64| {
            let store = self.store.clone();
            tokio::spawn(async move { store.open_deadlines_page(after, page).await })
        };
        let mut next = fetch(0);
        loop {
            let rows = next
                .await
                .map_err(|e| AppError::internal(e.to_string()))??;
            let Some(last) = rows.last().and_then(|r| r[0]) else {
                break;
            };
            next = fetch(last);
            for [_, check_at, risk_at, breach_at] in rows {
                report.cases += 1;
                if check_at.is_some_and(|at| at <= now) {
                    // Due or changed: the sweep is about to look; counted as due, not read here.
                    report.due_now += 1;
                    continue;
                }
                let breached = breach_at.is_some_and(|at| at <= now);
                report.breached += u64::from(breached);
                report.at_risk += u64::from(!breached && risk_at.is_some_and(|at| at <= now));
            }
        }
        Ok(report)
    }

    /// Evaluates the clocks of every open case now, a page at a time (never all in memory): each
    /// saved state advanced to now and its deadlines read; nothing is written.
    pub async fn sla_evaluate_all(
        &self,
        actor: &Actor,
        page: u32,
    ) -> Result<EvaluationReport, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let mut report = EvaluationReport::default();
        let Some(active) = self.active_policy().await? else {
            return Ok(report);
        };
        let now = self.now();
        // The next page is read while this one is evaluated.
        let fetch = |after: i64| {
            let store = self.store.clone();
            tokio::spawn(async move { store.open_clocks_page(after, page).await })
        };
        let mut next = fetch(0);
        loop {
            let rows = next
                .await
                .map_err(|e| AppError::internal(e.to_string()))??;
            let Some(last) = rows.last() else { break };
            next = fetch(last.case_id);
            let fits = |r: &store::sla::OpenClock| {
                r.policy_version == active.record.version
                    && r.customer.is_some()
                    && r.state.as_ref().is_some_and(|s| s.fits(&active.policy))
            };
            // Cases changed since the last sweep are folded from their history here.
            let stale: Vec<i64> = rows
                .iter()
                .filter(|r| !fits(r))
                .map(|r| r.case_id)
                .collect();
            let entries = self.store.clock_entries(&stale).await?;
            for row in rows {
                let fresh = fits(&row);
                let (deadlines, fired) = if fresh {
                    let Some(mut state) = row.state else { continue };
                    let customer = row.customer.unwrap_or_default();
                    let facts = CaseFacts {
                        customer: &customer,
                        product: row.product.as_deref(),
                    };
                    let fired = state.advance(&active.policy, facts, now);
                    (state.deadlines(&active.policy, facts), fired)
                } else {
                    report.refolded += 1;
                    let record = self.store.case_by_id(row.case_id).await?;
                    if record.status.is_closed() || record.merged_into.is_some() {
                        continue;
                    }
                    let facts = CaseFacts {
                        customer: &record.customer,
                        product: record.product.as_deref(),
                    };
                    let list = entries.get(&row.case_id).map_or(&[][..], Vec::as_slice);
                    let (state, fired) = fold(
                        &active.policy,
                        facts,
                        record.created_at,
                        record.priority,
                        clock_entries(list),
                        now,
                        true,
                    );
                    (state.deadlines(&active.policy, facts), fired)
                };
                report.cases += 1;
                let breached = deadlines.breach_at.is_some_and(|at| at <= now);
                report.breached += u64::from(breached);
                report.at_risk +=
                    u64::from(!breached && deadlines.risk_at.is_some_and(|at| at <= now));
                report.due_now += u64::from(!fired.is_empty());
            }
        }
        Ok(report)
    }

    /// Replays a case's history through a policy (the active one, or `source`) up to `until`
    /// (default now): what it would have fired, in order.
    pub async fn sla_replay(
        &self,
        actor: &Actor,
        label: &str,
        source: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<FiringView>, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::ViewCase, &record, label)?;
        let policy = self.replay_policy(source).await?;
        let entries = self.store.clock_entries(&[record.id]).await?;
        let until = until.unwrap_or_else(|| self.now());
        Ok(replay_case(
            &policy,
            &record,
            entries.get(&record.id).map_or(&[][..], Vec::as_slice),
            until,
        ))
    }

    /// Replays every case opened since `since` through a policy and totals the firings per rule.
    pub async fn sla_replay_all(
        &self,
        actor: &Actor,
        since: DateTime<Utc>,
        source: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Result<ReplayTotals, AppError> {
        self.permit(actor, Action::ViewSla)?;
        let policy = self.replay_policy(source).await?;
        let until = until.unwrap_or_else(|| self.now());
        let mut totals = ReplayTotals {
            cases: 0,
            firings: 0,
            rules: BTreeMap::new(),
        };
        let mut after = 0;
        loop {
            let page = self.store.clocks_page(after, 500, false).await?;
            let Some(last) = page.last() else { break };
            after = last.case_id;
            let ids: Vec<i64> = page
                .iter()
                .filter(|c| !c.merged && c.created_at >= since.timestamp_micros())
                .map(|c| c.case_id)
                .collect();
            let entries = self.store.clock_entries(&ids).await?;
            for id in ids {
                let record = self.store.case_by_id(id).await?;
                let firings = replay_case(
                    &policy,
                    &record,
                    entries.get(&id).map_or(&[][..], Vec::as_slice),
                    until,
                );
                totals.cases += 1;
                totals.firings += firings.len() as u64;
                let mut seen = std::collections::BTreeSet::new();
                for firing in firings {
                    let rule = totals.rules.entry(firing.rule.clone()).or_default();
                    match firing.level {
                        sla::Level::Warning => rule.warning += 1,
                        sla::Level::Breach => rule.breach += 1,
                    }
                    if seen.insert(firing.rule.clone()) {
                        rule.cases += 1;
                    }
                }
            }
        }
        Ok(totals)
    }

    async fn replay_policy(&self, source: Option<&str>) -> Result<Policy, AppError> {
        match source {
            Some(source) => Policy::parse(source).map_err(policy_error),
            None => self
                .active_policy()
                .await?
                .map(|a| a.policy.clone())
                .ok_or_else(|| AppError::invalid("sla_policy_missing", json!({}))),
        }
    }
}

fn replay_case(
    policy: &Policy,
    record: &store::cases::CaseRecord,
    entries: &[store::sla::ClockEntry],
    until: DateTime<Utc>,
) -> Vec<FiringView> {
    let facts = CaseFacts {
        customer: &record.customer,
        product: record.product.as_deref(),
    };
    let (_, firings) = fold(
        policy,
        facts,
        record.created_at,
        record.priority,
        clock_entries(entries),
        until,
        false,
    );
    firings
        .into_iter()
        .map(|f| FiringView {
            rule: f.rule,
            action: f.actions.first().copied().unwrap_or(sla::Action::Note),
            actions: f.actions,
            level: f.level,
            at: millis(f.at),
            measure: f.measure,
        })
        .collect()
}
