//! `casebook sla …` and `casebook calendar …`: the policy, the at-risk and breached cases,
//! replays of old cases, the sweep by hand, calendar imports; and how clocks read as text.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use app::sla::{
    CalendarImportView, ClockView, DayKind, FiringView, ReplayTotals, SlaPolicyView, SlaStatusView,
};
use app::views::local_time;
use app::{Actor, App, AppError, Lang};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Subcommand, ValueEnum};

use crate::cli::{emit, read_text};
use crate::render::safe;

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// The policy: what is measured, the limits, the calendar, what happens.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Open cases at risk and breached, most urgent first.
    Status {
        /// Show at most this many of each.
        #[arg(long, default_value_t = 200)]
        limit: u32,
        /// Print as JSON: {"at", "policy_version", "breached": [...], "at_risk": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Replay history through a policy: what it would have fired, in order.
    Replay {
        /// Case number, alias or token (or --all).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        number: Option<String>,
        /// Every case opened since --since, with totals per rule.
        #[arg(long, requires = "since")]
        all: bool,
        /// With --all: cases opened on or after this day (YYYY-MM-DD, UTC) or instant (RFC 3339).
        #[arg(long, value_parser = parse_instant)]
        since: Option<DateTime<Utc>>,
        /// Replay up to this day or instant instead of now.
        #[arg(long, value_parser = parse_instant)]
        until: Option<DateTime<Utc>>,
        /// A policy file to try instead of the active policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Print as JSON: a list of {"rule", "action", "level", "at", "measure"} (--all: totals).
        #[arg(long)]
        json: bool,
    },
    /// Evaluate the clocks that are due now and carry out what fired (the server does this by
    /// itself every minute).
    Sweep {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Make a policy file the active policy (every case's clocks are computed again).
    Set {
        /// The policy (TOML).
        file: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the active policy.
    Show {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Read holidays or make-up workdays from an iCalendar file into the calendar.
    Import {
        /// The .ics file.
        file: PathBuf,
        /// What its events are: days off, or working days (iCalendar has no mark for a make-up day).
        #[arg(long = "as", value_enum)]
        kind: ImportAs,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// What an iCalendar file's events are.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportAs {
    /// Days off.
    Holidays,
    /// Extra working days.
    Workdays,
}

impl SlaCommand {
    pub fn wants_json(&self) -> bool {
        match self {
            SlaCommand::Policy(PolicyCommand::Set { json, .. } | PolicyCommand::Show { json })
            | SlaCommand::Status { json, .. }
            | SlaCommand::Replay { json, .. }
            | SlaCommand::Sweep { json } => *json,
        }
    }
}

impl CalendarCommand {
    pub fn wants_json(&self) -> bool {
        match self {
            CalendarCommand::Import { json, .. } => *json,
        }
    }
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            format!("'{text}' is neither a day (2021-03-26) nor an instant (2021-03-26T13:41:48Z)")
        })
}

pub async fn run_sla(app: &App, command: SlaCommand, lang: Lang) -> Result<()> {
    let actor = Actor::operator();
    let zone = app.view_zone;
    match command {
        SlaCommand::Policy(PolicyCommand::Set { file, json }) => {
            let source = read_text(&file)?;
            let view = app.sla_policy_set(&actor, &source).await?;
            emit(json, &view, || {
                format!(
                    "{}\n{}",
                    lang.text("sla-policy-set", &[("version", view.version.into())]),
                    policy_text(&view, zone, lang)
                )
            })
        }
        SlaCommand::Policy(PolicyCommand::Show { json }) => {
            match app.sla_policy_show(&actor).await? {
                Some(view) => emit(json, &view, || policy_text(&view, zone, lang)),
                None => Err(AppError::invalid("sla_policy_missing", serde_json::json!({})).into()),
            }
        }
        SlaCommand::Status { limit, json } => {
            let view = app.sla_status(&actor, limit).await?;
            emit(json, &view, || status_text(&view, zone, lang))
        }
        SlaCommand::Replay {
            number,
            all,
            since,
            until,
            policy,
            json,
        } => {
            let source = match &policy {
                Some(path) => Some(read_text(path)?),
                None => None,
            };
            if all {
                let since = since.ok_or_else(|| AppError::usage("--all needs --since DATE"))?;
                let totals = app
                    .sla_replay_all(&actor, since, source.as_deref(), until)
                    .await?;
                emit(json, &totals, || totals_text(&totals, lang))
            } else {
                let number = number
                    .ok_or_else(|| AppError::usage("name a case, or give --all --since DATE"))?;
                let firings = app
                    .sla_replay(&actor, &number, source.as_deref(), until)
                    .await?;
                emit(json, &firings, || firings_text(&firings, zone, lang))
            }
        }
        SlaCommand::Sweep { json } => {
            let holder = format!("cli-{}", std::process::id());
            let report = app.sla_sweep(&holder, u64::MAX).await?;
            emit(json, &report, || {
                if report.skipped {
                    return format!("{}\n", lang.say("sla-sweep-skipped"));
                }
                let mut out = lang.text(
                    "sla-sweep-done",
                    &[
                        ("evaluated", (report.evaluated as f64).into()),
                        ("fired", (report.fired.len() as f64).into()),
                    ],
                );
                out.push('\n');
                for fired in &report.fired {
                    let _ = writeln!(
                        out,
                        "  {}  {}  {}",
                        fired.number,
                        safe(&fired.rule),
                        lang.say(&format!("sla-level-{}", fired.level))
                    );
                }
                out
            })
        }
    }
}

pub async fn run_calendar(app: &App, command: CalendarCommand, lang: Lang) -> Result<()> {
    let actor = Actor::operator();
    match command {
        CalendarCommand::Import { file, kind, json } => {
            let text = read_text(&file)?;
            let kind = match kind {
                ImportAs::Holidays => DayKind::Holidays,
                ImportAs::Workdays => DayKind::Workdays,
            };
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().to_string(),
            );
            let view: CalendarImportView = app.calendar_import(&actor, &text, kind, &name).await?;
            emit(json, &view, || {
                format!(
                    "{}\n",
                    lang.text(
                        &format!("calendar-imported-{}", view.kind),
                        &[
                            ("days", (view.days as f64).into()),
                            ("added", (view.added as f64).into()),
                            ("first", view.first.clone().unwrap_or_default().into()),
                            ("last", view.last.clone().unwrap_or_default().into()),
                        ],
                    )
                )
            })
        }
    }
}

/// Text padded to a width in terminal columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// One line per clock: rule, what it measures, limit, state, due.
pub fn clock_lines(clocks: &[ClockView], zone: chrono_tz::Tz, lang: Lang) -> String {
    let mut out = String::new();
    for clock in clocks {
        let state = if clock.breached {
            lang.say("sla-breached")
        } else if clock.at_risk {
            lang.say("sla-at-risk")
        } else {
            lang.say(&format!("sla-clock-{}", clock.status.as_str()))
        };
        let due = match (&clock.due_at, clock.remaining_seconds) {
            (Some(due), Some(left)) if left >= 0 => lang.text(
                "sla-due-in",
                &[
                    ("due", local_time(due, zone).into()),
                    ("left", app::sla::span_words(left, lang).into()),
                ],
            ),
            (Some(due), Some(left)) => lang.text(
                "sla-overdue",
                &[
                    ("due", local_time(due, zone).into()),
                    ("late", app::sla::span_words(left, lang).into()),
                ],
            ),
            _ => String::new(),
        };
        let measure = lang.say(&format!("sla-measure-{}", clock.measure.as_str()));
        let _ = writeln!(
            out,
            "    {} {} {:<6} {} {}",
            pad(&safe(&clock.rule), 14),
            pad(&measure, 22),
            clock.target,
            pad(&state, 10),
            due
        );
    }
    out
}

fn policy_text(view: &SlaPolicyView, zone: chrono_tz::Tz, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        lang.text(
            "sla-policy-header",
            &[
                ("version", view.version.into()),
                ("at", local_time(&view.activated_at, zone).into()),
                (
                    "by",
                    view.activated_by
                        .clone()
                        .unwrap_or_else(|| "-".into())
                        .into()
                ),
            ],
        )
    );
    let _ = writeln!(
        out,
        "  {}",
        lang.text(
            "sla-policy-calendar",
            &[
                ("zone", view.calendar.zone.clone().into()),
                ("hours", view.calendar.hours.join(", ").into()),
                (
                    "years",
                    view.calendar
                        .years
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into()
                ),
            ],
        )
    );
    if !view.calendar.missing_years.is_empty() {
        let years = view
            .calendar
            .missing_years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "  {}",
            lang.text("sla-calendar-missing", &[("years", years.into())])
        );
    }
    for rule in &view.rules {
        let priorities = if rule.priorities.is_empty() {
            "P1-P4".to_string()
        } else {
            rule.priorities
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let actions: Vec<&str> = rule.actions.iter().map(|a| a.as_str()).collect();
        let warn = rule
            .warn_at
            .map(|w| format!("  warn {:.0}%", w * 100.0))
            .unwrap_or_default();
        let measure = lang.say(&format!("sla-measure-{}", rule.measure.as_str()));
        let _ = writeln!(
            out,
            "  {} {} {:<6} {:<12} {}{}",
            pad(&safe(&rule.name), 14),
            pad(&measure, 22),
            rule.after,
            priorities,
            actions.join("+"),
            warn
        );
    }
    out
}

fn status_text(view: &SlaStatusView, zone: chrono_tz::Tz, lang: Lang) -> String {
    let mut out = String::new();
    if view.policy_version.is_none() {
        let _ = writeln!(out, "{}", lang.say("sla-no-policy"));
        return out;
    }
    for (id, cases) in [
        ("sla-status-breached", &view.breached),
        ("sla-status-at-risk", &view.at_risk),
    ] {
        let _ = writeln!(
            out,
            "{}",
            lang.text(id, &[("count", (cases.len() as f64).into())])
        );
        for case in cases {
            let _ = writeln!(
                out,
                "  {}  {}  {}  {}  {}",
                case.number,
                case.priority,
                safe(&case.customer),
                safe(&case.title),
                case.owner
                    .as_deref()
                    .map(safe)
                    .unwrap_or_else(|| lang.say("nobody").into())
            );
            out.push_str(&clock_lines(&case.clocks, zone, lang));
        }
    }
    out
}

fn firings_text(firings: &[FiringView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if firings.is_empty() {
        return format!("{}\n", lang.say("sla-replay-none"));
    }
    let mut out = String::new();
    for firing in firings {
        let _ = writeln!(
            out,
            "{}  {} {} {}",
            local_time(&firing.at, zone),
            pad(&safe(&firing.rule), 14),
            pad(
                &lang.say(&format!("sla-level-{}", firing.level.as_str())),
                8
            ),
            firing
                .actions
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join("+")
        );
    }
    out
}

fn totals_text(totals: &ReplayTotals, lang: Lang) -> String {
    let mut out = format!(
        "{}\n",
        lang.text(
            "sla-replay-totals",
            &[
                ("cases", (totals.cases as f64).into()),
                ("firings", (totals.firings as f64).into())
            ]
        )
    );
    for (rule, counts) in &totals.rules {
        let _ = writeln!(
            out,
            "  {:<14} {}",
            safe(rule),
            lang.text(
                "sla-replay-rule",
                &[
                    ("warning", (counts.warning as f64).into()),
                    ("breach", (counts.breach as f64).into()),
                    ("cases", (counts.cases as f64).into())
                ],
            )
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_days_hours_and_minutes() {
        use app::sla::span_words;
        assert_eq!(span_words(59, Lang::En), "0m");
        assert_eq!(span_words(3 * 86_400 + 4 * 3600 + 59, Lang::En), "3d 4h");
        assert_eq!(span_words(-(5 * 3600 + 20 * 60), Lang::En), "5h 20m");
        assert_eq!(span_words(3 * 86_400 + 4 * 3600, Lang::ZhCn), "3天4小时");
    }

    #[test]
    fn columns_are_padded_by_terminal_width() {
        assert_eq!(pad("idle", 6), "idle  ");
        assert_eq!(pad("无进展时间", 12), "无进展时间  ");
        assert_eq!(pad("longer than the width", 4), "longer than the width");
    }

    #[test]
    fn instants_are_days_or_rfc3339() {
        assert_eq!(
            parse_instant("2021-03-26").map(|t| t.to_rfc3339()),
            Ok("2021-03-26T00:00:00+00:00".to_string())
        );
        assert_eq!(
            parse_instant("2021-03-26T13:41:48.740Z").map(|t| t.timestamp_millis()),
            Ok(1_616_766_108_740)
        );
        assert!(parse_instant("26/03/2021").is_err());
    }
}
