//! Where quoted earlier text begins in a reply, so the timeline can fold it.
//!
//! Clients quote in their own styles, and a support desk in China, Taiwan, Japan and Korea meets
//! many of them (issue 7):
//! - a header block, two or more fields in order, in the client's language, with ASCII or
//!   fullwidth colons (Outlook in every language, Foxmail, NetEase, QQ Mail and Exmail, Alimail
//!   and DingTalk, Sina, Sohu, Coremail, Lotus Notes, Kylin and UOS mail):
//!   `发件人: … 发送时间: …`, `寄件者: … 寄件日期: …`, `差出人: … 送信日時: …`,
//!   `보낸 사람: … 보낸 날짜: …`, `Von: … Gesendet: …`, `De : … Envoyé : …`, `Från: … Skickat: …`;
//! - a separator line (`-----原始邮件-----`, `-------- 原始郵件 --------`,
//!   `-----Original Message-----`, `-------- 転送メッセージ --------`);
//! - a dated attribution (Gmail, Apple Mail, Thunderbird and Notes in every locale):
//!   `On … wrote:`, `在 2021年3月15日 下午5:05，… 写道：`, `2021年3月15日(月) 17:05 … <a@b>:`,
//!   `2021년 3월 15일 (월) 오후 5:05, …님이 작성:`, `… 写于 2021/03/15 17:05:`;
//! - lines starting with `>`.
//!
//! New text is never hidden: a reply written below the quote or between quoted lines folds
//! nothing above its last new line, and a line that merely resembles an attribution (one field
//! alone, no date, no colon) does not split the message.

/// Header block fields, by what they say: the From field starts a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    From,
    Other,
}

/// Field labels, lower-case (ASCII letters only are folded), without their colon.
const FIELDS: &[(&str, Field)] = &[
    ("from", Field::From),
    ("发件人", Field::From),
    ("寄件者", Field::From),
    ("寄件人", Field::From),
    ("发信人", Field::From),
    ("差出人", Field::From),
    ("送信者", Field::From),
    ("보낸 사람", Field::From),
    ("보낸사람", Field::From),
    ("von", Field::From),
    ("de", Field::From),
    ("från", Field::From),
    ("fra", Field::From),
    ("lähettäjä", Field::From),
    ("afzender", Field::From),
    ("da", Field::From),
    ("sent", Field::Other),
    ("send time", Field::Other),
    ("sent time", Field::Other),
    ("date", Field::Other),
    ("发送时间", Field::Other),
    ("发送日期", Field::Other),
    ("时间", Field::Other),
    ("日期", Field::Other),
    ("日　期", Field::Other),
    ("寄件日期", Field::Other),
    ("傳送時間", Field::Other),
    ("送信日時", Field::Other),
    ("日付", Field::Other),
    ("日時", Field::Other),
    ("보낸 날짜", Field::Other),
    ("보낸날짜", Field::Other),
    ("날짜", Field::Other),
    ("gesendet", Field::Other),
    ("datum", Field::Other),
    ("envoyé", Field::Other),
    ("skickat", Field::Other),
    ("sendt", Field::Other),
    ("dato", Field::Other),
    ("lähetetty", Field::Other),
    ("päivämäärä", Field::Other),
    ("verzonden", Field::Other),
    ("inviato", Field::Other),
    ("to", Field::Other),
    ("收件人", Field::Other),
    ("收件者", Field::Other),
    ("宛先", Field::Other),
    ("받는 사람", Field::Other),
    ("받는사람", Field::Other),
    ("an", Field::Other),
    ("à", Field::Other),
    ("till", Field::Other),
    ("til", Field::Other),
    ("vastaanottaja", Field::Other),
    ("aan", Field::Other),
    ("a", Field::Other),
    ("cc", Field::Other),
    ("抄送", Field::Other),
    ("副本", Field::Other),
    ("抄送人", Field::Other),
    ("참조", Field::Other),
    ("kopie", Field::Other),
    ("kopia", Field::Other),
    ("kopio", Field::Other),
    ("subject", Field::Other),
    ("主题", Field::Other),
    ("主　题", Field::Other),
    ("主 题", Field::Other),
    ("主旨", Field::Other),
    ("标题", Field::Other),
    ("件名", Field::Other),
    ("제목", Field::Other),
    ("betreff", Field::Other),
    ("objet", Field::Other),
    ("ämne", Field::Other),
    ("emne", Field::Other),
    ("aihe", Field::Other),
    ("onderwerp", Field::Other),
    ("oggetto", Field::Other),
];

/// The field a line starts with (`From:`, `**发件人：**`, `De :`), if any.
fn field_of(line: &str) -> Option<Field> {
    let lower = line
        .trim_start_matches(|c: char| c.is_whitespace() || c == '*' || c == '>')
        .to_ascii_lowercase();
    FIELDS.iter().find_map(|(label, field)| {
        let rest = lower.strip_prefix(label)?;
        let rest = rest.trim_start_matches([' ', '\t', '\u{a0}', '\u{3000}', '*']);
        (rest.starts_with(':') || rest.starts_with('：')).then_some(*field)
    })
}

/// Separator phrases, lower-case, as they stand between dashes (or alone on their line).
const SEPARATORS: &[&str] = &[
    "original message",
    "original messages",
    "原始邮件",
    "原始郵件",
    "原始邮件信息",
    "邮件原件",
    "原邮件",
    "回复的原邮件",
    "转发邮件",
    "转发的邮件",
    "轉寄郵件",
    "原始訊息",
    "転送メッセージ",
    "元のメッセージ",
    "オリジナルメッセージ",
    "원본 메시지",
    "전달된 메시지",
    "ursprüngliche nachricht",
    "weitergeleitete nachricht",
    "message d'origine",
    "message transféré",
    "originalmeddelande",
    "vidarebefordrat meddelande",
    "opprinnelig melding",
    "videresendt melding",
    "oprindelig meddelelse",
    "videresendt meddelelse",
    "alkuperäinen viesti",
    "oorspronkelijk bericht",
    "original appointment",
    "forwarded message",
];
/// Phrases that are a separator only between dashes (alone they are ordinary words).
const DASHED_ONLY: &[&str] = &["original", "reply message", "replied message"];

fn is_separator(line: &str) -> bool {
    // Exmail writes `&nbsp;` into its plain text as it is.
    let trimmed = line.trim().to_lowercase().replace("&nbsp;", " ");
    let inner = trimmed
        .trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c.is_whitespace())
        .trim();
    if inner.is_empty() {
        return false;
    }
    let dashed = trimmed.starts_with("--") && trimmed.ends_with("--");
    SEPARATORS.contains(&inner) || (dashed && DASHED_ONLY.contains(&inner))
}

/// A rule line that Outlook puts above its header block (`________________________________`).
fn is_rule(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.chars().count() >= 10 && trimmed.chars().all(|c| c == '_' || c == '-')
}

/// Endings of a dated attribution, lower-case.
const ATTRIBUTION_ENDINGS: &[&str] = &[
    "wrote:",
    "写道：",
    "写道:",
    "寫道：",
    "寫道:",
    "書きました:",
    "書きました：",
    "のメール:",
    "のメール：",
    "작성:",
    "작성：",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "skrev:",
    "kirjoitti:",
    "schreef:",
    "ha scritto:",
    "escribió:",
    "napisał:",
    "написал:",
    "написала:",
];

/// Words of a Notes attribution (`… 写于 2021/03/15 17:05:`), which ends with the time's colon.
const NOTES_WORDS: &[&str] = &["写于", "寫於", " wrote on ", " schrieb am "];

fn is_attribution(line: &str) -> bool {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    let dated = trimmed.chars().any(|c| c.is_ascii_digit());
    let ends_with_colon = trimmed.ends_with(':') || trimmed.ends_with('：');
    (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (dated && ATTRIBUTION_ENDINGS.iter().any(|ending| lower.ends_with(ending)))
        || (dated && ends_with_colon && NOTES_WORDS.iter().any(|word| lower.contains(word)))
        // Gmail in Japanese and older Chinese: a date first, the sender's address, a colon.
        || (ends_with_colon
            && trimmed.starts_with(|c: char| c.is_ascii_digit())
            && trimmed.contains('@')
            && trimmed.chars().count() < 200)
}

/// An attribution that a client folded over two lines ("02.04.2012 14:20 … <" then "bob@… написал:").
fn is_folded_attribution(previous: &str, line: &str) -> bool {
    let previous = previous.trim();
    if previous.is_empty() || is_attribution(previous) {
        return false;
    }
    // A line that is an attribution alone takes the line above only when that is the date's
    // beginning ("2021년 3월 15일" then "(월) 오후 5:05, …님이 작성:").
    if is_attribution(line)
        && !(previous.starts_with(|c: char| c.is_ascii_digit()) && previous.chars().count() <= 20)
    {
        return false;
    }
    let joined = format!("{previous} {}", line.trim());
    let starts_like_one = previous.to_lowercase().starts_with("on ")
        || previous.starts_with('在')
        || previous.starts_with(|c: char| c.is_ascii_digit());
    starts_like_one && is_attribution(&joined)
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// How a quote begins, which tells what may follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// A header block or separator: everything below is the earlier message.
    Block,
    /// An attribution or a `>` line: what follows is quoted only while it is `>` lines, unless
    /// nothing is `>`-quoted at all (an HTML quote made text).
    Marked,
}

/// The first quote start at or after line `from`: (line index, how it starts).
fn next_start(lines: &[(usize, &str)], from: usize) -> Option<(usize, Start)> {
    let line_at = |index: usize| lines.get(index).map_or("", |(_, line)| *line);
    for index in from..lines.len() {
        let line = line_at(index);
        if line.trim().is_empty() {
            continue;
        }
        if index > from && is_folded_attribution(line_at(index - 1), line) {
            return Some((index - 1, Start::Marked));
        }
        if is_separator(line) {
            return Some((index, Start::Block));
        }
        if is_attribution(line) {
            return Some((index, Start::Marked));
        }
        if field_of(line) == Some(Field::From) {
            let next_fields = (index + 1..lines.len())
                .map(line_at)
                .filter(|next| !next.trim().is_empty())
                .take(5)
                .take_while(|next| field_of(next).is_some())
                .filter(|next| field_of(next) == Some(Field::Other))
                .count();
            if next_fields >= 1 {
                // The rule line Outlook draws above the block belongs to the quote.
                let above = (0..index)
                    .rev()
                    .map(|i| (i, line_at(i)))
                    .find(|(_, above)| !above.trim().is_empty());
                return Some(match above {
                    Some((rule, above)) if rule >= from && is_rule(above) => (rule, Start::Block),
                    _ => (index, Start::Block),
                });
            }
        }
        if is_quoted(line) {
            return Some((index, Start::Marked));
        }
    }
    None
}

/// Returns the byte offset in `body` where quoted history begins, if it has any.
///
/// The offset is a byte offset into the UTF-8 text, at the start of a line.
pub fn quoted_from(body: &str) -> Option<usize> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches(['\r', '\n'])));
        offset += line.len();
    }
    let mut from = 0;
    while let Some((start, how)) = next_start(&lines, from) {
        if how == Start::Block {
            return lines.get(start).map(|(offset, _)| *offset);
        }
        // After an attribution, the first line with text: a quoted one, or the quote as text.
        let start_line = lines.get(start).map_or("", |(_, line)| *line);
        let attribution_lines = if is_quoted(start_line) {
            0
        } else if is_attribution_pair(&lines, start) {
            2
        } else {
            1
        };
        let marked_by_quotes = match lines
            .iter()
            .skip(start + attribution_lines)
            .find(|(_, line)| !line.trim().is_empty())
        {
            Some((_, line)) => is_quoted(line),
            None => return lines.get(start).map(|(offset, _)| *offset),
        };
        if !marked_by_quotes {
            // The quote is not marked line by line (an HTML quote made text): all of it below.
            return lines.get(start).map(|(offset, _)| *offset);
        }
        // New text after the quoted lines (a bottom-posted or inline reply) is not folded:
        // look again after the last line the sender wrote.
        let last_new = lines
            .iter()
            .enumerate()
            .skip(start + attribution_lines.max(1))
            .filter(|(_, (_, line))| {
                !line.trim().is_empty()
                    && !is_quoted(line)
                    && !is_attribution(line)
                    && !is_separator(line)
            })
            .map(|(index, _)| index)
            .next_back();
        match last_new {
            None => return lines.get(start).map(|(offset, _)| *offset),
            Some(index) => from = index + 1,
        }
    }
    None
}

/// Whether the attribution at `start` was folded over two lines (its second line is not new text).
fn is_attribution_pair(lines: &[(usize, &str)], start: usize) -> bool {
    match (lines.get(start), lines.get(start + 1)) {
        (Some((_, first)), Some((_, second))) => is_folded_attribution(first, second),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::quoted_from;

    fn check(body: &str, expected_rest: Option<&str>) {
        let found = quoted_from(body).map(|offset| &body[offset..]);
        assert_eq!(
            found.map(|rest| rest.lines().next().unwrap_or("")),
            expected_rest,
            "{body}"
        );
    }

    #[test]
    fn quote_styles() {
        check(
            "Thanks\n\nOn Mon, 1 Mar 2021 Li Qi <liqi@cmgos.com> wrote:\n> hello\n",
            Some("On Mon, 1 Mar 2021 Li Qi <liqi@cmgos.com> wrote:"),
        );
        check(
            "收到\n\n发件人: Li Qi <liqi@cmgos.com>\n发送时间: 2021年3月5日 17:05\n收件人: x\n",
            Some("发件人: Li Qi <liqi@cmgos.com>"),
        );
        check("ok\r\nFrom: Li Qi\r\nSent: Friday\r\n", Some("From: Li Qi"));
        check(
            "好的\n------------------ 原始邮件 ------------------\n发件人: x\n",
            Some("------------------ 原始邮件 ------------------"),
        );
        check(
            "好的\n在 2021年3月5日 17:05，Li Qi 写道：\n> 你好\n",
            Some("在 2021年3月5日 17:05，Li Qi 写道："),
        );
        check("see below\n> quoted\n", Some("> quoted"));
        check(
            "Hello\n02.04.2012 14:20 пользователь \"bob\" <\nbob@example.com> написал:\n> hi\n",
            Some("02.04.2012 14:20 пользователь \"bob\" <"),
        );
        check(
            "-----Original Message-----\nFrom: a\n",
            Some("-----Original Message-----"),
        );
        check(
            "ok\n________________________________\n差出人: Li Qi\n送信日時: 2021年3月15日 17:05\n",
            Some("________________________________"),
        );
        check(
            "네\n\n2021년 3월 15일 (월) 오후 5:05, Li Qi <liqi@cmgos.com>님이 작성:\n> 안녕\n",
            Some("2021년 3월 15일 (월) 오후 5:05, Li Qi <liqi@cmgos.com>님이 작성:"),
        );
        check("From: the logs we see\nnothing else\n", None);
        check("发件人说明天再试\n收件人也同意\n", None);
        check("plain text\nwith lines\n", None);
        check("", None);
    }

    #[test]
    fn new_text_is_never_folded() {
        check(
            "On Mon, 1 Mar 2021 Li Qi <liqi@cmgos.com> wrote:\n> hello\n> there\n\nMy answer below.\n",
            None,
        );
        check(
            "> question one\nanswer one\n> question two\nanswer two\n",
            None,
        );
        check(
            "> question one\nanswer one\n> question two\n> rest of the quote\n",
            Some("> question two"),
        );
        check("He wrote:\nthe log says nothing\n", None);
    }
}
