//! Casebook's SLA rules: business calendars ([`calendar`]) with the shipped holiday data
//! ([`shipped`]), policies as teams write them ([`policy`]), and clocks that pause, resume and
//! fire each warning and breach once per episode ([`clock`]).
//!
//! Pure code: no I/O, no clock, no environment. Every function takes the time it works on, so
//! replaying an old case through a new policy is calling it with old times.

pub mod calendar;
pub mod clock;
pub mod policy;
pub mod shipped;

pub use calendar::{Calendar, CalendarError, WorkingHours};
pub use clock::{
    replay, Activity, CaseFacts, ClockState, ClockStatus, Deadlines, Firing, HistoryEvent, Reading,
};
pub use policy::{Action, After, Basis, Level, Measure, Policy, PolicyError, Rule};
