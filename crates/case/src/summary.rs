//! Written summaries: what a case needs to be archived or resolved.
//!
//! The seed case was archived with an email whose body had two headed
//! sections, `问题描述：` (problem description) and `案例总结：` (case summary),
//! each underlined with `----`. [`Summary::parse`] reads that form, in Chinese
//! or English headings, so an engineer can hand the same text to
//! `casebook case status … --summary-file`.

use serde::{Deserialize, Serialize};

/// The sections of a written summary; each is optional until a transition asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// What the partner reported (问题描述).
    pub problem: Option<String>,
    /// What was done and where the case stands (案例总结).
    pub summary: Option<String>,
    /// Why the problem happened (根本原因).
    pub root_cause: Option<String>,
    /// What fixed it (解决方案).
    pub resolution: Option<String>,
}

/// A section of a written summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// 问题描述, problem description.
    Problem,
    /// 案例总结, case summary.
    Summary,
    /// 根本原因, root cause.
    RootCause,
    /// 解决方案, resolution.
    Resolution,
}

impl Section {
    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Problem => "problem",
            Section::Summary => "summary",
            Section::RootCause => "root_cause",
            Section::Resolution => "resolution",
        }
    }

    /// The heading as the seed writes it.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Problem => "问题描述",
            Section::Summary => "案例总结",
            Section::RootCause => "根本原因",
            Section::Resolution => "解决方案",
        }
    }
}

/// A summary text that cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// A section heading appears twice: which text counts would be a guess.
    #[error("the section {} appears more than once; keep one", .0.heading())]
    Repeated(Section),
}

const HEADINGS: &[(&str, Section)] = &[
    ("问题描述", Section::Problem),
    ("problem description", Section::Problem),
    ("problem", Section::Problem),
    ("案例总结", Section::Summary),
    ("case summary", Section::Summary),
    ("summary", Section::Summary),
    ("根本原因", Section::RootCause),
    ("根因", Section::RootCause),
    ("root cause", Section::RootCause),
    ("解决方案", Section::Resolution),
    ("解决方法", Section::Resolution),
    ("resolution", Section::Resolution),
];

fn heading(line: &str) -> Option<(Section, &str)> {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    HEADINGS.iter().find_map(|(name, section)| {
        let rest = lower.strip_prefix(name)?;
        let rest = rest.trim_start();
        let after_colon = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
        // The same offset in the original line: headings are ASCII-lowercase-stable or CJK.
        let offset = trimmed.len() - after_colon.len();
        Some((*section, trimmed.get(offset..).unwrap_or("").trim()))
    })
}

impl Summary {
    /// Reads a summary written with headed sections; text before the first heading is ignored, and
    /// so is a byte-order mark (Windows Notepad writes one). A repeated section is refused.
    pub fn read(text: &str) -> Result<Summary, SummaryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut seen = Vec::new();
        for line in text.lines() {
            if let Some((section, _)) = heading(line) {
                if seen.contains(&section) {
                    return Err(SummaryError::Repeated(section));
                }
                seen.push(section);
            }
        }
        Ok(Summary::parse(text))
    }

    /// Reads a summary written with headed sections; text before the first heading is ignored, and a
    /// repeated section's last text counts ([`Summary::read`] refuses it instead).
    pub fn parse(text: &str) -> Summary {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut summary = Summary::default();
        let mut current: Option<(Section, Vec<&str>)> = None;
        let flush = |summary: &mut Summary, current: Option<(Section, Vec<&str>)>| {
            let Some((section, lines)) = current else {
                return;
            };
            let body = lines.join("\n").trim().to_string();
            if body.is_empty() {
                return;
            }
            let slot = match section {
                Section::Problem => &mut summary.problem,
                Section::Summary => &mut summary.summary,
                Section::RootCause => &mut summary.root_cause,
                Section::Resolution => &mut summary.resolution,
            };
            *slot = Some(body);
        };
        for line in text.lines() {
            if let Some((section, inline)) = heading(line) {
                flush(&mut summary, current.take());
                current = Some((
                    section,
                    if inline.is_empty() {
                        vec![]
                    } else {
                        vec![inline]
                    },
                ));
            } else if let Some((_, lines)) = current.as_mut() {
                let is_rule =
                    !line.trim().is_empty() && line.trim().chars().all(|c| c == '-' || c == '=');
                if !(is_rule && lines.is_empty()) {
                    lines.push(line);
                }
            }
        }
        flush(&mut summary, current);
        summary
    }

    /// The sections a transition to archive (`archive` true) or resolve needs that this summary lacks
    /// or leaves empty.
    pub fn missing(&self, archive: bool) -> Vec<Section> {
        let wanted: [(Section, &Option<String>); 2] = if archive {
            [
                (Section::Problem, &self.problem),
                (Section::Summary, &self.summary),
            ]
        } else {
            [
                (Section::RootCause, &self.root_cause),
                (Section::Resolution, &self.resolution),
            ]
        };
        wanted
            .into_iter()
            .filter(|(_, text)| text.is_none())
            .map(|(section, _)| section)
            .collect()
    }

    /// Whether this summary is enough to archive: a problem description and a case summary.
    pub fn is_archive_summary(&self) -> bool {
        self.problem.is_some() && self.summary.is_some()
    }

    /// Whether this summary is enough to resolve: a root cause and a resolution.
    pub fn is_resolution(&self) -> bool {
        self.root_cause.is_some() && self.resolution.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_archive_summary() {
        let text = "\
Case No：CAS-03865-H7P3F1
问题描述：
----
用户反馈Acer定制的V2020-L OS，更新至17763.1757后重置失败。
案例总结： 
----
经测试分析，与用户定制镜像有关。
";
        let summary = Summary::parse(text);
        assert_eq!(
            summary.problem.as_deref(),
            Some("用户反馈Acer定制的V2020-L OS，更新至17763.1757后重置失败。")
        );
        assert_eq!(
            summary.summary.as_deref(),
            Some("经测试分析，与用户定制镜像有关。")
        );
        assert!(summary.is_archive_summary());
        assert!(!summary.is_resolution());
    }

    #[test]
    fn english_inline_sections() {
        let summary = Summary::parse(
            "Root cause: NTUSER.DAT was locked\nResolution:\nfixed the usmt.ppkg step\n",
        );
        assert_eq!(summary.root_cause.as_deref(), Some("NTUSER.DAT was locked"));
        assert_eq!(
            summary.resolution.as_deref(),
            Some("fixed the usmt.ppkg step")
        );
        assert!(summary.is_resolution());
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let summary =
            Summary::read("\u{feff}问题描述：\n----\n重置失败\n案例总结：\n----\n等待镜像\n")
                .unwrap();
        assert!(summary.is_archive_summary(), "{summary:?}");
    }

    #[test]
    fn a_repeated_section_is_refused() {
        assert_eq!(
            Summary::read("问题描述：a\n问题描述：b\n案例总结：c\n"),
            Err(SummaryError::Repeated(Section::Problem))
        );
    }

    #[test]
    fn missing_sections_are_named() {
        let summary = Summary::read("问题描述：\n----\n重置失败\n案例总结：\n").unwrap();
        assert_eq!(summary.missing(true), vec![Section::Summary]);
        assert_eq!(
            summary.missing(false),
            vec![Section::RootCause, Section::Resolution]
        );
    }

    #[test]
    fn empty_sections_do_not_count() {
        let summary = Summary::parse("问题描述：\n----\n案例总结：\n");
        assert_eq!(summary, Summary::default());
        assert!(!Summary::parse("just some text").is_archive_summary());
    }
}
