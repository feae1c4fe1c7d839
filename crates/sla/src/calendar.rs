//! Business calendars: a time zone, working days and hours (split hours too), public holidays
//! and extra working days (China moves weekend days to workdays around its holidays), and the
//! arithmetic of working time on them.
//!
//! Working hours are wall-clock times in the calendar's zone, so the results never depend on
//! the server's own zone, and a day on which the zone changes its offset (daylight saving) has
//! the working time its wall clock says: a working hour that does not exist on the clock is
//! skipped, one that happens twice counts twice.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// How far working time is searched for before a calendar is taken to have none: a calendar
/// whose every day is a holiday has no deadline.
const SEARCH_DAYS: u64 = 366 * 20;

/// A business calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
    workdays: [bool; 7],
    hours: Vec<WorkingHours>,
    holidays: BTreeSet<NaiveDate>,
    extra_workdays: BTreeSet<NaiveDate>,
}

/// One span of working hours in a day, in minutes after midnight on the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WorkingHours {
    start: u32,
    end: u32,
}

/// Why a calendar cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The time zone is not in the IANA database.
    #[error("unknown time zone {0:?} (use an IANA name such as Asia/Shanghai)")]
    Zone(String),
    /// A weekday name is not one of Mon … Sun.
    #[error("unknown weekday {0:?} (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")]
    Weekday(String),
    /// Working hours are not `HH:MM-HH:MM` with the start before the end.
    #[error("working hours {0:?} are not HH:MM-HH:MM with the start before the end")]
    Hours(String),
    /// Two spans of working hours overlap.
    #[error("working hours {0} and {1} overlap")]
    HoursOverlap(String, String),
    /// A date is not `YYYY-MM-DD`.
    #[error("{0:?} is not a date (YYYY-MM-DD)")]
    Date(String),
    /// The calendar has no working time at all.
    #[error(
        "the calendar has no working time: name at least one working day and one span of hours"
    )]
    NoWorkingTime,
}

impl WorkingHours {
    /// 09:00-18:00.
    pub const STANDARD: WorkingHours = WorkingHours {
        start: 9 * 60,
        end: 18 * 60,
    };

    /// Reads `09:00-18:00`; `24:00` is allowed as an end.
    pub fn parse(text: &str) -> Result<WorkingHours, CalendarError> {
        let bad = || CalendarError::Hours(text.to_string());
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        let minutes = |part: &str| -> Option<u32> {
            let (h, m) = part.trim().split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (start, end) = (
            minutes(start).ok_or_else(bad)?,
            minutes(end).ok_or_else(bad)?,
        );
        if start >= end {
            return Err(bad());
        }
        Ok(WorkingHours { start, end })
    }

    /// The length of the span.
    pub fn length(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.end - self.start))
    }
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Reads a weekday as a policy writes it: `Mon`, `monday`, `周一`.
pub fn parse_weekday(text: &str) -> Result<Weekday, CalendarError> {
    let day = match text.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" | "周一" => Weekday::Mon,
        "tue" | "tuesday" | "周二" => Weekday::Tue,
        "wed" | "wednesday" | "周三" => Weekday::Wed,
        "thu" | "thursday" | "周四" => Weekday::Thu,
        "fri" | "friday" | "周五" => Weekday::Fri,
        "sat" | "saturday" | "周六" => Weekday::Sat,
        "sun" | "sunday" | "周日" => Weekday::Sun,
        _ => return Err(CalendarError::Weekday(text.to_string())),
    };
    Ok(day)
}

/// Reads `2021-05-03`.
pub fn parse_date(text: &str) -> Result<NaiveDate, CalendarError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| CalendarError::Date(text.to_string()))
}

impl Calendar {
    /// Builds a calendar; the spans of hours may come in any order but must not overlap.
    pub fn new(
        zone: &str,
        workdays: &[Weekday],
        hours: &[WorkingHours],
        holidays: impl IntoIterator<Item = NaiveDate>,
        extra_workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        let zone: Tz = zone
            .parse()
            .map_err(|_| CalendarError::Zone(zone.to_string()))?;
        let mut days = [false; 7];
        for day in workdays {
            days[day.num_days_from_monday() as usize] = true;
        }
        let mut hours = hours.to_vec();
        hours.sort();
        hours.dedup();
        for pair in hours.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(CalendarError::HoursOverlap(
                    pair[0].to_string(),
                    pair[1].to_string(),
                ));
            }
        }
        let extra_workdays: BTreeSet<NaiveDate> = extra_workdays.into_iter().collect();
        if hours.is_empty() || (!days.contains(&true) && extra_workdays.is_empty()) {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(Calendar {
            zone,
            workdays: days,
            hours,
            holidays: holidays.into_iter().collect(),
            extra_workdays,
        })
    }

    /// The calendar a team in mainland China uses by default: Monday to Friday, 09:00-18:00,
    /// Asia/Shanghai, no holidays (add the shipped ones with [`Calendar::add_days`]).
    pub fn standard(zone: &str) -> Result<Calendar, CalendarError> {
        let hours = [WorkingHours::STANDARD];
        let days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ];
        Calendar::new(zone, &days, &hours, [], [])
    }

    /// Adds holidays and extra working days (a date named both ways is a working day: the
    /// make-up day is the later, more specific decision).
    pub fn add_days(
        &mut self,
        holidays: impl IntoIterator<Item = NaiveDate>,
        extra_workdays: impl IntoIterator<Item = NaiveDate>,
    ) {
        self.holidays.extend(holidays);
        self.extra_workdays.extend(extra_workdays);
    }

    /// The calendar's time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The spans of working hours of a working day, in order.
    pub fn hours(&self) -> &[WorkingHours] {
        &self.hours
    }

    /// The years (of its holidays and extra working days) the calendar names.
    pub fn years(&self) -> BTreeSet<i32> {
        self.holidays
            .iter()
            .chain(&self.extra_workdays)
            .map(Datelike::year)
            .collect()
    }

    /// The working time of one ordinary working day: what `1bd` means.
    pub fn day_length(&self) -> TimeDelta {
        self.hours.iter().map(|h| h.length()).sum()
    }

    /// Whether a date is a working day: an extra working day always is, a holiday never is,
    /// otherwise its weekday decides.
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        if self.extra_workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        self.workdays[date.weekday().num_days_from_monday() as usize]
    }

    /// The working spans of one date as instants, in order (empty on a day off).
    fn spans_of(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let working = self.is_workday(date);
        self.hours
            .iter()
            .filter(move |_| working)
            .filter_map(move |h| {
                let start = self.instant(date, h.start, Edge::Start)?;
                let end = self.instant(date, h.end, Edge::End)?;
                (start < end).then_some((start, end))
            })
    }

    /// The instant a wall-clock time of a date is in the calendar's zone.
    fn instant(&self, date: NaiveDate, minutes: u32, edge: Edge) -> Option<DateTime<Utc>> {
        let local: NaiveDateTime = if minutes == 24 * 60 {
            date.checked_add_days(Days::new(1))?
                .and_time(NaiveTime::MIN)
        } else {
            date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(
                minutes * 60,
                0,
            )?)
        };
        // A wall-clock time skipped by a change of offset is read as the first one after the gap.
        for skip in 0..=180 {
            let probe = local + TimeDelta::minutes(skip);
            match self.zone.from_local_datetime(&probe) {
                LocalResult::Single(at) => return Some(at.with_timezone(&Utc)),
                LocalResult::Ambiguous(early, late) => {
                    let at = if edge == Edge::Start { early } else { late };
                    return Some(at.with_timezone(&Utc));
                }
                LocalResult::None => continue,
            }
        }
        None
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The working time in `[from, to)`; zero when `to` is not after `from`.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        let mut total = TimeDelta::zero();
        // A day's spans can begin before midnight UTC; start one local day early to be sure.
        let mut date = self.local_date(from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = self.local_date(to);
        while date <= last {
            for (start, end) in self.spans_of(date) {
                let (start, end) = (start.max(from), end.min(to));
                if start < end {
                    total += end - start;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }

    /// The instant at which `amount` of working time has passed after `from`; `from` itself for
    /// no time; `None` when the calendar has no working time for twenty years.
    pub fn add_working_time(
        &self,
        from: DateTime<Utc>,
        amount: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        if amount <= TimeDelta::zero() {
            return Some(from);
        }
        let mut left = amount;
        let mut date = self.local_date(from).pred_opt()?;
        for _ in 0..SEARCH_DAYS {
            for (start, end) in self.spans_of(date) {
                let start = start.max(from);
                if start >= end {
                    continue;
                }
                let span = end - start;
                if left <= span {
                    return Some(start + left);
                }
                left -= span;
            }
            date = date.succ_opt()?;
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a test time")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("a test date")
    }

    /// The policy example's calendar: Shanghai, Monday to Friday, 09:00-18:00, with the 2021
    /// Labour Day holidays (1 to 5 May) and their make-up days (Sunday 25 April, Saturday 8 May).
    fn labour_day_2021() -> Calendar {
        let mut calendar = Calendar::standard("Asia/Shanghai").expect("a calendar");
        calendar.add_days(
            [
                "2021-05-01",
                "2021-05-02",
                "2021-05-03",
                "2021-05-04",
                "2021-05-05",
            ]
            .map(date),
            ["2021-04-25", "2021-05-08"].map(date),
        );
        calendar
    }

    #[test]
    fn working_hours_are_read_and_checked() {
        assert_eq!(
            WorkingHours::parse("09:00-18:00").map(|h| h.to_string()),
            Ok("09:00-18:00".to_string())
        );
        assert_eq!(
            WorkingHours::parse("13:30-24:00").map(|h| h.length()),
            Ok(TimeDelta::minutes(630))
        );
        for bad in [
            "18:00-09:00",
            "9-18",
            "09:00",
            "09:60-10:00",
            "25:00-26:00",
            "09:00-09:00",
            "24:30-25:00",
        ] {
            assert_eq!(
                WorkingHours::parse(bad),
                Err(CalendarError::Hours(bad.to_string())),
                "{bad}"
            );
        }
    }

    #[test]
    fn overlapping_hours_and_empty_calendars_are_refused() {
        let hours = ["09:00-12:00", "11:00-18:00"].map(|h| WorkingHours::parse(h).expect("hours"));
        assert!(matches!(
            Calendar::new("Asia/Shanghai", &[Weekday::Mon], &hours, [], []),
            Err(CalendarError::HoursOverlap(..))
        ));
        assert_eq!(
            Calendar::new("Asia/Shanghai", &[], &hours[..1], [], []),
            Err(CalendarError::NoWorkingTime)
        );
        assert_eq!(
            Calendar::new("Mars/Olympus", &[Weekday::Mon], &hours[..1], [], []),
            Err(CalendarError::Zone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn holidays_never_count_and_make_up_days_always_do() {
        let calendar = labour_day_2021();
        assert!(
            calendar.is_workday(date("2021-04-25")),
            "Sunday 25 April 2021 was a make-up workday"
        );
        assert!(
            calendar.is_workday(date("2021-05-08")),
            "Saturday 8 May 2021 was a make-up workday"
        );
        assert!(
            !calendar.is_workday(date("2021-05-03")),
            "Monday 3 May 2021 was a holiday"
        );
        assert!(!calendar.is_workday(date("2021-05-02")));
        assert!(
            !calendar.is_workday(date("2021-05-09")),
            "an ordinary Sunday"
        );
        // Friday 30 April 17:00 Shanghai: one hour that day, then nothing until Thursday 6 May.
        let from = at("2021-04-30T09:00:00Z");
        assert_eq!(
            calendar.add_working_time(from, TimeDelta::hours(1)),
            Some(at("2021-04-30T10:00:00Z"))
        );
        assert_eq!(
            calendar.add_working_time(from, TimeDelta::hours(2)),
            Some(at("2021-05-06T02:00:00Z"))
        );
        // Friday's hour, Thursday 6 and Friday 7 May, and all of the make-up Saturday 8 May.
        assert_eq!(
            calendar.working_time_between(from, at("2021-05-08T10:00:00Z")),
            TimeDelta::hours(28)
        );
        assert_eq!(
            calendar.working_time_between(at("2021-05-01T00:00:00Z"), at("2021-05-05T16:00:00Z")),
            TimeDelta::zero()
        );
    }

    #[test]
    fn split_hours_skip_the_lunch_break() {
        let hours = ["09:00-12:00", "13:30-18:00"].map(|h| WorkingHours::parse(h).expect("hours"));
        let calendar = Calendar::new(
            "Asia/Shanghai",
            &[Weekday::Mon, Weekday::Tue],
            &hours,
            [],
            [],
        )
        .expect("a calendar");
        assert_eq!(calendar.day_length(), TimeDelta::minutes(450));
        // Monday 2021-03-01 11:00 Shanghai + 2h = 14:30 (the lunch break does not count).
        assert_eq!(
            calendar.add_working_time(at("2021-03-01T03:00:00Z"), TimeDelta::hours(2)),
            Some(at("2021-03-01T06:30:00Z"))
        );
        // Tuesday 18:00 + 1 minute = the next Monday 09:01.
        assert_eq!(
            calendar.add_working_time(at("2021-03-02T10:00:00Z"), TimeDelta::minutes(1)),
            Some(at("2021-03-08T01:01:00Z"))
        );
    }

    #[test]
    fn daylight_saving_days_have_the_working_time_of_their_wall_clock() {
        // New York moved from EST to EDT at 02:00 on Sunday 14 March 2021; a 00:00-04:00 span
        // that day lasts three hours. On 7 November 2021 the hour 01:00-02:00 happened twice.
        let hours = [WorkingHours::parse("00:00-04:00").expect("hours")];
        let calendar =
            Calendar::new("America/New_York", &[Weekday::Sun], &hours, [], []).expect("a calendar");
        let spring =
            calendar.working_time_between(at("2021-03-14T00:00:00Z"), at("2021-03-15T00:00:00Z"));
        assert_eq!(spring, TimeDelta::hours(3));
        let autumn =
            calendar.working_time_between(at("2021-11-07T00:00:00Z"), at("2021-11-08T00:00:00Z"));
        assert_eq!(autumn, TimeDelta::hours(5));
    }

    #[test]
    fn a_calendar_with_only_holidays_has_no_deadline() {
        let hours = [WorkingHours::parse("09:00-18:00").expect("hours")];
        let mut calendar =
            Calendar::new("UTC", &[], &hours, [], [date("2021-01-04")]).expect("a calendar");
        calendar.add_days([], []);
        assert_eq!(
            calendar.add_working_time(at("2021-01-05T00:00:00Z"), TimeDelta::hours(1)),
            None
        );
        assert_eq!(
            calendar.add_working_time(at("2021-01-01T00:00:00Z"), TimeDelta::hours(1)),
            Some(at("2021-01-04T10:00:00Z"))
        );
    }

    fn any_calendar() -> impl Strategy<Value = Calendar> {
        let zones = prop::sample::select(vec![
            "Asia/Shanghai",
            "America/New_York",
            "Europe/Berlin",
            "Australia/Lord_Howe",
            "UTC",
        ]);
        let days = prop::collection::vec(0u32..7, 1..7);
        let spans = (0u32..10, 1u32..6, 0u32..4, 1u32..8);
        let holidays = prop::collection::vec(0u64..400, 0..40);
        let extra = prop::collection::vec(0u64..400, 0..10);
        (zones, days, spans, holidays, extra).prop_map(
            |(zone, days, (s, l, gap, l2), holidays, extra)| {
                let days: Vec<Weekday> = days
                    .into_iter()
                    .map(|d| Weekday::try_from(d as u8).expect("a weekday"))
                    .collect();
                let first = WorkingHours {
                    start: s * 60 + 15,
                    end: (s + l) * 60 + 15,
                };
                let second = WorkingHours {
                    start: first.end + gap * 60 + 30,
                    end: (first.end + gap * 60 + 30 + l2 * 45).min(24 * 60),
                };
                let mut hours = vec![first];
                if second.start < second.end {
                    hours.push(second);
                }
                let base = date("2021-01-01");
                let day = |n: u64| base + Days::new(n);
                Calendar::new(
                    zone,
                    &days,
                    &hours,
                    holidays.into_iter().map(day),
                    extra.into_iter().map(day),
                )
                .expect("a calendar")
            },
        )
    }

    proptest! {
        #[test]
        fn adding_then_measuring_gives_back_the_same_time(
            calendar in any_calendar(),
            start in 1_609_459_200i64..1_640_995_200,
            minutes in 0i64..(60 * 24 * 40),
        ) {
            let from = DateTime::from_timestamp(start, 0).expect("a time");
            let amount = TimeDelta::minutes(minutes);
            let due = calendar.add_working_time(from, amount).expect("working time within a year");
            prop_assert_eq!(calendar.working_time_between(from, due), amount);
            // The deadline is the first instant with that much working time: a minute earlier has less.
            if minutes > 0 {
                prop_assert!(calendar.working_time_between(from, due - TimeDelta::minutes(1)) < amount);
            }
        }

        #[test]
        fn working_time_adds_up_over_any_split(
            calendar in any_calendar(),
            start in 1_609_459_200i64..1_640_995_200,
            first in 0i64..(3600 * 24 * 30),
            second in 0i64..(3600 * 24 * 30),
        ) {
            let a = DateTime::from_timestamp(start, 0).expect("a time");
            let b = a + TimeDelta::seconds(first);
            let c = b + TimeDelta::seconds(second);
            prop_assert_eq!(calendar.working_time_between(a, c), calendar.working_time_between(a, b) + calendar.working_time_between(b, c));
        }

        #[test]
        fn holidays_never_count_and_extra_workdays_always_do(
            calendar in any_calendar(),
            offset in 0u64..400,
        ) {
            let day = date("2021-01-01") + Days::new(offset);
            let midnight = |d: NaiveDate| calendar.instant(d, 0, Edge::Start).expect("midnight");
            let worked = calendar.working_time_between(midnight(day), midnight(day + Days::new(1)));
            if calendar.extra_workdays.contains(&day) || (calendar.workdays[day.weekday().num_days_from_monday() as usize] && !calendar.holidays.contains(&day)) {
                prop_assert!(worked > TimeDelta::zero());
            } else {
                prop_assert_eq!(worked, TimeDelta::zero());
            }
        }
    }
}
