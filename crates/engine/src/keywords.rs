//! Keyword matching: normalisation, exact keyword sets and plain-language
//! revocation.
//!
//! # Policy (also in the crate README)
//!
//! 1. Text is *normalised*: full-width forms become ASCII (`ＹＥＳ` → `yes`),
//!    letters are lower-cased, Latin diacritics are folded (`SÍ` → `si`,
//!    `OUI` stays `oui`), apostrophes inside words vanish (`don't` → `dont`),
//!    and everything that is not a letter or digit (punctuation, emoji,
//!    symbols, whitespace of any kind) separates words. Words are joined by one
//!    space. Scripts without case (`はい`) pass through unchanged.
//! 2. A message **is** a keyword when its normalised form equals the
//!    normalised keyword (multi-word keywords such as `OPT OUT` work too).
//!    `"  Yes!! 👍"` is `YES`; `"yes but not now"` is **not**: consent is
//!    never assumed from a sentence. (While Pending such a reply gets an
//!    automatic re-prompt, so the contact simply gets another clear question.)
//! 3. A message that is not a keyword but reads as a **revocation** ("please
//!    stop texting me", "unsubscribe me", "no me escriban más") opts out, like
//!    STOP. Since the FCC's 2024 rule consent may be revoked by any reasonable
//!    means, so this detector errs toward honouring a revocation (e.g. "stop"
//!    as the first or last word counts). Revocation beats everything except an
//!    exact keyword match.
//! 4. **Revocation by any reasonable means** (DESIGN rule 13), for opting
//!    out only: when a message is not an exact keyword, it is read once more
//!    the way it looks on a phone screen — invisible format characters
//!    (zero-width space and joiners, word joiner, soft hyphen, byte-order
//!    mark, direction marks: Unicode category Cf) dropped, Cyrillic and
//!    Greek look-alike letters folded to Latin, and a message made only of
//!    single letters (`S T O P`, `S.T.O.P`, `s-t-o-p`) joined into one word.
//!    If that reading is a stop keyword or a plain-language revocation, the
//!    contact has opted out. That reading never gives consent: acceptance
//!    stays an exact match (property-tested).
//! 5. Everything else is an ordinary message.

use crate::flow::KeywordSet;

/// What an inbound message means to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent<'a> {
    /// The whole message is a keyword of `set`; `keyword` is the flow's
    /// keyword as the admin wrote it (kept for the audit trail).
    Keyword { set: KeywordSet, keyword: &'a str },
    /// Not a keyword, but a plain-language revocation; `phrase` names the
    /// built-in pattern that matched (kept for the audit trail).
    Revocation { phrase: &'static str },
    /// Anything else.
    Other,
}

/// The industry-standard opt-out words (CTIA; the default stop set). Twilio
/// and US carriers act on these themselves before the message reaches us.
pub const STANDARD_STOP_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];

/// Whether the carrier itself treats `text` as an opt-out: the whole
/// message, normalised, is one of [`STANDARD_STOP_WORDS`]. A provider
/// adapter uses this (or the provider's own opt-out flag) to report a
/// [`crate::Event::CarrierOptOut`] instead of an ordinary inbound message.
pub fn is_carrier_opt_out(text: &str) -> bool {
    let n = normalize(text);
    STANDARD_STOP_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(&n))
}

/// Whether `c` is an invisible format character (Unicode general category
/// Cf; a hand-written table of its ranges, no Unicode-data crate).
pub fn is_invisible_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// A Cyrillic or Greek letter that looks like a Latin one, as that Latin
/// letter (lower case). Only for reading revocations.
fn latin_look_alike(c: char) -> Option<char> {
    Some(match c {
        'А' | 'а' | 'Α' | 'α' => 'a',
        'В' | 'в' | 'Β' | 'β' => 'b',
        'С' | 'с' | 'Ϲ' | 'ϲ' => 'c',
        'Ԁ' | 'ԁ' => 'd',
        'Е' | 'е' | 'Ε' | 'ε' => 'e',
        'Н' | 'н' | 'Η' => 'h',
        'І' | 'і' | 'Ι' | 'ι' | 'Ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'К' | 'к' | 'Κ' | 'κ' => 'k',
        'М' | 'м' | 'Μ' => 'm',
        'Ν' | 'п' => 'n',
        'О' | 'о' | 'Ο' | 'ο' | 'σ' => 'o',
        'Р' | 'р' | 'Ρ' | 'ρ' => 'p',
        'Ԛ' | 'ԛ' => 'q',
        'Ѕ' | 'ѕ' => 's',
        'Т' | 'т' | 'Τ' | 'τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' | 'ѵ' => 'v',
        'Ԝ' | 'ԝ' | 'ω' => 'w',
        'Х' | 'х' | 'Χ' | 'χ' => 'x',
        'У' | 'у' | 'Υ' | 'Ү' | 'ү' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// The message as it reads on a phone screen, for revocation only (see
/// policy point 4): invisible characters dropped, look-alikes folded, then
/// normalised; a message of single letters only is joined into one word.
pub fn revocation_reading(text: &str) -> String {
    let visible: String = text
        .chars()
        .filter(|c| !is_invisible_format(*c))
        .map(|c| latin_look_alike(c).unwrap_or(c))
        .collect();
    let n = normalize(&visible);
    if n.contains(' ') && n.split(' ').all(|w| w.chars().count() == 1) {
        n.replace(' ', "")
    } else {
        n
    }
}

/// Normalises `text` (see the module docs) into a new string.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Normalises `text` into `out` (cleared first); lets hot paths reuse a buffer.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    for c in text.chars() {
        // Fast path: ASCII.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c.to_ascii_lowercase());
            } else if c != '\'' {
                pending_space = true;
            }
            continue;
        }
        let c = widen(c);
        if c == '\u{2019}' || c == '\'' || is_combining(c) {
            // Apostrophes join words; combining marks are dropped (folds
            // decomposed accents such as "e\u{301}").
            continue;
        }
        if !c.is_alphanumeric() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        for l in c.to_lowercase() {
            if is_combining(l) {
                continue;
            }
            match fold_latin(l) {
                Some(f) => out.push_str(f),
                None => out.push(l),
            }
        }
    }
}

/// Full-width ASCII (U+FF01..U+FF5E) to ASCII; ideographic space to space.
fn widen(c: char) -> char {
    let u = c as u32;
    if (0xFF01..=0xFF5E).contains(&u) {
        char::from_u32(u - 0xFEE0).unwrap_or(c)
    } else if u == 0x3000 {
        ' '
    } else {
        c
    }
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// Folds common lower-case Latin letters with diacritics to their base letter
/// (a hand-written table: no Unicode-data crate in the wasm bundle).
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

// Word classes for the revocation detector. One `match` per word (compiled
// to length + byte comparisons) instead of scanning lists: this runs on
// every inbound message that is not an exact keyword.
const STOP_VERB: u8 = 1; // "stop": with any messaging word, revokes
const MESSAGING: u8 = 2; // "stop texting", "stop calling me"
const ANYWHERE: u8 = 4; // revokes wherever it appears
const PHRASE_END: u8 = 8; // last word of some entry in PHRASES
const END_VERB: u8 = 16; // "cancel", "end", "quit", "halt": only with a MSG_NOUN
const MSG_NOUN: u8 = 32; // unambiguous words for the messages themselves

fn word_class(w: &str) -> u8 {
    match w {
        "stop" | "stopp" => STOP_VERB,
        "cancel" | "end" | "quit" | "halt" => END_VERB,
        // Unambiguous: the messages themselves ("cancel my subscription").
        "texts" | "messages" => MESSAGING | MSG_NOUN | PHRASE_END,
        "texting" | "txts" | "txting" | "messaging" | "msgs" | "sms" | "spam" | "spamming"
        | "notifications" | "subscription" | "whatsapp" | "alerts" => MESSAGING | MSG_NOUN,
        // Ambiguous (also verbs/objects of ordinary requests): only after "stop".
        "text" | "message" | "contact" | "send" | "me" => MESSAGING | PHRASE_END,
        "txt" | "msg" | "contacting" | "call" | "calls" | "calling" | "sending" | "bothering" => {
            MESSAGING
        }
        "unsubscribe" | "unsub" | "stopall" | "optout" | "revoke" | "desuscribir"
        | "desuscribirme" | "desabonner" | "desinscrire" | "abmelden" | "abbestellen"
        | "descadastrar" | "disiscrivi" | "disiscrivimi" => ANYWHERE,
        "out" | "off" | "these" | "alone" | "escriban" | "escribas" | "manden" | "envien"
        | "baja" | "escribir" | "enviar" | "de" | "recevoir" | "nachrichten" | "schreiben"
        | "receber" | "di" => PHRASE_END,
        _ => 0,
    }
}

/// Contiguous word sequences that revoke wherever they appear. The last word
/// of each must be classed `PHRASE_END` in [`word_class`].
const PHRASES: &[&[&str]] = &[
    &["opt", "out"],
    &["remove", "me"],
    &["take", "me", "off"],
    &["dont", "text"],
    &["do", "not", "text"],
    &["dont", "message"],
    &["do", "not", "message"],
    &["dont", "contact"],
    &["do", "not", "contact"],
    &["dont", "send"],
    &["do", "not", "send"],
    &["dont", "want", "these"],
    &["no", "more", "texts"],
    &["no", "more", "text"],
    &["no", "more", "messages"],
    &["leave", "me", "alone"],
    // Spanish
    &["no", "me", "escriban"],
    &["no", "me", "escribas"],
    &["no", "me", "manden"],
    &["no", "me", "envien"],
    &["dar", "de", "baja"],
    &["darme", "de", "baja"],
    &["dejen", "de", "escribir"],
    &["deja", "de", "escribir"],
    &["dejen", "de", "enviar"],
    // French
    &["arretez", "de"],
    &["arrete", "de"],
    &["ne", "plus", "recevoir"],
    &["me", "desabonner"],
    // German
    &["keine", "nachrichten"],
    &["nicht", "mehr", "schreiben"],
    // Portuguese
    &["pare", "de"],
    &["parem", "de"],
    &["nao", "quero", "receber"],
    // Italian
    &["smetti", "di"],
    &["smettete", "di"],
];

/// How far after a stop verb a messaging word may appear ("stop sending me
/// these" → within 3 words).
const VERB_REACH: usize = 3;

/// Detects a plain-language revocation in already-normalised text. Returns
/// the name of the matched pattern.
pub fn detect_revocation(normalized: &str) -> Option<&'static str> {
    if normalized.is_empty() {
        return None;
    }
    // Bounded look-back window instead of collecting all words: keeps this
    // allocation-free. Phrases are at most 3 words and verbs reach 3 ahead.
    let mut window: [&str; 4] = [""; 4];
    let mut count = 0usize;
    let mut first: &str = "";
    let mut last: &str = "";
    // Verb classes of the last VERB_REACH words before the current one.
    let mut verb_recent = [0u8; VERB_REACH];
    for (i, w) in normalized.split(' ').enumerate() {
        if i == 0 {
            first = w;
        }
        last = w;
        let class = word_class(w);
        if class & ANYWHERE != 0 {
            return Some("revocation_word");
        }
        // Shift the window (4 slots; cheaper than rotate_left).
        window = [window[1], window[2], window[3], w];
        count += 1;
        if class & PHRASE_END != 0 {
            let have = count.min(4);
            let recent = &window[4 - have..];
            for p in PHRASES {
                if p.len() <= recent.len() && recent[recent.len() - p.len()..] == **p {
                    return Some("revocation_phrase");
                }
            }
        }
        let verbs = verb_recent[0] | verb_recent[1] | verb_recent[2];
        if (class & MESSAGING != 0 && verbs & STOP_VERB != 0)
            || (class & MSG_NOUN != 0 && verbs & END_VERB != 0)
        {
            return Some("stop_verb_with_object");
        }
        verb_recent = [
            verb_recent[1],
            verb_recent[2],
            class & (STOP_VERB | END_VERB),
        ];
    }
    if first == "stop" || last == "stop" {
        return Some("stop_first_or_last");
    }
    None
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_ends_with_a_phrase_end_word() {
        for p in PHRASES {
            let last = p[p.len() - 1];
            assert!(word_class(last) & (PHRASE_END | ANYWHERE) != 0, "{last:?}");
        }
    }
}
