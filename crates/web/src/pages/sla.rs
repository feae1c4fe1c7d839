//! The managers' SLA dashboard: open cases breached and at risk, most urgent first, and how they
//! fall to their owners.

use std::collections::BTreeMap;

use app::sla::SlaCaseView;
use app::Lang;
use axum::extract::State;
use axum::response::IntoResponse;

use super::{fail, PageResult};
use crate::guard::Signed;
use crate::html::{Chrome, SlaPage, SlaRow};
use crate::Web;

/// How many cases of each kind the dashboard lists.
const LIMIT: u32 = 200;

fn rows(cases: &[SlaCaseView], lang: Lang, zone: chrono_tz::Tz) -> Vec<SlaRow> {
    cases
        .iter()
        .map(|case| {
            let sla = app::sla::CaseSlaView {
                policy_version: 0,
                at_risk: false,
                breached: false,
                clocks: case.clocks.clone(),
            };
            SlaRow {
                number: case.number.clone(),
                title: case.title.clone(),
                priority: case.priority.to_string(),
                customer: case.customer.clone(),
                owner: case.owner.clone().unwrap_or_else(|| lang.say("nobody")),
                clocks: super::cases::clock_rows(Some(&sla), lang, zone)
                    .into_iter()
                    .filter(|clock| matches!(clock.state, "breached" | "at_risk"))
                    .collect(),
            }
        })
        .collect()
}

/// `GET /sla`.
pub async fn dashboard(State(web): State<Web>, signed: Signed) -> PageResult {
    let lang = signed.lang;
    let status = web
        .app
        .sla_status(&signed.actor(), LIMIT)
        .await
        .map_err(fail(&signed))?;
    let mut owners: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for case in &status.breached {
        owners
            .entry(case.owner.clone().unwrap_or_else(|| lang.say("nobody")))
            .or_default()
            .0 += 1;
    }
    for case in &status.at_risk {
        owners
            .entry(case.owner.clone().unwrap_or_else(|| lang.say("nobody")))
            .or_default()
            .1 += 1;
    }
    let mut owners: Vec<(String, usize, usize)> = owners
        .into_iter()
        .map(|(name, (b, r))| (name, b, r))
        .collect();
    owners.sort_by(|a, b| (b.1, b.2).cmp(&(a.1, a.2)).then_with(|| a.0.cmp(&b.0)));
    let page = SlaPage {
        c: Chrome::signed(&signed, lang.say("web-nav-sla"), "sla"),
        policy_set: status.policy_version.is_some(),
        breached: rows(&status.breached, lang, signed.zone),
        at_risk: rows(&status.at_risk, lang, signed.zone),
        owners,
    };
    Ok(page.into_response())
}
