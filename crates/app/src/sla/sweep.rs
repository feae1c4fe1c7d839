//! The scheduler's sweep: the cases whose clocks are due (changed since they were folded, or a
//! threshold has come), folded again or advanced to now, with what fired carried out once.
//!
//! Only due cases are read (`case_clocks.check_at`, indexed), so a sweep with a thousand due
//! cases costs the same among a thousand open ones as among a million. One instance sweeps at a
//! time under the `sla-sweep` lease in the database, given up when the sweep ends (one that dies
//! mid-sweep is replaced within a minute); the unique key of each firing keeps it single even so. A firing due before the policy
//! was set is never carried out (importing old mail escalates nothing); one missed while no
//! server ran is carried out when one runs again.

use std::collections::HashMap;

use serde::Serialize;
use sla::{CaseFacts, ClockState};
use store::sla::{ClockWrite, DueClock};

use super::actions::People;
use super::{at_of, clock_entries, fold, millis, ActivePolicy};
use crate::{App, AppError};

/// The lease one instance sweeps under.
pub const SWEEP_LEASE: &str = "sla-sweep";

/// How long the lease lasts without renewal (microseconds).
const LEASE_MICROS: i64 = 60 * 1_000_000;

/// Cases read per batch.
const BATCH: u32 = 500;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SweepReport {
    /// Another instance holds the lease: nothing was done.
    pub skipped: bool,
    /// Cases evaluated.
    pub evaluated: u64,
    /// Of which folded again from their history (changed, or a new policy).
    pub refolded: u64,
    /// What fired and was carried out: case number, rule, level, when it was due.
    pub fired: Vec<FiredView>,
    /// Cases still due when the sweep stopped (it does at most `max_cases`).
    pub remaining: u64,
    /// The next instant a case's clocks are due (RFC 3339).
    pub next_check: Option<String>,
}

/// One firing a sweep carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiredView {
    /// The case.
    pub number: String,
    /// The rule.
    pub rule: String,
    /// `warning` or `breach`.
    pub level: String,
}

impl App {
    /// Evaluates the clocks of the cases due now, as instance `holder`, at most `max_cases`.
    pub async fn sla_sweep(&self, holder: &str, max_cases: u64) -> Result<SweepReport, AppError> {
        let now = self.now();
        let now_us = now.timestamp_micros();
        if !self
            .store
            .take_lease(SWEEP_LEASE, holder, now_us, now_us + LEASE_MICROS)
            .await?
        {
            return Ok(SweepReport {
                skipped: true,
                ..SweepReport::default()
            });
        }
        let active = self.active_policy().await?;
        let people = People::new(match &active {
            Some(_) => self.store.list_users().await?,
            None => Vec::new(),
        });
        let mut report = SweepReport::default();
        while report.evaluated < max_cases {
            let due = self.store.due_clocks(now_us, BATCH).await?;
            if due.is_empty() {
                break;
            }
            let (writes, refolded, records) = self.evaluate(active.as_deref(), &due, now).await?;
            report.evaluated += due.len() as u64;
            report.refolded += refolded;
            let mut prepared = Vec::with_capacity(writes.len());
            for (case, mut write, firings) in writes {
                if let Some(active) = &active {
                    for firing in firings {
                        let Some(rule) = active.policy.rules.iter().find(|r| r.name == firing.rule)
                        else {
                            continue;
                        };
                        let Some(record) = records.get(&case.case_id) else {
                            continue;
                        };
                        write.firings.push(
                            self.firing_write(case, record, rule, &firing, &people)
                                .await?,
                        );
                    }
                }
                prepared.push(write);
            }
            // A raised priority is a change: those cases are due again, and looked at once more.
            let raised = prepared
                .iter()
                .any(|w| w.firings.iter().any(|f| f.raise_to.is_some()));
            let numbers: HashMap<i64, &str> =
                due.iter().map(|d| (d.case_id, d.number.as_str())).collect();
            for (case_id, rule, level) in self.store.write_clocks(&prepared, now_us).await? {
                report.fired.push(FiredView {
                    number: numbers
                        .get(&case_id)
                        .copied()
                        .unwrap_or_default()
                        .to_string(),
                    rule,
                    level,
                });
            }
            // Renewed at each batch; a holder that lost it (it stalled past the lease) stops.
            let renewed_at = self.now().timestamp_micros();
            if !self
                .store
                .take_lease(SWEEP_LEASE, holder, renewed_at, renewed_at + LEASE_MICROS)
                .await?
            {
                break;
            }
            if due.len() < BATCH as usize && !raised {
                break;
            }
        }
        // Given up at the end, so that another instance (or `casebook sla sweep`) may sweep at once.
        self.store.release_lease(SWEEP_LEASE, holder).await?;
        report.remaining = self.store.due_clock_count(now_us).await?;
        report.next_check = self
            .store
            .next_clock_check()
            .await?
            .map(|at| millis(at_of(at)));
        Ok(report)
    }

    /// The clocks of a batch of due cases: what to write, how many were folded from their
    /// history, and the records of the cases where something new fired.
    #[allow(clippy::type_complexity)]
    async fn evaluate<'a>(
        &self,
        active: Option<&ActivePolicy>,
        due: &'a [DueClock],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<
        (
            Vec<(&'a DueClock, ClockWrite, Vec<sla::Firing>)>,
            u64,
            HashMap<i64, store::cases::CaseRecord>,
        ),
        AppError,
    > {
        let blank = |case: &DueClock| ClockWrite {
            case_id: case.case_id,
            revision: case.revision,
            policy_version: 0,
            state: None,
            check_at: None,
            risk_at: None,
            breach_at: None,
            open: !case.merged && !case.status.is_closed(),
            facts: (case.customer.clone(), case.product.clone()),
            firings: Vec::new(),
        };
        let Some(active) = active else {
            return Ok((
                due.iter()
                    .map(|case| (case, blank(case), Vec::new()))
                    .collect(),
                0,
                HashMap::new(),
            ));
        };
        let policy = &active.policy;
        let saved = |case: &DueClock| -> Option<ClockState> {
            if case.policy_version != active.record.version {
                return None;
            }
            case.state
                .as_deref()
                .and_then(|s| serde_json::from_str::<ClockState>(s).ok())
                .filter(|s| s.fits(policy))
        };
        let refold: Vec<i64> = due
            .iter()
            .filter(|c| !c.merged && saved(c).is_none())
            .map(|c| c.case_id)
            .collect();
        let entries = self.store.clock_entries(&refold).await?;
        let mut out = Vec::with_capacity(due.len());
        let mut candidates = Vec::new();
        for case in due {
            if case.merged {
                out.push((case, blank(case), Vec::new()));
                continue;
            }
            let facts = CaseFacts {
                customer: &case.customer,
                product: case.product.as_deref(),
            };
            let (state, firings) = match saved(case) {
                Some(mut state) => {
                    let firings = state.advance(policy, facts, now);
                    (state, firings)
                }
                None => {
                    let list = entries.get(&case.case_id).map_or(&[][..], Vec::as_slice);
                    fold(
                        policy,
                        facts,
                        case.created_at,
                        case.priority,
                        clock_entries(list),
                        now,
                        true,
                    )
                }
            };
            let deadlines = state.deadlines(policy, facts);
            let firings: Vec<sla::Firing> = firings
                .into_iter()
                .filter(|f| f.at.timestamp_micros() >= active.record.activated_at)
                .collect();
            for firing in &firings {
                candidates.push((
                    case.case_id,
                    firing.rule.clone(),
                    firing.level.as_str().to_string(),
                    firing.episode.timestamp_micros(),
                ));
            }
            let write = ClockWrite {
                case_id: case.case_id,
                revision: case.revision,
                policy_version: active.record.version,
                state: Some(
                    serde_json::to_string(&state).map_err(|e| AppError::internal(e.to_string()))?,
                ),
                check_at: deadlines.next_check.map(|t| t.timestamp_micros()),
                risk_at: deadlines.risk_at.map(|t| t.timestamp_micros()),
                breach_at: deadlines.breach_at.map(|t| t.timestamp_micros()),
                open: !case.status.is_closed(),
                facts: (case.customer.clone(), case.product.clone()),
                firings: Vec::new(),
            };
            out.push((case, write, firings));
        }
        // Drop what is recorded already (the store's unique key would too; this saves the mail).
        let known = self.store.known_sla_events(&candidates).await?;
        let mut records = HashMap::new();
        for (case, _, firings) in &mut out {
            firings.retain(|f| {
                !known.contains(&(
                    case.case_id,
                    f.rule.clone(),
                    f.level.as_str().to_string(),
                    f.episode.timestamp_micros(),
                ))
            });
            if !firings.is_empty() {
                records.insert(case.case_id, self.store.case_by_id(case.case_id).await?);
            }
        }
        Ok((out, refold.len() as u64, records))
    }
}
