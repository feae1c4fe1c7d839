//! Live updates: a server-sent event stream per open page, and the composer's collision warning.
//!
//! One task per process watches the database: on PostgreSQL it waits on LISTEN (triggers on the
//! timeline and composing tables notify at every commit of any instance), on SQLite it polls.
//! When something changed it ticks a watch channel; each stream then reads the entries after its
//! own position through `app`, which keeps only what its caller may see. Nothing crosses
//! instances through memory: every stream reads the database.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::watch;

use crate::guard::Signed;
use crate::pages::Fields;
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

/// How long one stream lives before the browser reconnects (through the gate again, so a signed
/// out or disabled user's stream ends within this time).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// The process's watcher: a tick whenever the database holds something new.
#[derive(Default)]
pub struct Hub {
    ticks: OnceLock<watch::Sender<u64>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    fn subscribe(&self, web: &Web) -> watch::Receiver<u64> {
        self.ticks
            .get_or_init(|| {
                let (sender, _) = watch::channel(0);
                tokio::spawn(watch_database(web.clone(), sender.clone()));
                sender
            })
            .subscribe()
    }
}

async fn watch_database(web: Web, ticks: watch::Sender<u64>) {
    let mut listener = match web.app.feed_listener().await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "live feed: LISTEN failed, polling instead");
            None
        }
    };
    let mut seen = (i64::MIN, i64::MIN);
    let mut tick = 0u64;
    // The first look comes right after LISTEN holds: what was committed while it was being set
    // up (the first stream had already read its position) is announced then, not a minute later.
    let mut first = true;
    loop {
        if !first {
            match listener.as_mut() {
                Some(listener) => {
                    if let Err(error) = listener.wait(web.config.listen_fallback).await {
                        tracing::warn!(%error, "live feed: listener failed");
                        tokio::time::sleep(web.config.listen_fallback).await;
                    }
                }
                None => tokio::time::sleep(web.config.live_poll).await,
            }
        }
        first = false;
        let now = match (
            web.app.feed_position().await,
            web.app.composing_latest().await,
        ) {
            (Ok(position), Ok(composing)) => (position, composing),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "live feed: the database did not answer");
                tokio::time::sleep(web.config.live_poll).await;
                continue;
            }
        };
        if now != seen {
            seen = now;
            tick += 1;
            ticks.send_replace(tick);
        }
    }
}

/// How far back each read looks again: on PostgreSQL an id is handed out at insert, not at
/// commit, so an entry may become visible after a higher one was announced.
const LOOKBACK: i64 = 64;
/// How often a stream checks that its session or token still holds.
const RECHECK: Duration = Duration::from_secs(30);

struct LiveStream {
    web: Web,
    signed: Signed,
    headers: HeaderMap,
    case: Option<String>,
    position: i64,
    announced: std::collections::BTreeSet<i64>,
    composing: Vec<String>,
    ticks: watch::Receiver<u64>,
    until: tokio::time::Instant,
    recheck: tokio::time::Instant,
}

impl LiveStream {
    /// Whether the caller is still signed in as the same person with the same rights.
    async fn still_signed(&self) -> bool {
        match crate::guard::identify(&self.web, &self.headers, false).await {
            Ok(Some((principal, _))) => principal == self.signed.principal,
            _ => false,
        }
    }

    async fn next_events(&mut self) -> Option<Vec<Event>> {
        loop {
            tokio::select! {
                changed = self.ticks.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(self.recheck) => {
                    if !self.still_signed().await {
                        return None;
                    }
                    self.recheck = tokio::time::Instant::now() + RECHECK;
                    continue;
                }
                () = tokio::time::sleep_until(self.until) => return None,
            }
            let actor = self.signed.actor();
            let mut events = Vec::new();
            let mut from = self.position.saturating_sub(LOOKBACK);
            loop {
                let (entries, position) = match self.web.app.feed_after(&actor, from).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(%error, "live feed: reading entries failed");
                        break;
                    }
                };
                for (entry, number) in entries {
                    if !self.announced.insert(entry) {
                        continue;
                    }
                    if self.case.as_ref().is_some_and(|case| *case != number) {
                        continue;
                    }
                    events.push(
                        Event::default()
                            .event("entry")
                            .id(entry.to_string())
                            .data(json!({ "case": number, "entry": entry }).to_string()),
                    );
                }
                self.position = self.position.max(position);
                if position == from {
                    break;
                }
                from = position;
            }
            let floor = self.position.saturating_sub(LOOKBACK);
            self.announced = self.announced.split_off(&floor);
            if let (Some(case), true) = (&self.case, self.signed.is_staff()) {
                if let Ok(others) = self.web.app.composing(&actor, case, false).await {
                    if others != self.composing {
                        self.composing = others.clone();
                        events.push(
                            Event::default()
                                .event("composing")
                                .data(json!({ "case": case, "names": others }).to_string()),
                        );
                    }
                }
            }
            if !events.is_empty() {
                return Some(events);
            }
        }
    }
}

/// `GET /events[?case=NUMBER]`: `entry` events (`{"case", "entry"}`) for every new timeline entry
/// the caller may see, and on a case page `composing` events (`{"case", "names"}`). The stream
/// ends when its session or token stops holding (checked every 30 s) and after five minutes;
/// the browser then reconnects through the gate.
pub async fn events(
    State(web): State<Web>,
    signed: Signed,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, Failure> {
    let fail = |error| Failure::app(error, signed.lang, Scope::Stream);
    let fields = Fields::query(query);
    let case = match fields.get("case") {
        Some(label) => Some(
            web.app
                .case_show(&signed.actor(), label)
                .await
                .map_err(fail)?
                .summary
                .number,
        ),
        None => None,
    };
    // Subscribed before the position is read, so a commit in between is not missed.
    let ticks = web.hub.subscribe(&web);
    // A reconnecting browser says where it was; otherwise the stream starts now.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let position = match resumed {
        Some(position) => position,
        None => web.app.feed_position().await.map_err(fail)?,
    };
    let now = tokio::time::Instant::now();
    let state = LiveStream {
        web,
        signed,
        headers,
        case,
        position,
        announced: std::collections::BTreeSet::new(),
        composing: Vec::new(),
        ticks,
        until: now + STREAM_LIFETIME,
        recheck: now + RECHECK,
    };
    // The ready event carries the position, so a reconnect resumes from here, not from "now".
    let ready = Event::default()
        .event("ready")
        .id(position.to_string())
        .data("{}")
        .retry(Duration::from_secs(2));
    let ready = stream::once(async move { Ok(ready) });
    let updates = stream::unfold(state, |mut state| async move {
        let events = state.next_events().await?;
        Some((stream::iter(events.into_iter().map(Ok)), state))
    })
    .flatten();
    Ok(Sse::new(ready.chain(updates)).keep_alive(KeepAlive::default()))
}

/// `POST /cases/{number}/composing`: the composer says its writer is typing; the answer names
/// the others writing on the case now (`{"others": [...]}`).
pub async fn composing(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
) -> Response {
    match web.app.composing(&signed.actor(), &number, true).await {
        Ok(others) => (StatusCode::OK, Json(json!({ "others": others }))).into_response(),
        Err(error) => Failure::app(error, signed.lang, Scope::Asset).into_response(),
    }
}

/// The hub for a new router.
pub fn hub() -> Arc<Hub> {
    Arc::new(Hub::default())
}
