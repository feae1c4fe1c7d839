//! SLA policies as teams write them (TOML), read into checked values. Every error names the
//! line and the key it is about.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use case::{Priority, Status};
use chrono::{NaiveDate, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::calendar::{parse_date, parse_weekday, Calendar, CalendarError, WorkingHours};
use crate::shipped;

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// From the case's creation to the first public reply by staff.
    FirstResponse,
    /// The longest time without a public update from staff to the customer.
    Update,
    /// The longest time without any activity: email in or out, note, status change.
    Idle,
    /// From the case's opening to its resolution.
    Resolution,
    /// The time since the case was opened.
    Open,
}

impl Measure {
    /// Every measure.
    pub const ALL: [Measure; 5] = [
        Measure::FirstResponse,
        Measure::Update,
        Measure::Idle,
        Measure::Resolution,
        Measure::Open,
    ];

    /// The identifier in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::FirstResponse => "first_response",
            Measure::Update => "update",
            Measure::Idle => "idle",
            Measure::Resolution => "resolution",
            Measure::Open => "open",
        }
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Mail the case's owner (the managers when it has none).
    NotifyOwner,
    /// Mail every active manager, or the addresses the rule names.
    EscalateManager,
    /// Raise the case's priority one step (or to the rule's `raise_to`).
    RaisePriority,
    /// Only the timeline entry every firing writes.
    Note,
    /// POST a signed JSON document to the rule's webhook.
    Webhook,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::NotifyOwner,
        Action::EscalateManager,
        Action::RaisePriority,
        Action::Note,
        Action::Webhook,
    ];

    /// The identifier in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NotifyOwner => "notify_owner",
            Action::EscalateManager => "escalate_manager",
            Action::RaisePriority => "raise_priority",
            Action::Note => "note",
            Action::Webhook => "webhook",
        }
    }
}

/// How a threshold is counted: elapsed time, or working time in the calendar's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Elapsed (24-hour) time.
    Calendar,
    /// Working time of the policy's calendar.
    Business,
}

/// A rule's threshold as written: `10d`, `20bd`, `4h`, `6bh`, `30m`, `90bm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct After {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: Unit,
}

/// The unit of an [`After`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `d`: elapsed 24-hour days.
    Days,
    /// `h`: elapsed hours.
    Hours,
    /// `m`: elapsed minutes.
    Minutes,
    /// `bd`: working days (each the working time of an ordinary working day).
    BusinessDays,
    /// `bh`: working hours.
    BusinessHours,
    /// `bm`: working minutes.
    BusinessMinutes,
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Unit::Days => "d",
            Unit::Hours => "h",
            Unit::Minutes => "m",
            Unit::BusinessDays => "bd",
            Unit::BusinessHours => "bh",
            Unit::BusinessMinutes => "bm",
        }
    }
}

impl After {
    /// Whether it counts elapsed or working time.
    pub fn basis(self) -> Basis {
        match self.unit {
            Unit::Days | Unit::Hours | Unit::Minutes => Basis::Calendar,
            Unit::BusinessDays | Unit::BusinessHours | Unit::BusinessMinutes => Basis::Business,
        }
    }

    /// The amount of time (elapsed or working) it stands for on a calendar.
    pub fn length(self, calendar: &Calendar) -> TimeDelta {
        let n = i64::from(self.amount);
        match self.unit {
            Unit::Days => TimeDelta::days(n),
            Unit::Hours | Unit::BusinessHours => TimeDelta::hours(n),
            Unit::Minutes | Unit::BusinessMinutes => TimeDelta::minutes(n),
            Unit::BusinessDays => calendar.day_length() * self.amount as i32,
        }
    }
}

impl FromStr for After {
    type Err = String;
    fn from_str(text: &str) -> Result<After, String> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(digits);
        let unit = match suffix.trim() {
            "d" => Unit::Days,
            "h" => Unit::Hours,
            "m" => Unit::Minutes,
            "bd" => Unit::BusinessDays,
            "bh" => Unit::BusinessHours,
            "bm" => Unit::BusinessMinutes,
            _ => return Err(format!("{text:?} is not a duration: write a whole number and d, h, m (elapsed) or bd, bh, bm (working time), such as 10d or 4bh")),
        };
        match number.parse::<u32>() {
            Ok(amount) if amount > 0 && amount <= 100_000 => Ok(After { amount, unit }),
            _ => Err(format!(
                "{text:?} is not a duration: the number must be a whole number from 1 to 100000"
            )),
        }
    }
}

impl fmt::Display for After {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its name, unique in the policy (events are recorded under it).
    pub name: String,
    /// What it measures.
    pub measure: Measure,
    /// The limit.
    pub after: After,
    /// The priorities it applies to; all when empty.
    pub priorities: Vec<Priority>,
    /// The customer organizations it applies to (by name, case-insensitive); all when empty.
    pub customers: Vec<String>,
    /// The products it applies to (case-insensitive); all when empty.
    pub products: Vec<String>,
    /// What happens at the breach.
    pub actions: Vec<Action>,
    /// The fraction of the limit at which it warns; no warning when `None`.
    pub warn_at: Option<f64>,
    /// What happens at the warning (the breach's actions unless the rule says otherwise).
    pub warn_actions: Vec<Action>,
    /// Addresses `escalate_manager` and `notify_owner` (on a case without owner) mail instead
    /// of every manager.
    pub notify: Vec<String>,
    /// The priority `raise_priority` sets (one step up when `None`).
    pub raise_to: Option<Priority>,
    /// Where `webhook` posts.
    pub webhook: Option<String>,
}

impl Rule {
    /// Whether the rule applies to a case with this priority, customer and product.
    pub fn applies(&self, priority: Priority, customer: &str, product: Option<&str>) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&priority))
            && (self.customers.is_empty()
                || self
                    .customers
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(customer.trim())))
            && (self.products.is_empty()
                || product.is_some_and(|p| {
                    self.products
                        .iter()
                        .any(|q| q.eq_ignore_ascii_case(p.trim()))
                }))
    }

    /// The actions of a level.
    pub fn actions_of(&self, level: Level) -> &[Action] {
        match level {
            Level::Warning => &self.warn_actions,
            Level::Breach => &self.actions,
        }
    }
}

/// Which threshold of a rule was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The rule's `warn_at` fraction of the limit.
    Warning,
    /// The limit itself.
    Breach,
}

impl Level {
    /// The identifier in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Breach => "breach",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(text: &str) -> Result<Level, String> {
        match text {
            "warning" => Ok(Level::Warning),
            "breach" => Ok(Level::Breach),
            _ => Err(format!("{text:?} is not an SLA level (warning, breach)")),
        }
    }
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The working calendar business time is counted on.
    pub calendar: Calendar,
    /// The shipped calendars the policy includes (`cn-mainland`).
    pub includes: Vec<String>,
    /// The statuses in which the clocks pause.
    pub pause_in: Vec<Status>,
    /// The fraction of a limit from which a clock counts as at risk when its rule sets no `warn_at`.
    pub at_risk: f64,
    /// The rules, in the policy's order.
    pub rules: Vec<Rule>,
}

impl Policy {
    /// Whether the clocks run in a status: not in a paused one, not on a closed case.
    pub fn runs_in(&self, status: Status) -> bool {
        !status.is_closed() && !self.pause_in.contains(&status)
    }

    /// Reads and checks a policy.
    pub fn parse(source: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(source).map_err(|error| PolicyError {
            line: error.span().map(|span| line_of(source, span.start)),
            key: None,
            message: error.message().trim().to_string(),
        })?;
        let at = |span: std::ops::Range<usize>, key: &str, message: String| PolicyError {
            line: Some(line_of(source, span.start)),
            key: Some(key.to_string()),
            message,
        };
        let cal = raw.calendar.unwrap_or_default();
        let zone = cal
            .zone
            .as_ref()
            .map_or("Asia/Shanghai".to_string(), |z| z.get_ref().clone());
        let workdays: Vec<Weekday> = match &cal.workdays {
            None => vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            Some(days) => days
                .iter()
                .map(|d| {
                    parse_weekday(d.get_ref())
                        .map_err(|e| at(d.span(), "calendar.workdays", e.to_string()))
                })
                .collect::<Result<_, _>>()?,
        };
        let hours: Vec<WorkingHours> = match &cal.hours {
            None => vec![WorkingHours::STANDARD],
            Some(spanned) => spanned
                .get_ref()
                .list()
                .iter()
                .map(|t| {
                    WorkingHours::parse(t)
                        .map_err(|e| at(spanned.span(), "calendar.hours", e.to_string()))
                })
                .collect::<Result<_, _>>()?,
        };
        let dates = |list: &Option<Vec<Spanned<String>>>,
                     key: &str|
         -> Result<Vec<NaiveDate>, PolicyError> {
            list.iter()
                .flatten()
                .map(|d| parse_date(d.get_ref()).map_err(|e| at(d.span(), key, e.to_string())))
                .collect()
        };
        let holidays = dates(&cal.holidays, "calendar.holidays")?;
        let extra = dates(&cal.extra_workdays, "calendar.extra_workdays")?;
        let zone_span = cal.zone.as_ref().map_or(0..0, |z| z.span());
        let mut calendar =
            Calendar::new(&zone, &workdays, &hours, holidays, extra).map_err(|e| {
                let key = match e {
                    CalendarError::Zone(_) => "calendar.zone",
                    CalendarError::HoursOverlap(..) | CalendarError::Hours(_) => "calendar.hours",
                    _ => "calendar.workdays",
                };
                at(zone_span.clone(), key, e.to_string())
            })?;
        let mut includes = Vec::new();
        for name in cal.include.iter().flatten() {
            let days = shipped::calendar(name.get_ref()).ok_or_else(|| {
                at(
                    name.span(),
                    "calendar.include",
                    format!(
                        "no shipped calendar is called {:?} (shipped: {})",
                        name.get_ref(),
                        shipped::NAMES.join(", ")
                    ),
                )
            })?;
            calendar.add_days(days.holidays, days.extra_workdays);
            includes.push(name.get_ref().clone());
        }

        let clocks = raw.clocks.unwrap_or_default();
        let pause_in = match &clocks.pause_in {
            None => vec![Status::WaitingOnCustomer, Status::WaitingOnThirdParty],
            Some(list) => list
                .iter()
                .map(|s| {
                    let status: Status = s.get_ref().parse().map_err(|_| {
                        at(
                            s.span(),
                            "clocks.pause_in",
                            format!("{:?} is not a status", s.get_ref()),
                        )
                    })?;
                    if status.is_closed() {
                        return Err(at(
                            s.span(),
                            "clocks.pause_in",
                            format!("{status} is a closed status: clocks stop there anyway"),
                        ));
                    }
                    Ok(status)
                })
                .collect::<Result<_, _>>()?,
        };
        let at_risk = match &clocks.at_risk {
            None => 0.8,
            Some(value) => fraction(value).map_err(|m| at(value.span(), "clocks.at_risk", m))?,
        };

        let mut rules = Vec::new();
        let mut names = BTreeSet::new();
        for raw_rule in raw.rule.unwrap_or_default() {
            let rule = raw_rule.into_inner();
            let name = rule.name.get_ref().trim().to_string();
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                return Err(at(
                    rule.name.span(),
                    "rule.name",
                    format!("{name:?} is not a rule name: use 1 to 64 letters, digits, _ or -"),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(at(
                    rule.name.span(),
                    "rule.name",
                    format!("two rules are called {name:?}: each rule needs a name of its own"),
                ));
            }
            let measure = Measure::ALL
                .into_iter()
                .find(|m| m.as_str() == rule.measure.get_ref().trim())
                .ok_or_else(|| at(rule.measure.span(), "rule.measure", format!("{:?} is not a measure (first_response, update, idle, resolution, open)", rule.measure.get_ref())))?;
            let after: After = rule
                .after
                .get_ref()
                .parse()
                .map_err(|m| at(rule.after.span(), "rule.after", m))?;
            let priorities = rule
                .priorities
                .iter()
                .flatten()
                .map(|p| {
                    p.get_ref().parse::<Priority>().map_err(|_| {
                        at(
                            p.span(),
                            "rule.priorities",
                            format!("{:?} is not a priority (P1, P2, P3, P4)", p.get_ref()),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let actions =
                read_actions(&rule.action).map_err(|(span, m)| at(span, "rule.action", m))?;
            let warn_actions = match &rule.warn_action {
                None => actions.clone(),
                Some(list) => {
                    read_actions(list).map_err(|(span, m)| at(span, "rule.warn_action", m))?
                }
            };
            let warn_at = match &rule.warn_at {
                None => None,
                Some(value) => {
                    Some(fraction(value).map_err(|m| at(value.span(), "rule.warn_at", m))?)
                }
            };
            let raise_to = match &rule.raise_to {
                None => None,
                Some(p) => Some(p.get_ref().parse::<Priority>().map_err(|_| {
                    at(
                        p.span(),
                        "rule.raise_to",
                        format!("{:?} is not a priority (P1, P2, P3, P4)", p.get_ref()),
                    )
                })?),
            };
            let webhook = match &rule.webhook {
                None => None,
                Some(url) => {
                    let text = url.get_ref().trim();
                    if !(text.starts_with("https://") || text.starts_with("http://"))
                        || text.contains(char::is_whitespace)
                    {
                        return Err(at(
                            url.span(),
                            "rule.webhook",
                            format!("{text:?} is not an http:// or https:// address"),
                        ));
                    }
                    Some(text.to_string())
                }
            };
            let uses = |a: Action| actions.contains(&a) || warn_actions.contains(&a);
            if uses(Action::Webhook) && webhook.is_none() {
                return Err(at(rule.action.span(), "rule.webhook", format!("rule {name:?} calls a webhook: name its address with webhook = \"https://…\"")));
            }
            let notify: Vec<String> = rule
                .notify
                .iter()
                .flatten()
                .map(|a| a.get_ref().trim().to_string())
                .collect();
            if let Some(bad) = rule
                .notify
                .iter()
                .flatten()
                .find(|a| !a.get_ref().contains('@'))
            {
                return Err(at(
                    bad.span(),
                    "rule.notify",
                    format!("{:?} is not an email address", bad.get_ref()),
                ));
            }
            rules.push(Rule {
                name,
                measure,
                after,
                priorities,
                customers: rule.customers.unwrap_or_default(),
                products: rule.products.unwrap_or_default(),
                actions,
                warn_at,
                warn_actions,
                notify,
                raise_to,
                webhook,
            });
        }
        Ok(Policy {
            calendar,
            includes,
            pause_in,
            at_risk,
            rules,
        })
    }
}

fn fraction(value: &Spanned<f64>) -> Result<f64, String> {
    let v = *value.get_ref();
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!(
            "{v} is not a fraction between 0 and 1 (such as 0.8)"
        ))
    }
}

fn read_actions(
    value: &Spanned<OneOrMany>,
) -> Result<Vec<Action>, (std::ops::Range<usize>, String)> {
    let texts = value.get_ref().list();
    if texts.is_empty() {
        return Err((value.span(), "name at least one action".to_string()));
    }
    let mut list = Vec::new();
    for text in texts {
        let action = Action::ALL.into_iter().find(|a| a.as_str() == text.trim()).ok_or_else(|| {
            (value.span(), format!("{text:?} is not an action (notify_owner, escalate_manager, raise_priority, note, webhook)"))
        })?;
        if !list.contains(&action) {
            list.push(action);
        }
    }
    Ok(list)
}

/// The 1-based line of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Why a policy was refused: the line and key it is about, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
pub struct PolicyError {
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// The key, such as `rule.after`.
    pub key: Option<String>,
    /// What is wrong, in English (interfaces add the sentence in the reader's language).
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    calendar: Option<RawCalendar>,
    clocks: Option<RawClocks>,
    rule: Option<Vec<Spanned<RawRule>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    zone: Option<Spanned<String>>,
    workdays: Option<Vec<Spanned<String>>>,
    hours: Option<Spanned<OneOrMany>>,
    holidays: Option<Vec<Spanned<String>>>,
    extra_workdays: Option<Vec<Spanned<String>>>,
    include: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawClocks {
    pause_in: Option<Vec<Spanned<String>>>,
    at_risk: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    measure: Spanned<String>,
    after: Spanned<String>,
    priorities: Option<Vec<Spanned<String>>>,
    customers: Option<Vec<String>>,
    products: Option<Vec<String>>,
    action: Spanned<OneOrMany>,
    warn_at: Option<Spanned<f64>>,
    warn_action: Option<Spanned<OneOrMany>>,
    notify: Option<Vec<Spanned<String>>>,
    raise_to: Option<Spanned<String>>,
    webhook: Option<Spanned<String>>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(text) => vec![text.clone()],
            OneOrMany::Many(texts) => texts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The minimal policy every release must accept.
    pub(crate) const MINIMAL: &str = r#"
[calendar]
zone = "Asia/Shanghai"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
hours = "09:00-18:00"
holidays = ["2021-04-05", "2021-05-03"]
extra_workdays = ["2021-04-25", "2021-05-08"]

[[rule]]
name = "idle"
measure = "idle"              # idle | update | first_response | resolution | open
after = "10d"                 # d = calendar days, bd = business days, h = hours, bh = business hours
priorities = ["P1", "P2", "P3", "P4"]
action = "notify_owner"       # notify_owner | escalate_manager | raise_priority | note | webhook

[[rule]]
name = "stale"
measure = "open"
after = "20d"
action = "escalate_manager"
"#;

    fn refusal(source: &str) -> (Option<usize>, Option<String>) {
        let error = Policy::parse(source).expect_err("a refusal");
        (error.line, error.key)
    }

    #[test]
    fn the_minimal_policy_is_accepted() {
        let policy = Policy::parse(MINIMAL).expect("the minimal policy");
        assert_eq!(policy.rules.len(), 2);
        let idle = &policy.rules[0];
        assert_eq!(
            (idle.name.as_str(), idle.measure, idle.after.to_string()),
            ("idle", Measure::Idle, "10d".to_string())
        );
        assert_eq!(idle.actions, vec![Action::NotifyOwner]);
        assert_eq!(idle.warn_at, None);
        assert_eq!(policy.rules[1].priorities, Vec::<Priority>::new());
        assert_eq!(
            policy.pause_in,
            vec![Status::WaitingOnCustomer, Status::WaitingOnThirdParty]
        );
        assert!(policy
            .calendar
            .is_workday(parse_date("2021-04-25").expect("a date")));
        assert!(!policy
            .calendar
            .is_workday(parse_date("2021-05-03").expect("a date")));
        assert!(
            policy.runs_in(Status::New)
                && !policy.runs_in(Status::WaitingOnCustomer)
                && !policy.runs_in(Status::Archived)
        );
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let bad_after = MINIMAL.replace("after = \"20d\"", "after = \"20 weeks\"");
        assert_eq!(refusal(&bad_after), (Some(19), Some("rule.after".into())));
        let bad_measure = MINIMAL.replace("measure = \"open\"", "measure = \"age\"");
        assert_eq!(
            refusal(&bad_measure),
            (Some(18), Some("rule.measure".into()))
        );
        let bad_day = MINIMAL.replace("\"2021-05-08\"", "\"2021-05-32\"");
        assert_eq!(
            refusal(&bad_day),
            (Some(7), Some("calendar.extra_workdays".into()))
        );
        let bad_priority = MINIMAL.replace("\"P4\"", "\"P9\"");
        assert_eq!(
            refusal(&bad_priority),
            (Some(13), Some("rule.priorities".into()))
        );
        let bad_zone = MINIMAL.replace("Asia/Shanghai", "Asia/Atlantis");
        assert_eq!(refusal(&bad_zone), (Some(3), Some("calendar.zone".into())));
        let twice = MINIMAL.replace("name = \"stale\"", "name = \"idle\"");
        assert_eq!(refusal(&twice), (Some(17), Some("rule.name".into())));
        let bad_action = MINIMAL.replace(
            "action = \"escalate_manager\"",
            "action = \"page_everyone\"",
        );
        assert_eq!(refusal(&bad_action), (Some(20), Some("rule.action".into())));
        let unknown_key = MINIMAL.replace("after = \"20d\"", "after = \"20d\"\ncolour = \"red\"");
        let error = Policy::parse(&unknown_key).expect_err("an unknown key");
        assert_eq!(error.line, Some(20));
        assert!(error.message.contains("colour"), "{error}");
        let warn = MINIMAL.replace("after = \"10d\"", "after = \"10d\"\nwarn_at = 1.5");
        assert_eq!(refusal(&warn), (Some(13), Some("rule.warn_at".into())));
        let hook = MINIMAL.replace(
            "action = \"escalate_manager\"",
            "action = [\"note\", \"webhook\"]",
        );
        assert_eq!(refusal(&hook), (Some(20), Some("rule.webhook".into())));
        let syntax = format!("{MINIMAL}\n[[rule]\n");
        assert_eq!(refusal(&syntax).0, Some(22));
        assert_eq!(Policy::parse(&bad_after).expect_err("a refusal").to_string(), "line 19: rule.after: \"20 weeks\" is not a duration: write a whole number and d, h, m (elapsed) or bd, bh, bm (working time), such as 10d or 4bh");
    }

    #[test]
    fn durations_read_every_unit() {
        for (text, unit) in [
            ("10d", Unit::Days),
            ("4h", Unit::Hours),
            ("30m", Unit::Minutes),
            ("3bd", Unit::BusinessDays),
            ("6bh", Unit::BusinessHours),
            ("90bm", Unit::BusinessMinutes),
        ] {
            let after: After = text.parse().expect("a duration");
            assert_eq!(after.unit, unit);
            assert_eq!(after.to_string(), text);
        }
        for bad in ["", "d", "0d", "10", "10w", "-1d", "1.5d", "200000d"] {
            assert!(bad.parse::<After>().is_err(), "{bad}");
        }
        let calendar = Calendar::standard("Asia/Shanghai").expect("a calendar");
        assert_eq!(
            "2bd".parse::<After>().map(|a| a.length(&calendar)),
            Ok(TimeDelta::hours(18))
        );
    }

    #[test]
    fn rules_apply_by_priority_customer_and_product() {
        let source = r#"
[[rule]]
name = "acer-p1"
measure = "first_response"
after = "4bh"
priorities = ["P1"]
customers = ["Acer"]
products = ["Windows 10 IoT"]
action = ["notify_owner", "raise_priority"]
warn_at = 0.5
warn_action = "note"
raise_to = "P1"
"#;
        let policy = Policy::parse(source).expect("a policy");
        let rule = &policy.rules[0];
        assert!(rule.applies(Priority::P1, "acer", Some("windows 10 iot")));
        assert!(!rule.applies(Priority::P2, "Acer", Some("Windows 10 IoT")));
        assert!(!rule.applies(Priority::P1, "Lenovo", Some("Windows 10 IoT")));
        assert!(!rule.applies(Priority::P1, "Acer", None));
        assert_eq!(rule.actions_of(Level::Warning), &[Action::Note]);
        assert_eq!(
            rule.actions_of(Level::Breach),
            &[Action::NotifyOwner, Action::RaisePriority]
        );
        assert_eq!(policy.calendar.hours().len(), 1);
    }

    #[test]
    fn shipped_calendars_are_included_by_name() {
        let source = "[calendar]\ninclude = [\"cn-mainland\"]\n";
        let policy = Policy::parse(source).expect("a policy");
        assert!(policy
            .calendar
            .is_workday(parse_date("2021-04-25").expect("a date")));
        assert!(!policy
            .calendar
            .is_workday(parse_date("2021-10-07").expect("a date")));
        assert_eq!(
            refusal("[calendar]\ninclude = [\"atlantis\"]\n"),
            (Some(2), Some("calendar.include".into()))
        );
    }
}
