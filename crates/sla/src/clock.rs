//! SLA clocks: a case's history folded into one small state per policy, advanced through time,
//! firing each rule's warning and breach once per episode.
//!
//! Definitions:
//! - Every clock counts only while the case *runs*: not in a status the policy pauses
//!   (`waiting_on_customer` and `waiting_on_third_party` by default) and not while it is closed
//!   (archived, resolved, cancelled). A reopened case's clocks resume with their history.
//! - `idle` counts from the last activity (an email in or out, a note, a status change);
//!   `update` from the last public email by staff (or the opening); both start a new episode at
//!   that activity, so each fires again only after the next one.
//! - `first_response` counts from the opening until the first public email by staff, once.
//! - `open` and `resolution` count from the opening, paused time excluded, across reopenings;
//!   each opening is an episode: a rule fires once per opening (a case reopened beyond its
//!   limit fires again at the reopening). `resolution` is met when the case is resolved.
//! - A rule counts time even while it does not apply to the case (another priority); when a
//!   change makes it apply, a limit already passed fires at that moment.
//!
//! The state ([`ClockState`]) is plain data: the store keeps it per case, so evaluating a case
//! costs one row, and replaying from the first entry gives the same state as folding entry by
//! entry (a property test holds that).

use case::{Priority, Status};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::{Action, Basis, Level, Measure, Policy, Rule};

/// What happened on a case, as the clocks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// An email in or out; `staff` when the vendor's staff sent it, `public` when the customer reads it.
    Email {
        /// Sent by staff.
        staff: bool,
        /// Visible to the customer.
        public: bool,
    },
    /// An internal note.
    Note,
    /// The status changed to this one.
    Status(Status),
    /// The priority changed to this one (not an activity for `idle`).
    Priority(Priority),
}

/// One thing that happened, at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub activity: Activity,
}

/// What the rules filter on that does not change with the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    /// The customer organization's name.
    pub customer: &'a str,
    /// The product, if known.
    pub product: Option<&'a str>,
}

/// A rule's threshold reached: what the policy does about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    /// The rule's name.
    pub rule: String,
    /// What it measures.
    pub measure: Measure,
    /// Warning or breach.
    pub level: Level,
    /// When the threshold was reached.
    pub at: DateTime<Utc>,
    /// When the episode it belongs to began: with the rule and the level, what makes the firing
    /// the same one however often it is computed.
    pub episode: DateTime<Utc>,
    /// What the policy does.
    pub actions: Vec<Action>,
}

/// A case's clocks under one policy, as of one instant.
///
/// Its JSON is stored for every case and read for every open one when all are evaluated, so its
/// keys are one letter each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// How far the state has been advanced (microseconds since the epoch).
    #[serde(rename = "t")]
    at: i64,
    #[serde(rename = "s")]
    status: Status,
    #[serde(rename = "p")]
    priority: Priority,
    #[serde(rename = "c")]
    clocks: Vec<RuleClock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RuleClock {
    /// The rule's name: a state whose names differ from the policy's was folded under another
    /// policy and is folded again.
    #[serde(rename = "n")]
    rule: String,
    /// When the current episode began (microseconds).
    #[serde(rename = "e")]
    episode: i64,
    /// Time counted in the episode, in the rule's basis (microseconds).
    #[serde(rename = "k")]
    counted: i64,
    /// When the at-risk, warning and breach thresholds were reached in this episode.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    risk: Option<i64>,
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    warned: Option<i64>,
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    breached: Option<i64>,
    /// Met: the first response was given, or the case resolved in this opening.
    #[serde(rename = "m", default, skip_serializing_if = "std::ops::Not::not")]
    met: bool,
}

/// A threshold of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threshold {
    /// The at-risk point (the rule's `warn_at`, else the policy's `at_risk`): shown, never fired.
    Risk,
    Warning,
    Breach,
}

/// Whether a clock counts right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// It counts.
    Running,
    /// The case waits on the customer or a third party.
    Paused,
    /// The case is closed.
    Stopped,
    /// The target was met (a first response given, the case resolved).
    Met,
}

impl ClockStatus {
    /// The identifier in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Paused => "paused",
            ClockStatus::Stopped => "stopped",
            ClockStatus::Met => "met",
        }
    }
}

/// One clock as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The rule.
    pub rule: String,
    /// What it measures.
    pub measure: Measure,
    /// Elapsed or working time.
    pub basis: Basis,
    /// The limit as written (`10d`).
    pub target: String,
    /// The limit's length in the basis.
    #[serde(skip)]
    pub target_length: TimeDelta,
    /// Time counted in the episode, in the basis.
    #[serde(skip)]
    pub counted: TimeDelta,
    /// Running, paused, stopped or met.
    pub status: ClockStatus,
    /// When the episode began.
    pub since: DateTime<Utc>,
    /// When the limit is (or was) reached: in the past once breached, `None` while paused
    /// before it (the clock is frozen) or when met.
    pub due_at: Option<DateTime<Utc>>,
    /// When the at-risk point is (or was) reached, likewise.
    pub risk_at: Option<DateTime<Utc>>,
    /// Past the at-risk point and not breached.
    pub at_risk: bool,
    /// Past the limit.
    pub breached: bool,
}

/// What the scheduler and the queue need of a case's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// The next instant a warning or a breach is due (`None`: nothing is due until the case changes).
    pub next_check: Option<DateTime<Utc>>,
    /// The earliest at-risk point of the current episodes (past or to come).
    pub risk_at: Option<DateTime<Utc>>,
    /// The earliest breach of the current episodes (past or to come).
    pub breach_at: Option<DateTime<Utc>>,
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl RuleClock {
    fn new(rule: &Rule, at: i64) -> RuleClock {
        RuleClock {
            rule: rule.name.clone(),
            episode: at,
            counted: 0,
            risk: None,
            warned: None,
            breached: None,
            met: false,
        }
    }

    fn rearm(&mut self, at: i64) {
        self.episode = at;
        self.counted = 0;
        self.clear();
    }

    fn clear(&mut self) {
        self.risk = None;
        self.warned = None;
        self.breached = None;
    }

    fn crossed(&self, threshold: Threshold) -> Option<i64> {
        match threshold {
            Threshold::Risk => self.risk,
            Threshold::Warning => self.warned,
            Threshold::Breach => self.breached,
        }
    }

    fn cross(&mut self, threshold: Threshold, at: i64) {
        let slot = match threshold {
            Threshold::Risk => &mut self.risk,
            Threshold::Warning => &mut self.warned,
            Threshold::Breach => &mut self.breached,
        };
        *slot = Some(at);
    }
}

/// The thresholds of a rule, with the fraction of the limit each sits at.
fn thresholds(rule: &Rule, policy: &Policy) -> impl Iterator<Item = (Threshold, f64)> {
    let risk = rule.warn_at.unwrap_or(policy.at_risk);
    [
        (Threshold::Risk, Some(risk)),
        (Threshold::Warning, rule.warn_at),
        (Threshold::Breach, Some(1.0)),
    ]
    .into_iter()
    .filter_map(|(threshold, fraction)| fraction.map(|f| (threshold, f)))
}

fn part_of(length: TimeDelta, fraction: f64) -> i64 {
    let whole = length.num_microseconds().unwrap_or(i64::MAX);
    if fraction >= 1.0 {
        whole
    } else {
        (whole as f64 * fraction).round() as i64
    }
}

/// The span `[from, to)` measured in a basis.
fn measure(policy: &Policy, basis: Basis, from: i64, to: i64) -> i64 {
    match basis {
        Basis::Calendar => to - from,
        Basis::Business => policy
            .calendar
            .working_time_between(instant(from), instant(to))
            .num_microseconds()
            .unwrap_or(i64::MAX),
    }
}

/// The instant `amount` of the basis after `from`; `None` when the calendar has no working time.
fn reach(policy: &Policy, basis: Basis, from: i64, amount: i64) -> Option<i64> {
    if amount <= 0 {
        return Some(from);
    }
    match basis {
        Basis::Calendar => from.checked_add(amount),
        Basis::Business => policy
            .calendar
            .add_working_time(instant(from), TimeDelta::microseconds(amount))
            .map(micros),
    }
}

impl ClockState {
    /// The clocks of a case opened at `opened_at` (status `new`) with a priority.
    pub fn open(policy: &Policy, opened_at: DateTime<Utc>, priority: Priority) -> ClockState {
        let at = micros(opened_at);
        ClockState {
            at,
            status: Status::New,
            priority,
            clocks: policy
                .rules
                .iter()
                .map(|rule| RuleClock::new(rule, at))
                .collect(),
        }
    }

    /// Whether this state was folded under a policy with these rules (else fold the history again).
    pub fn fits(&self, policy: &Policy) -> bool {
        self.clocks.len() == policy.rules.len()
            && self
                .clocks
                .iter()
                .zip(&policy.rules)
                .all(|(clock, rule)| clock.rule == rule.name)
    }

    /// How far the state has been advanced.
    pub fn at(&self) -> DateTime<Utc> {
        instant(self.at)
    }

    /// The case's status as the clocks know it.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Moves the clocks forward to `to`, returning what fired on the way (in no set order).
    /// Moving backwards does nothing.
    pub fn advance(
        &mut self,
        policy: &Policy,
        facts: CaseFacts<'_>,
        to: DateTime<Utc>,
    ) -> Vec<Firing> {
        let to = micros(to);
        let mut fired = Vec::new();
        if to <= self.at {
            return fired;
        }
        if policy.runs_in(self.status) {
            let from = self.at;
            let mut business: Option<i64> = None;
            for (rule, clock) in policy.rules.iter().zip(self.clocks.iter_mut()) {
                if clock.met {
                    continue;
                }
                let basis = rule.after.basis();
                let span = match basis {
                    Basis::Calendar => to - from,
                    Basis::Business => {
                        *business.get_or_insert_with(|| measure(policy, Basis::Business, from, to))
                    }
                };
                if rule.applies(self.priority, facts.customer, facts.product) {
                    let limit = rule.after.length(&policy.calendar);
                    for (threshold, fraction) in thresholds(rule, policy) {
                        if clock.crossed(threshold).is_some() {
                            continue;
                        }
                        let need = part_of(limit, fraction) - clock.counted;
                        if need > span {
                            continue;
                        }
                        let Some(at) = reach(policy, basis, from, need) else {
                            continue;
                        };
                        clock.cross(threshold, at);
                        let level = match threshold {
                            Threshold::Risk => continue,
                            Threshold::Warning => Level::Warning,
                            Threshold::Breach => Level::Breach,
                        };
                        fired.push(Firing {
                            rule: rule.name.clone(),
                            measure: rule.measure,
                            level,
                            at: instant(at),
                            episode: instant(clock.episode),
                            actions: rule.actions_of(level).to_vec(),
                        });
                    }
                }
                clock.counted = clock.counted.saturating_add(span);
            }
        }
        self.at = to;
        fired
    }

    /// Advances to the event and applies it, returning what fired before it.
    pub fn apply(
        &mut self,
        policy: &Policy,
        facts: CaseFacts<'_>,
        event: HistoryEvent,
    ) -> Vec<Firing> {
        let fired = self.advance(policy, facts, event.at);
        let at = micros(event.at).max(self.at);
        let rules = policy.rules.iter().zip(self.clocks.iter_mut());
        match event.activity {
            Activity::Email { staff, public } => {
                for (rule, clock) in rules {
                    match rule.measure {
                        Measure::Idle => clock.rearm(at),
                        Measure::Update if staff && public => clock.rearm(at),
                        Measure::FirstResponse if staff && public => clock.met = true,
                        _ => {}
                    }
                }
            }
            Activity::Note => {
                for (rule, clock) in rules {
                    if rule.measure == Measure::Idle {
                        clock.rearm(at);
                    }
                }
            }
            Activity::Status(status) => {
                let reopened = self.status.is_closed() && !status.is_closed();
                self.status = status;
                for (rule, clock) in rules {
                    match rule.measure {
                        Measure::Idle => clock.rearm(at),
                        Measure::Open | Measure::Resolution if reopened => {
                            clock.episode = at;
                            clock.clear();
                            clock.met = false;
                        }
                        _ => {}
                    }
                    if rule.measure == Measure::Resolution && status == Status::Resolved {
                        clock.met = true;
                    }
                }
            }
            Activity::Priority(priority) => self.priority = priority,
        }
        fired
    }

    /// The clocks of the rules that apply, as of the state's instant.
    pub fn readings(&self, policy: &Policy, facts: CaseFacts<'_>) -> Vec<Reading> {
        let running = policy.runs_in(self.status);
        let mut readings = Vec::new();
        for (rule, clock) in policy.rules.iter().zip(&self.clocks) {
            if !rule.applies(self.priority, facts.customer, facts.product) {
                continue;
            }
            let basis = rule.after.basis();
            let limit = rule.after.length(&policy.calendar);
            let point = |threshold: Threshold, fraction: f64| -> Option<i64> {
                if clock.met {
                    return None;
                }
                clock.crossed(threshold).or_else(|| {
                    running
                        .then(|| {
                            reach(
                                policy,
                                basis,
                                self.at,
                                part_of(limit, fraction) - clock.counted,
                            )
                        })
                        .flatten()
                })
            };
            let risk_fraction = rule.warn_at.unwrap_or(policy.at_risk);
            let status = if clock.met {
                ClockStatus::Met
            } else if self.status.is_closed() {
                ClockStatus::Stopped
            } else if running {
                ClockStatus::Running
            } else {
                ClockStatus::Paused
            };
            let breached = !clock.met && clock.breached.is_some();
            readings.push(Reading {
                rule: rule.name.clone(),
                measure: rule.measure,
                basis,
                target: rule.after.to_string(),
                target_length: limit,
                counted: TimeDelta::microseconds(clock.counted),
                status,
                since: instant(clock.episode),
                due_at: point(Threshold::Breach, 1.0).map(instant),
                risk_at: point(Threshold::Risk, risk_fraction).map(instant),
                at_risk: !clock.met && !breached && clock.risk.is_some(),
                breached,
            });
        }
        readings
    }

    /// The next instant anything fires, and the earliest at-risk point and breach.
    pub fn deadlines(&self, policy: &Policy, facts: CaseFacts<'_>) -> Deadlines {
        let running = policy.runs_in(self.status);
        let mut deadlines = Deadlines::default();
        let earliest = |slot: &mut Option<DateTime<Utc>>, at: Option<DateTime<Utc>>| {
            if let Some(at) = at {
                *slot = Some(slot.map_or(at, |s| s.min(at)));
            }
        };
        for (rule, clock) in policy.rules.iter().zip(&self.clocks) {
            if clock.met || !rule.applies(self.priority, facts.customer, facts.product) {
                continue;
            }
            let basis = rule.after.basis();
            let limit = rule.after.length(&policy.calendar);
            let due = |fraction: f64| {
                running
                    .then(|| {
                        reach(
                            policy,
                            basis,
                            self.at,
                            part_of(limit, fraction) - clock.counted,
                        )
                    })
                    .flatten()
                    .map(instant)
            };
            let risk_fraction = rule.warn_at.unwrap_or(policy.at_risk);
            earliest(
                &mut deadlines.risk_at,
                clock.risk.map(instant).or_else(|| due(risk_fraction)),
            );
            let breach = clock.breached.map(instant).or_else(|| due(1.0));
            earliest(&mut deadlines.breach_at, breach);
            let next = match (rule.warn_at, clock.warned, clock.breached) {
                (Some(fraction), None, None) => due(fraction),
                (_, _, None) => breach,
                (_, _, Some(_)) => None,
            };
            earliest(&mut deadlines.next_check, next);
        }
        deadlines
    }
}

/// Replays a case's history through a policy up to `until`: the state then, and every firing
/// on the way in time order (rules in the policy's order at the same instant, warnings first).
/// Events after `until` are left out; the history must be in time order.
pub fn replay(
    policy: &Policy,
    facts: CaseFacts<'_>,
    opened_at: DateTime<Utc>,
    priority: Priority,
    history: &[HistoryEvent],
    until: DateTime<Utc>,
) -> (ClockState, Vec<Firing>) {
    let mut state = ClockState::open(policy, opened_at, priority);
    let mut fired = Vec::new();
    for event in history.iter().filter(|e| e.at <= until) {
        fired.extend(state.apply(policy, facts, *event));
    }
    fired.extend(state.advance(policy, facts, until));
    let order = |name: &str| {
        policy
            .rules
            .iter()
            .position(|r| r.name == name)
            .unwrap_or(usize::MAX)
    };
    fired.sort_by_key(|f| (f.at, order(&f.rule), f.level));
    (state, fired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FACTS: CaseFacts<'static> = CaseFacts {
        customer: "Acer",
        product: None,
    };

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a test time")
            .with_timezone(&Utc)
    }

    fn email(text: &str) -> HistoryEvent {
        HistoryEvent {
            at: at(text),
            activity: Activity::Email {
                staff: true,
                public: false,
            },
        }
    }

    fn status(text: &str, status: Status) -> HistoryEvent {
        HistoryEvent {
            at: at(text),
            activity: Activity::Status(status),
        }
    }

    fn test_policy(rules: &str) -> Policy {
        let source = format!(
            "[calendar]\nzone = \"Asia/Shanghai\"\nworkdays = [\"Mon\", \"Tue\", \"Wed\", \"Thu\", \"Fri\"]\nhours = \"09:00-18:00\"\nholidays = [\"2021-04-05\", \"2021-05-03\"]\nextra_workdays = [\"2021-04-25\", \"2021-05-08\"]\ninclude = [\"cn-mainland\"]\n{rules}"
        );
        Policy::parse(&source).expect("a test policy")
    }

    fn fired(
        policy: &Policy,
        opened: &str,
        history: &[HistoryEvent],
        until: &str,
    ) -> Vec<(String, Level, String)> {
        let (_, firings) = replay(policy, FACTS, at(opened), Priority::P3, history, at(until));
        firings
            .into_iter()
            .map(|f| {
                (
                    f.rule,
                    f.level,
                    f.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
            })
            .collect()
    }

    const MODEL_RULES: &str = "[[rule]]\nname = \"idle\"\nmeasure = \"idle\"\nafter = \"10d\"\npriorities = [\"P1\", \"P2\", \"P3\", \"P4\"]\naction = \"notify_owner\"\n\n[[rule]]\nname = \"stale\"\nmeasure = \"open\"\nafter = \"20d\"\naction = \"escalate_manager\"\n";

    /// The model case's first three emails: opened 2021-03-05, a second email on 03-15, the
    /// manager's on 03-26.
    fn model_history() -> Vec<HistoryEvent> {
        vec![
            email("2021-03-05T17:05:26.201Z"),
            email("2021-03-15T11:41:00.194Z"),
            email("2021-03-26T13:41:48.740Z"),
        ]
    }

    #[test]
    fn the_model_case_goes_idle_and_stale_the_day_before_the_manager_wrote() {
        let policy = test_policy(MODEL_RULES);
        let got = fired(
            &policy,
            "2021-03-05T17:05:26.201Z",
            &model_history(),
            "2021-03-26T13:41:48.740Z",
        );
        assert_eq!(
            got,
            vec![
                (
                    "idle".into(),
                    Level::Breach,
                    "2021-03-25T11:41:00.194Z".into()
                ),
                (
                    "stale".into(),
                    Level::Breach,
                    "2021-03-25T17:05:26.201Z".into()
                ),
            ]
        );
        let warned = test_policy(&MODEL_RULES.replace(
            "action = \"notify_owner\"",
            "action = \"notify_owner\"\nwarn_at = 0.8",
        ));
        let got = fired(
            &warned,
            "2021-03-05T17:05:26.201Z",
            &model_history(),
            "2021-03-26T13:41:48.740Z",
        );
        assert_eq!(
            got,
            vec![
                (
                    "idle".into(),
                    Level::Warning,
                    "2021-03-13T17:05:26.201Z".into()
                ),
                (
                    "idle".into(),
                    Level::Warning,
                    "2021-03-23T11:41:00.194Z".into()
                ),
                (
                    "idle".into(),
                    Level::Breach,
                    "2021-03-25T11:41:00.194Z".into()
                ),
                (
                    "stale".into(),
                    Level::Breach,
                    "2021-03-25T17:05:26.201Z".into()
                ),
            ]
        );
    }

    #[test]
    fn business_days_skip_labour_day_and_count_its_make_up_days() {
        // 3bd (27 working hours) from Thursday 2021-04-29 10:00 Shanghai: Thursday 8h, Friday
        // 9h, 1 to 5 May off, Thursday 6 May 9h, and the last hour on Friday 7 May.
        let policy = test_policy("[[rule]]\nname = \"reply\"\nmeasure = \"first_response\"\nafter = \"3bd\"\naction = \"note\"\nwarn_at = 0.5\n");
        let got = fired(&policy, "2021-04-29T02:00:00Z", &[], "2021-05-31T00:00:00Z");
        assert_eq!(
            got,
            vec![
                // Half of 27h is 13.5h: Thursday's 8h and 5.5h of Friday 30 April (14:30 Shanghai).
                (
                    "reply".into(),
                    Level::Warning,
                    "2021-04-30T06:30:00.000Z".into()
                ),
                // Friday 7 May 10:00 Shanghai.
                (
                    "reply".into(),
                    Level::Breach,
                    "2021-05-07T02:00:00.000Z".into()
                ),
            ]
        );
        // The same limit from Friday 23 April 17:00: Fri 1h, Sun 25 April (make-up) 9h,
        // Mon 26 April 9h, Tue 27 April 8h reached at 17:00.
        let got = fired(&policy, "2021-04-23T09:00:00Z", &[], "2021-05-31T00:00:00Z");
        assert_eq!(
            got.last().map(|f| f.2.clone()),
            Some("2021-04-27T09:00:00.000Z".into())
        );
    }

    #[test]
    fn business_hours_do_not_count_on_the_holiday_monday() {
        // 4bh from Friday 2021-04-30 16:00 Shanghai: 2h Friday; Sat 1 May to Wed 5 May off;
        // Thursday 6 May 09:00 + 2h = 11:00.
        let policy = test_policy("[[rule]]\nname = \"p1\"\nmeasure = \"idle\"\nafter = \"4bh\"\naction = \"escalate_manager\"\n");
        let got = fired(&policy, "2021-04-30T08:00:00Z", &[], "2021-05-31T00:00:00Z");
        assert_eq!(
            got,
            vec![(
                "p1".into(),
                Level::Breach,
                "2021-05-06T03:00:00.000Z".into()
            )]
        );
    }

    #[test]
    fn waiting_on_the_customer_pauses_and_the_clock_resumes_with_its_history() {
        let policy = test_policy("[[rule]]\nname = \"resolve\"\nmeasure = \"resolution\"\nafter = \"10d\"\naction = \"note\"\n");
        let opened = "2021-03-01T00:00:00Z";
        let history = [
            status("2021-03-04T00:00:00Z", Status::WaitingOnCustomer),
            status("2021-03-14T00:00:00Z", Status::InProgress),
        ];
        // 3 days counted, 10 paused, 7 more: 2021-03-21.
        assert_eq!(
            fired(&policy, opened, &history, "2021-04-01T00:00:00Z"),
            vec![(
                "resolve".into(),
                Level::Breach,
                "2021-03-21T00:00:00.000Z".into()
            )]
        );
        // Archived on day 5, reopened a month later: the clock resumes at 5 days.
        let history = [
            status("2021-03-06T00:00:00Z", Status::Archived),
            status("2021-04-06T00:00:00Z", Status::Reopened),
        ];
        assert_eq!(
            fired(&policy, opened, &history, "2021-05-01T00:00:00Z"),
            vec![(
                "resolve".into(),
                Level::Breach,
                "2021-04-11T00:00:00.000Z".into()
            )]
        );
        // Resolved in time: met, nothing fires, and the readings say so.
        let history = [status("2021-03-06T00:00:00Z", Status::Resolved)];
        let (state, firings) = replay(
            &policy,
            FACTS,
            at(opened),
            Priority::P3,
            &history,
            at("2021-05-01T00:00:00Z"),
        );
        assert!(firings.is_empty());
        assert_eq!(state.readings(&policy, FACTS)[0].status, ClockStatus::Met);
    }

    #[test]
    fn a_rule_fires_once_per_opening_and_again_when_reopened_beyond_its_limit() {
        let policy = test_policy(MODEL_RULES);
        let opened = "2021-03-05T17:05:26.201Z";
        let mut history = model_history();
        history.push(status("2021-03-26T13:58:56.770Z", Status::Archived));
        history.push(status("2021-08-25T15:01:02.145Z", Status::Reopened));
        let got = fired(&policy, opened, &history, "2021-08-26T00:00:00Z");
        let stale: Vec<_> = got
            .iter()
            .filter(|f| f.0 == "stale")
            .map(|f| f.2.as_str())
            .collect();
        assert_eq!(
            stale,
            vec!["2021-03-25T17:05:26.201Z", "2021-08-25T15:01:02.145Z"]
        );
    }

    #[test]
    fn first_response_and_update_follow_public_staff_mail_only() {
        let policy = test_policy(
            "[[rule]]\nname = \"first\"\nmeasure = \"first_response\"\nafter = \"4h\"\naction = \"note\"\n\n[[rule]]\nname = \"update\"\nmeasure = \"update\"\nafter = \"2d\"\naction = \"note\"\n",
        );
        let opened = "2021-03-01T00:00:00Z";
        let customer = HistoryEvent {
            at: at("2021-03-01T01:00:00Z"),
            activity: Activity::Email {
                staff: false,
                public: true,
            },
        };
        let internal = HistoryEvent {
            at: at("2021-03-01T02:00:00Z"),
            activity: Activity::Email {
                staff: true,
                public: false,
            },
        };
        let reply = HistoryEvent {
            at: at("2021-03-01T05:00:00Z"),
            activity: Activity::Email {
                staff: true,
                public: true,
            },
        };
        let got = fired(
            &policy,
            opened,
            &[customer, internal, reply],
            "2021-03-04T00:00:00Z",
        );
        assert_eq!(
            got,
            vec![
                (
                    "first".into(),
                    Level::Breach,
                    "2021-03-01T04:00:00.000Z".into()
                ),
                (
                    "update".into(),
                    Level::Breach,
                    "2021-03-03T05:00:00.000Z".into()
                ),
            ]
        );
    }

    #[test]
    fn a_rule_for_another_priority_fires_when_the_priority_changes_to_it() {
        let policy = test_policy("[[rule]]\nname = \"p1\"\nmeasure = \"open\"\nafter = \"1d\"\npriorities = [\"P1\"]\naction = \"escalate_manager\"\n");
        let raise = HistoryEvent {
            at: at("2021-03-03T00:00:00Z"),
            activity: Activity::Priority(Priority::P1),
        };
        let got = fired(
            &policy,
            "2021-03-01T00:00:00Z",
            &[raise],
            "2021-03-10T00:00:00Z",
        );
        assert_eq!(
            got,
            vec![(
                "p1".into(),
                Level::Breach,
                "2021-03-03T00:00:00.000Z".into()
            )]
        );
    }

    #[test]
    fn deadlines_tell_the_next_check_and_the_risk() {
        let policy = test_policy(&MODEL_RULES.replace(
            "action = \"notify_owner\"",
            "action = \"notify_owner\"\nwarn_at = 0.8",
        ));
        let (state, _) = replay(
            &policy,
            FACTS,
            at("2021-03-05T17:05:26.201Z"),
            Priority::P3,
            &model_history()[..2],
            at("2021-03-20T00:00:00Z"),
        );
        let deadlines = state.deadlines(&policy, FACTS);
        assert_eq!(deadlines.next_check, Some(at("2021-03-23T11:41:00.194Z")));
        assert_eq!(
            deadlines.risk_at,
            Some(at("2021-03-21T17:05:26.201Z")),
            "stale's at-risk point is 80% of 20 days"
        );
        assert_eq!(deadlines.breach_at, Some(at("2021-03-25T11:41:00.194Z")));
        let readings = state.readings(&policy, FACTS);
        assert_eq!(
            readings
                .iter()
                .map(|r| (r.rule.as_str(), r.at_risk, r.breached))
                .collect::<Vec<_>>(),
            vec![("idle", false, false), ("stale", false, false)]
        );
        // Paused, nothing is due; a breach already passed stays.
        let mut paused = state.clone();
        paused.apply(
            &policy,
            FACTS,
            status("2021-03-27T00:00:00Z", Status::WaitingOnCustomer),
        );
        let deadlines = paused.deadlines(&policy, FACTS);
        assert_eq!(deadlines.next_check, None);
        assert_eq!(deadlines.breach_at, Some(at("2021-03-25T17:05:26.201Z")));
        assert!(paused
            .readings(&policy, FACTS)
            .iter()
            .any(|r| r.breached && r.status == ClockStatus::Paused));
    }

    fn any_history() -> impl Strategy<Value = Vec<HistoryEvent>> {
        let activity = prop_oneof![
            (any::<bool>(), any::<bool>())
                .prop_map(|(staff, public)| Activity::Email { staff, public }),
            Just(Activity::Note),
            prop::sample::select(Status::ALL.to_vec()).prop_map(Activity::Status),
            prop::sample::select(Priority::ALL.to_vec()).prop_map(Activity::Priority),
        ];
        prop::collection::vec((0i64..(60 * 24 * 60), activity), 0..25).prop_map(|mut events| {
            events.sort_by_key(|e| e.0);
            events.dedup_by_key(|e| e.0);
            events
                .into_iter()
                .map(|(minutes, activity)| HistoryEvent {
                    at: at("2021-03-01T00:00:00Z") + TimeDelta::minutes(minutes),
                    activity,
                })
                .collect()
        })
    }

    const MIXED_RULES: &str = "[[rule]]\nname = \"idle\"\nmeasure = \"idle\"\nafter = \"3bd\"\nwarn_at = 0.5\naction = \"notify_owner\"\n\n[[rule]]\nname = \"open\"\nmeasure = \"open\"\nafter = \"10d\"\naction = \"escalate_manager\"\n\n[[rule]]\nname = \"first\"\nmeasure = \"first_response\"\nafter = \"6bh\"\npriorities = [\"P1\", \"P2\"]\naction = \"note\"\n\n[[rule]]\nname = \"update\"\nmeasure = \"update\"\nafter = \"2d\"\nwarn_at = 0.75\naction = \"note\"\n\n[[rule]]\nname = \"resolution\"\nmeasure = \"resolution\"\nafter = \"15bd\"\naction = \"raise_priority\"\n";

    proptest! {
        #[test]
        fn a_saved_state_advanced_later_fires_what_a_full_replay_fires(history in any_history(), cut in 0usize..25, later in 0i64..(60 * 24 * 30)) {
            let policy = test_policy(MIXED_RULES);
            let opened = at("2021-03-01T00:00:00Z");
            let end = history.last().map_or(opened, |e| e.at) + TimeDelta::minutes(later);
            let (_, whole) = replay(&policy, FACTS, opened, Priority::P2, &history, end);
            // Stop anywhere, save the state as JSON, read it back and go on.
            let cut = cut.min(history.len());
            let middle = history.get(cut).map_or(end, |e| e.at);
            let (state, mut parts) = replay(&policy, FACTS, opened, Priority::P2, &history[..cut], middle);
            let mut state: ClockState = serde_json::from_str(&serde_json::to_string(&state).expect("json")).expect("json");
            for event in &history[cut..] {
                parts.extend(state.apply(&policy, FACTS, *event));
            }
            parts.extend(state.advance(&policy, FACTS, end));
            let key = |f: &Firing| (f.at, f.rule.clone(), f.level, f.episode);
            let mut parts: Vec<_> = parts.iter().map(key).collect();
            parts.sort();
            let mut whole: Vec<_> = whole.iter().map(key).collect();
            whole.sort();
            prop_assert_eq!(parts, whole);
        }

        #[test]
        fn the_same_firing_never_happens_twice_and_never_while_paused(history in any_history(), later in 0i64..(60 * 24 * 30)) {
            let policy = test_policy(MIXED_RULES);
            let opened = at("2021-03-01T00:00:00Z");
            let end = history.last().map_or(opened, |e| e.at) + TimeDelta::minutes(later);
            let (_, firings) = replay(&policy, FACTS, opened, Priority::P2, &history, end);
            let mut keys: Vec<_> = firings.iter().map(|f| (f.rule.clone(), f.level, f.episode)).collect();
            let count = keys.len();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), count);
            for firing in &firings {
                prop_assert!(firing.at <= end && firing.at >= firing.episode);
                let status = history.iter().filter(|e| e.at < firing.at).fold(Status::New, |s, e| match e.activity { Activity::Status(t) => t, _ => s });
                let changed_then = history.iter().any(|e| e.at == firing.at && matches!(e.activity, Activity::Status(_) | Activity::Priority(_)));
                prop_assert!(policy.runs_in(status) || changed_then, "{firing:?} fired while {status}");
            }
        }
    }
}
