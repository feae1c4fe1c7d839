//! Where quoted earlier text begins in a reply, so the timeline can fold it.
//!
//! Clients quote in their own styles: Outlook puts a header block
//! (`From: … Sent: …`, `发件人: … 发送时间: …`, `寄件者: …`), Foxmail a
//! `------------------ 原始邮件 ------------------` line, Coremail
//! `在 … 写道：`, Gmail, Thunderbird and Apple Mail `On … wrote:` then `>` lines.

const SEPARATORS: &[&str] = &[
    "-----original message-----",
    "----- original message -----",
    "-----原始邮件-----",
    "原始邮件",
    "-----邮件原件-----",
    "-----original appointment-----",
    "----- forwarded message -----",
    "---------- forwarded message ---------",
];

const FROM_LABELS: &[&str] = &[
    "from:",
    "发件人:",
    "发件人：",
    "寄件者:",
    "寄件者：",
    "von:",
    "de :",
    "de:",
];
const SENT_LABELS: &[&str] = &[
    "sent:",
    "date:",
    "发送时间:",
    "发送时间：",
    "时间:",
    "时间：",
    "寄件日期:",
    "寄件日期：",
    "日期:",
    "日期：",
    "gesendet:",
    "envoyé :",
];

fn starts_with_any(line: &str, labels: &[&str]) -> bool {
    let lower = line.trim_start().trim_start_matches('*').to_lowercase();
    labels.iter().any(|label| lower.starts_with(label))
}

const ATTRIBUTION_ENDINGS: &[&str] = &[
    "wrote:",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "написал:",
    "написала:",
    "napisał:",
    "escribió:",
    "ha scritto:",
];

fn is_attribution(line: &str) -> bool {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (trimmed.starts_with('在')
            && (trimmed.ends_with("写道：") || trimmed.ends_with("写道:")))
        || ATTRIBUTION_ENDINGS[1..]
            .iter()
            .any(|ending| lower.ends_with(ending))
}

/// An attribution that a client folded over two lines ("02.04.2012 14:20 … <" then "bob@… написал:").
fn is_folded_attribution(previous: &str, line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let previous = previous.trim_start();
    let starts_like_one = previous.to_lowercase().starts_with("on ")
        || previous.starts_with(|c: char| c.is_ascii_digit());
    ATTRIBUTION_ENDINGS
        .iter()
        .any(|ending| lower.ends_with(ending))
        && starts_like_one
}

/// Returns the byte offset in `body` where quoted history begins, if it has any.
pub fn quoted_from(body: &str) -> Option<usize> {
    let mut offsets = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        offsets.push((offset, line.trim_end_matches(['\r', '\n'])));
        offset += line.len();
    }
    for (index, (start, line)) in offsets.iter().enumerate() {
        let lower = line.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        if index > 0
            && offsets
                .get(index - 1)
                .is_some_and(|(_, previous)| is_folded_attribution(previous, line))
        {
            return offsets.get(index - 1).map(|(start, _)| *start);
        }
        if SEPARATORS
            .iter()
            .any(|separator| lower.trim_matches('-').trim() == separator.trim_matches('-').trim())
            || is_attribution(line)
        {
            return Some(*start);
        }
        if starts_with_any(line, FROM_LABELS)
            && offsets
                .iter()
                .skip(index + 1)
                .take(4)
                .any(|(_, next)| starts_with_any(next, SENT_LABELS))
        {
            return Some(*start);
        }
        if line.trim_start().starts_with('>') {
            // A quote block with no attribution: it starts here, unless nothing but quotes follows a blank start.
            return Some(*start);
        }
    }
    None
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
        check("From: the logs we see\nnothing else\n", None);
        check("plain text\nwith lines\n", None);
        check("", None);
    }
}
