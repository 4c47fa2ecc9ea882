//! Mutated RON never panics the parser, the checker or the sweep design.
//!
//! The project's own scenario, run and sweep files are mutated (bytes cut,
//! swapped, duplicated, inserted; tokens and lines cut, duplicated, swapped;
//! field and other names renamed to a near miss or to another real name;
//! numbers replaced by extreme values) and fed through the path the command
//! line takes: `parse_ron` as the command's file kind (and as the kind
//! `validate` sniffs), then `check_run` with the run's `set` list applied to
//! its model and `check_scenario`, or the sweep's `design::plan` with every
//! axis value to check applied to the base scenario. Every input gives `Ok`
//! or a typed error, never a panic; a parse error's line and column lie
//! within the text. Mutated small scenarios and runs that check out are
//! built and run for a few weeks.
//!
//! The suite tries `SUITE_CASES` inputs from a fixed seed. The long version
//! keeps going after a panic and lists every distinct panic site:
//!
//! ```text
//! CHOKEPOINT_MUTATION_CASES=200000 cargo test --test tests mutated_ron_long -- --ignored --nocapture
//! ```
//!
//! (`CHOKEPOINT_MUTATION_SEED` picks another seed.)

use crate::common::*;
use chokepoint::config::{self, RunConfig, Scenario, SweepConfig, ValidScenario};
use chokepoint::sim::Simulation;
use chokepoint::sweep::design;
use chokepoint::validate::{self, FileKind};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

const SUITE_CASES: u32 = 2_500;
const SEED: u64 = 10;
/// Weeks a mutated scenario or run that checks out is run for in the suite
/// (the long version runs a run file's own weeks, up to `LONG_WEEKS`).
const BUILD_WEEKS: u32 = 3;
const LONG_WEEKS: u32 = 104;
/// Larger worlds (a mutated population count) are checked, not built.
const MAX_BUILD_FIRMS: u64 = 5_000;

/// Values a number is replaced by: bounds, signs, non-finite numbers as RON
/// spells them, subnormals, integers past every width, floats where an
/// integer goes and integer spellings where a float goes.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.0",
    "-0.0",
    "1.0",
    "0.5",
    "104.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "5e-324",
    "1e-320",
    "2.2250738585072014e-308",
    "NaN",
    "inf",
    "-inf",
    "+inf",
    "0.9999999999999999",
    "1.0000000000000002",
    "255",
    "256",
    "5200",
    "5201",
    "10000",
    "10001",
    "65536",
    "65537",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "1e3",
    "1_000",
    "0x10",
    "0b101",
    "0o17",
    ".5",
    "1.",
    "+1",
    "--1",
    "1e",
    "00",
    "+262142",
    "-262143",
];

/// Text inserted as a whole: RON syntax, extensions, escapes and bytes that
/// are not ASCII (a whole character, half of one, or none at all).
const SNIPPETS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "::",
    "\"",
    "'",
    "\\",
    "//",
    "/*",
    "*/",
    "\n",
    "\r",
    "\t",
    "#![enable(implicit_some)]",
    "#![enable(unwrap_newtypes)]",
    "#![enable(unwrap_variant_newtypes)]",
    "Some(",
    "None",
    "r#\"",
    "b\"",
    "b'a'",
    "'\\u{10FFFF}'",
    "\"\\u{D800}\"",
    "()",
    "true",
    "1e308",
    "NaN",
    "-",
    ".",
    "e",
    "_",
    "\0",
    "é",
    "\u{feff}",
    "\u{2028}",
    "𝄞",
];

#[derive(Debug, Clone)]
enum Rename {
    /// A typo: kind of typo and where in the name.
    NearMiss(u8, Index),
    /// Another name from the project's files.
    Other(Index),
}

#[derive(Debug, Clone)]
enum Mutation {
    CutBytes(Index, usize),
    SwapBytes(Index, Index),
    DupBytes(Index, usize),
    InsertByte(Index, u8),
    InsertText(Index, &'static str),
    Truncate(Index),
    CutToken(Index),
    DupToken(Index),
    SwapTokens(Index, Index),
    CutLines(Index, usize),
    DupLines(Index, usize),
    SwapLines(Index, Index),
    RenameField(Index, Rename),
    RenameName(Index, Rename),
    Number(Index, &'static str),
}

fn rename() -> impl Strategy<Value = Rename> {
    prop_oneof![
        (any::<u8>(), any::<Index>()).prop_map(|(k, i)| Rename::NearMiss(k, i)),
        any::<Index>().prop_map(Rename::Other),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<Index>;
    prop_oneof![
        3 => (at(), 1..16usize).prop_map(|(a, n)| Mutation::CutBytes(a, n)),
        2 => (at(), at()).prop_map(|(a, b)| Mutation::SwapBytes(a, b)),
        2 => (at(), 1..32usize).prop_map(|(a, n)| Mutation::DupBytes(a, n)),
        1 => (at(), any::<u8>()).prop_map(|(a, b)| Mutation::InsertByte(a, b)),
        3 => (at(), proptest::sample::select(SNIPPETS)).prop_map(|(a, s)| Mutation::InsertText(a, s)),
        1 => at().prop_map(Mutation::Truncate),
        2 => at().prop_map(Mutation::CutToken),
        2 => at().prop_map(Mutation::DupToken),
        1 => (at(), at()).prop_map(|(a, b)| Mutation::SwapTokens(a, b)),
        2 => (at(), 1..4usize).prop_map(|(a, n)| Mutation::CutLines(a, n)),
        2 => (at(), 1..4usize).prop_map(|(a, n)| Mutation::DupLines(a, n)),
        1 => (at(), at()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (at(), rename()).prop_map(|(a, r)| Mutation::RenameField(a, r)),
        2 => (at(), rename()).prop_map(|(a, r)| Mutation::RenameName(a, r)),
        6 => (at(), proptest::sample::select(EXTREMES)).prop_map(|(a, v)| Mutation::Number(a, v)),
    ]
}

/// Mutations that mostly keep the text valid RON, so the checker sees it.
fn value_mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<Index>;
    prop_oneof![
        4 => (at(), proptest::sample::select(EXTREMES)).prop_map(|(a, v)| Mutation::Number(a, v)),
        1 => (at(), rename()).prop_map(|(a, r)| Mutation::RenameField(a, r)),
    ]
}

/// Which source file (by weight) and what is done to it: half the inputs
/// get any mutations, half only new numbers and field names.
fn input() -> impl Strategy<Value = (u32, Vec<Mutation>)> {
    let vec = prop::collection::vec;
    (
        0..corpus().total_weight,
        prop_oneof![
            vec(mutation().boxed(), 1..=3),
            vec(value_mutation().boxed(), 1..=4)
        ],
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Base {
    Small,
    Baseline,
}

struct Source {
    path: PathBuf,
    kind: FileKind,
    /// The scenario a run's `set` or a sweep's axes apply to.
    base: Base,
    weight: u32,
    text: Vec<u8>,
}

struct Corpus {
    sources: Vec<Source>,
    total_weight: u32,
    /// Every field name of the project's files (`name:`), sorted.
    fields: Vec<String>,
    /// Every other name (types, variants, `Some`, `true`, names inside
    /// strings), sorted.
    names: Vec<String>,
    small: Scenario,
    baseline: Scenario,
}

/// A run file that spells out every field, so each one gets mutated.
const FULL_RUN: &str = r#"RunConfig(
    model: "small.ron",
    weeks: 40,
    start_date: "2025-04-04",
    seed: 7,
    out: Some("out/full"),
    threads: 1,
    set: ["negotiation.deadline_weeks=12.0", "states.CN.preferences.concession=Linear"],
)
"#;

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        use Base::*;
        use FileKind::*;
        // small files weigh more: parsing the baseline costs several times as much
        let files: [(&str, FileKind, Base, u32); 10] = [
            ("tests/data/small.ron", Scenario, Small, 30),
            ("models/baseline_2025.ron", Scenario, Baseline, 8),
            ("tests/data/small_run.ron", Run, Small, 5),
            ("configs/baseline.ron", Run, Baseline, 4),
            ("configs/scale_1e6.ron", Run, Baseline, 4),
            ("tests/data/sweep_small.ron", Sweep, Small, 10),
            ("tests/data/sweep_sobol_small.ron", Sweep, Small, 10),
            ("tests/data/sweep_long.ron", Sweep, Small, 6),
            ("configs/sweep_example.ron", Sweep, Baseline, 4),
            ("configs/sweep_sobol.ron", Sweep, Baseline, 4),
        ];
        let mut sources: Vec<Source> = files
            .iter()
            .map(|&(name, kind, base, weight)| Source {
                path: root().join(name),
                kind,
                base,
                weight,
                text: std::fs::read(root().join(name)).expect("project file"),
            })
            .collect();
        sources.push(Source {
            path: data("small_run_full.ron"),
            kind: Run,
            base: Small,
            weight: 15,
            text: FULL_RUN.as_bytes().to_vec(),
        });
        let mut fields = BTreeSet::new();
        let mut names = BTreeSet::new();
        for s in &sources {
            for (tok, r) in lex(&s.text) {
                let word = String::from_utf8_lossy(&s.text[r.clone()]).into_owned();
                match tok {
                    Tok::Field => fields.insert(word),
                    Tok::Name => names.insert(word),
                    _ => false,
                };
            }
        }
        let scenario = |p: &str| {
            let valid = config::load_scenario(&root().join(p)).expect("valid scenario");
            valid.raw().clone()
        };
        Corpus {
            total_weight: sources.iter().map(|s| s.weight).sum(),
            sources,
            fields: fields.into_iter().collect(),
            names: names.into_iter().collect(),
            small: scenario("tests/data/small.ron"),
            baseline: scenario("models/baseline_2025.ron"),
        }
    })
}

impl Corpus {
    fn source(&self, pick: u32) -> &Source {
        let mut rest = pick;
        for s in &self.sources {
            if rest < s.weight {
                return s;
            }
            rest -= s.weight;
        }
        unreachable!("pick < total weight")
    }

    fn base(&self, b: Base) -> &Scenario {
        match b {
            Base::Small => &self.small,
            Base::Baseline => &self.baseline,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// A name followed by `:`.
    Field,
    /// Any other name.
    Name,
    Number,
    /// A string, a comment or one byte of punctuation.
    Other,
}

/// A rough RON lexer: enough to find names, numbers and token boundaries.
/// Names and numbers inside strings (dates, `set` assignments, axis paths)
/// are tokens too, besides the string itself.
fn lex(t: &[u8]) -> Vec<(Tok, Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let (c, start) = (t[i], i);
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let kind = if t[i..].starts_with(b"//") {
            while i < t.len() && t[i] != b'\n' {
                i += 1;
            }
            Tok::Other
        } else if c == b'"' {
            i += 1;
            while i < t.len() && t[i] != b'"' {
                i += if t[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(t.len());
            let mut j = start + 1;
            while j < i.saturating_sub(1) {
                match word(t, j) {
                    Some((Tok::Field, end)) => {
                        out.push((Tok::Name, j..end));
                        j = end;
                    }
                    Some((kind, end)) => {
                        out.push((kind, j..end));
                        j = end;
                    }
                    None => j += 1,
                }
            }
            Tok::Other
        } else if let Some((kind, end)) = word(t, i) {
            i = end;
            kind
        } else {
            i += 1;
            Tok::Other
        };
        out.push((kind, start..i));
    }
    out
}

/// The name or number starting at `i`, and where it ends.
fn word(t: &[u8], i: usize) -> Option<(Tok, usize)> {
    let c = t[i];
    let mut end = i + 1;
    if c.is_ascii_alphabetic() || c == b'_' {
        while end < t.len() && (t[end].is_ascii_alphanumeric() || t[end] == b'_') {
            end += 1;
        }
        let mut j = end;
        while j < t.len() && t[j].is_ascii_whitespace() {
            j += 1;
        }
        let field = t.get(j) == Some(&b':') && t.get(j + 1) != Some(&b':');
        Some((if field { Tok::Field } else { Tok::Name }, end))
    } else if c.is_ascii_digit()
        || (matches!(c, b'-' | b'+') && t.get(i + 1).is_some_and(u8::is_ascii_digit))
    {
        while end < t.len()
            && (t[end].is_ascii_alphanumeric()
                || matches!(t[end], b'.' | b'_')
                || (matches!(t[end], b'-' | b'+') && matches!(t[end - 1], b'e' | b'E')))
        {
            end += 1;
        }
        Some((Tok::Number, end))
    } else {
        None
    }
}

/// Byte ranges of the lines, each with its newline.
fn lines(t: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in t.iter().enumerate() {
        if b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < t.len() {
        out.push(start..t.len());
    }
    out
}

/// Swaps two non-overlapping ranges of `t` (in either order).
fn swap_ranges(t: &mut Vec<u8>, a: Range<usize>, b: Range<usize>) {
    let (a, b) = if a.start <= b.start { (a, b) } else { (b, a) };
    if a.end > b.start {
        return;
    }
    let mut out = t[..a.start].to_vec();
    out.extend_from_slice(&t[b.clone()]);
    out.extend_from_slice(&t[a.end..b.start]);
    out.extend_from_slice(&t[a.clone()]);
    out.extend_from_slice(&t[b.end..]);
    *t = out;
}

fn near_miss(word: &str, kind: u8, at: &Index) -> String {
    let mut w: Vec<char> = word.chars().collect();
    let i = at.index(w.len());
    match kind % 7 {
        0 => {
            w.remove(i);
        }
        1 => w.insert(i, w[i]),
        2 if i + 1 < w.len() => w.swap(i, i + 1),
        3 => {
            w[0] = if w[0].is_uppercase() {
                w[0].to_ascii_lowercase()
            } else {
                w[0].to_ascii_uppercase()
            }
        }
        4 => w.push('s'),
        5 => w[i] = if w[i] == '_' { '-' } else { '_' },
        _ => {
            w[i] = if w[i] == 'z' {
                'a'
            } else {
                ((w[i] as u8) + 1) as char
            }
        }
    }
    w.into_iter().collect()
}

fn mutate(t: &mut Vec<u8>, m: &Mutation, c: &Corpus) {
    let len = t.len();
    let tokens = |t: &[u8], want: Option<Tok>| -> Vec<Range<usize>> {
        lex(t)
            .into_iter()
            .filter(|(k, _)| want.is_none_or(|w| w == *k))
            .map(|(_, r)| r)
            .collect()
    };
    let pick = |v: &[Range<usize>], i: &Index| (!v.is_empty()).then(|| v[i.index(v.len())].clone());
    match m {
        Mutation::CutBytes(a, n) if len > 0 => {
            let a = a.index(len);
            t.drain(a..(a + n).min(len));
        }
        Mutation::SwapBytes(a, b) if len > 0 => t.swap(a.index(len), b.index(len)),
        Mutation::DupBytes(a, n) if len > 0 => {
            let a = a.index(len);
            let b = (a + n).min(len);
            let copy = t[a..b].to_vec();
            t.splice(b..b, copy);
        }
        Mutation::InsertByte(a, byte) => t.insert(a.index(len + 1), *byte),
        Mutation::InsertText(a, s) => {
            let a = a.index(len + 1);
            t.splice(a..a, s.bytes());
        }
        Mutation::Truncate(a) => t.truncate(a.index(len + 1)),
        Mutation::CutToken(i) => {
            if let Some(r) = pick(&tokens(t, None), i) {
                t.drain(r);
            }
        }
        Mutation::DupToken(i) => {
            if let Some(r) = pick(&tokens(t, None), i) {
                let mut copy = vec![b' '];
                copy.extend_from_slice(&t[r.clone()]);
                t.splice(r.end..r.end, copy);
            }
        }
        Mutation::SwapTokens(i, j) => {
            let v = tokens(t, None);
            if let (Some(a), Some(b)) = (pick(&v, i), pick(&v, j)) {
                swap_ranges(t, a, b);
            }
        }
        Mutation::CutLines(i, n) => {
            let v = lines(t);
            if let Some(r) = pick(&v, i) {
                let last = (i.index(v.len()) + n - 1).min(v.len() - 1);
                t.drain(r.start..v[last].end);
            }
        }
        Mutation::DupLines(i, n) => {
            let v = lines(t);
            if let Some(r) = pick(&v, i) {
                let last = (i.index(v.len()) + n - 1).min(v.len() - 1);
                let mut copy = t[r.start..v[last].end].to_vec();
                if copy.last() != Some(&b'\n') {
                    copy.insert(0, b'\n');
                }
                let end = v[last].end;
                t.splice(end..end, copy);
            }
        }
        Mutation::SwapLines(i, j) => {
            let v = lines(t);
            if let (Some(a), Some(b)) = (pick(&v, i), pick(&v, j)) {
                swap_ranges(t, a, b);
            }
        }
        Mutation::RenameField(i, how) | Mutation::RenameName(i, how) => {
            let (kind, pool) = match m {
                Mutation::RenameField(..) => (Tok::Field, &c.fields),
                _ => (Tok::Name, &c.names),
            };
            if let Some(r) = pick(&tokens(t, Some(kind)), i) {
                let word = String::from_utf8_lossy(&t[r.clone()]).into_owned();
                let new = match how {
                    Rename::NearMiss(k, at) => near_miss(&word, *k, at),
                    Rename::Other(o) => pool[o.index(pool.len())].clone(),
                };
                t.splice(r, new.into_bytes());
            }
        }
        Mutation::Number(i, v) => {
            if let Some(r) = pick(&tokens(t, Some(Tok::Number)), i) {
                t.splice(r, v.bytes());
            }
        }
        _ => {}
    }
}

/// How far inputs got.
#[derive(Default)]
struct Tally {
    /// Whether runs go for their own weeks (else `BUILD_WEEKS`).
    own_weeks: bool,
    tried: Cell<u64>,
    not_utf8: Cell<u64>,
    parsed: Cell<u64>,
    checked: Cell<u64>,
    built: Cell<u64>,
}

fn bump(c: &Cell<u64>) {
    c.set(c.get() + 1);
}

/// A parse error's position must lie within the text it names.
fn check_error(e: &chokepoint::Error, path: &Path, text: &str) -> Result<(), String> {
    let shown = e.to_string();
    if let chokepoint::Error::Parse {
        path: p,
        line,
        column,
        ..
    } = e
        && p == path
    {
        let lines: Vec<&str> = text.split('\n').collect();
        let inside = (1..=lines.len()).contains(line)
            && (1..=lines[line - 1].chars().count() + 1).contains(column);
        if !inside {
            return Err(format!(
                "position {line}:{column} lies outside the text ({} lines): {shown}",
                lines.len()
            ));
        }
    }
    Ok(())
}

fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<Option<T>, String> {
    match config::parse_ron::<T>(path, text) {
        Ok(v) => Ok(Some(v)),
        Err(e) => check_error(&e, path, text).map(|()| None),
    }
}

/// Builds and runs a checked scenario for a few weeks, if it is small.
fn build(s: &ValidScenario, start: chrono::NaiveDate, weeks: u32, tally: &Tally) {
    if s.firm_count() as u64 <= MAX_BUILD_FIRMS {
        let mut sim = Simulation::new(s, 1, start, None);
        sim.run(if tally.own_weeks {
            weeks.min(LONG_WEEKS)
        } else {
            BUILD_WEEKS
        });
        sim.tables();
        bump(&tally.built);
    }
}

/// The command line's path for one file kind; `Ok` whether the input is
/// accepted or refused, `Err` for a defect other than a panic.
fn exercise_as(
    kind: FileKind,
    src: &Source,
    text: &str,
    c: &Corpus,
    tally: &Tally,
) -> Result<(), String> {
    let path = &src.path;
    let base = c.base(src.base);
    let counted = kind == src.kind;
    let count = |cell: &Cell<u64>| {
        if counted {
            bump(cell)
        }
    };
    match kind {
        FileKind::Scenario => {
            let Some(s) = parse::<Scenario>(path, text)? else {
                return Ok(());
            };
            count(&tally.parsed);
            if let Ok(valid) = ValidScenario::check(s) {
                count(&tally.checked);
                if counted && src.base == Base::Small {
                    build(&valid, start(), BUILD_WEEKS, tally);
                }
            }
        }
        FileKind::Run => {
            let Some(run) = parse::<RunConfig>(path, text)? else {
                return Ok(());
            };
            count(&tally.parsed);
            let Ok(horizon) = config::check_run(&run) else {
                return Ok(());
            };
            let s = match config::apply_overrides(base.clone(), &run.set) {
                Ok(s) => s,
                Err(e) => return check_error(&e, path, text),
            };
            if let Ok(valid) = ValidScenario::check(s) {
                count(&tally.checked);
                if counted && src.base == Base::Small {
                    build(&valid, horizon.start(), horizon.weeks(), tally);
                }
            }
        }
        FileKind::Sweep => {
            let Some(sweep) = parse::<SweepConfig>(path, text)? else {
                return Ok(());
            };
            count(&tally.parsed);
            let Ok(plan) = design::plan(&sweep) else {
                return Ok(());
            };
            for (a, p) in plan.paths.iter().enumerate() {
                let Ok(probes) = plan.probes(a) else {
                    return Ok(());
                };
                for v in probes.iter().map(|probe| &probe.value) {
                    if let Err(e) = config::apply_overrides(base.clone(), &[format!("{p}={v}")]) {
                        return check_error(&e, path, text);
                    }
                }
            }
            if !plan.is_empty() {
                plan.point(0);
                plan.point(plan.len() - 1);
            }
            count(&tally.checked);
        }
    }
    Ok(())
}

fn exercise(src: &Source, bytes: &[u8], c: &Corpus, tally: &Tally) -> Result<(), String> {
    bump(&tally.tried);
    // the command line reads files as UTF-8 and stops there otherwise
    let Ok(text) = std::str::from_utf8(bytes) else {
        bump(&tally.not_utf8);
        return Ok(());
    };
    exercise_as(src.kind, src, text, c, tally)?;
    // `validate` parses the file as the kind it sniffs
    let sniffed = validate::sniff_kind(text);
    if sniffed != src.kind {
        exercise_as(sniffed, src, text, c, tally)?;
    }
    Ok(())
}

/// Where a panic happened: its message and location, and the first frame
/// of this crate's code.
#[derive(Debug, Clone)]
struct PanicSite {
    message: String,
    location: String,
    frame: String,
}

thread_local! {
    static CAPTURE: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<PanicSite>> = const { RefCell::new(None) };
}

/// Records panics of threads that capture instead of printing them; other
/// threads (other tests) keep the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CAPTURE.with(Cell::get) {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let file = info.location().map_or("", |l| l.file());
            let backtrace = std::backtrace::Backtrace::force_capture().to_string();
            // the crate's first two frames outside the panicking file, with file and line
            let lines: Vec<&str> = backtrace.lines().map(str::trim).collect();
            let frame = (0..lines.len())
                .filter(|&i| lines[i].contains("chokepoint::") && !lines[i].contains("mutated::"))
                .map(|i| match lines.get(i + 1) {
                    Some(at) if at.starts_with("at ") => format!("{} {at}", lines[i]),
                    _ => lines[i].to_string(),
                })
                .filter(|f| !f.contains(file))
                .take(2)
                .collect::<Vec<_>>()
                .join(" <- ");
            let site = PanicSite {
                message,
                location: info.location().map(|l| l.to_string()).unwrap_or_default(),
                frame,
            };
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(site));
        }));
    });
}

/// Runs one input, turning a panic into its site.
fn try_input(
    src: &Source,
    bytes: &[u8],
    c: &Corpus,
    tally: &Tally,
) -> Result<(), Result<String, PanicSite>> {
    install_hook();
    CAPTURE.with(|f| f.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| exercise(src, bytes, c, tally)));
    CAPTURE.with(|f| f.set(false));
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(defect)) => Err(Ok(defect)),
        Err(_) => Err(Err(LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .expect("hook ran"))),
    }
}

/// Where the mutated text differs from the original, and the text itself
/// (around the change, if it is long).
fn describe(src: &Source, bytes: &[u8]) -> String {
    let o = &src.text;
    let pre = o.iter().zip(bytes).take_while(|(a, b)| a == b).count();
    let suf = o[pre..]
        .iter()
        .rev()
        .zip(bytes[pre..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let line = 1 + o[..pre].iter().filter(|&&b| b == b'\n').count();
    let clip = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        if t.chars().count() <= 160 {
            format!("{t:?}")
        } else {
            let head: String = t.chars().take(80).collect();
            let tail: String = t.chars().skip(t.chars().count() - 80).collect();
            format!("{head:?}...{tail:?}")
        }
    };
    let text = String::from_utf8_lossy(bytes);
    let shown = if text.len() <= 4_000 {
        text.into_owned()
    } else {
        let lines: Vec<&str> = text.split('\n').collect();
        let (from, to) = (line.saturating_sub(6), (line + 5).min(lines.len()));
        format!(
            "(lines {}..={to})\n{}",
            from + 1,
            lines[from..to].join("\n")
        )
    };
    format!(
        "{} line {line}: {} became {}\n--- mutated text ---\n{shown}",
        src.path.strip_prefix(root()).unwrap_or(&src.path).display(),
        clip(&o[pre..o.len() - suf]),
        clip(&bytes[pre..bytes.len() - suf]),
    )
}

/// A runner with a fixed seed; `persist` keeps failures in
/// `mutated.proptest-regressions` (replayed first on the next run).
fn runner(cases: u32, seed: u64, persist: bool) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        source_file: Some(file!()),
        failure_persistence: persist.then(|| {
            Box::new(FileFailurePersistence::SourceParallel(
                "proptest-regressions",
            )) as _
        }),
        ..Config::default()
    })
}

fn mutated_text(src: &Source, mutations: &[Mutation], c: &Corpus) -> Vec<u8> {
    let mut bytes = src.text.clone();
    for m in mutations {
        mutate(&mut bytes, m, c);
    }
    bytes
}

#[test]
fn mutated_ron_gives_ok_or_a_typed_error() {
    let c = corpus();
    let tally = Tally::default();
    let result = runner(SUITE_CASES, SEED, true).run(&input(), |(pick, mutations)| {
        let src = c.source(pick);
        let bytes = mutated_text(src, &mutations, c);
        try_input(src, &bytes, c, &tally).map_err(|e| {
            TestCaseError::fail(match e {
                Ok(defect) => format!("{defect}\n{}", describe(src, &bytes)),
                Err(p) => format!(
                    "panicked: {} at {} ({})\n{}",
                    p.message,
                    p.location,
                    p.frame,
                    describe(src, &bytes)
                ),
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The mix reaches every stage, so the test exercises more than the lexer.
    let (tried, parsed, checked, built) = (
        tally.tried.get(),
        tally.parsed.get(),
        tally.checked.get(),
        tally.built.get(),
    );
    eprintln!(
        "mutated RON: {tried} inputs, {} not UTF-8, {parsed} parsed, {checked} checked ok, {built} built",
        tally.not_utf8.get()
    );
    assert!(tried >= SUITE_CASES as u64, "{tried} inputs");
    // about half the rates seen (26 %, 12 %, 5 %)
    assert!(parsed * 8 >= tried, "only {parsed} of {tried} parsed");
    assert!(
        checked * 16 >= tried,
        "only {checked} of {tried} checked ok"
    );
    assert!(built * 40 >= tried, "only {built} of {tried} built");
}

#[test]
#[ignore = "long: CHOKEPOINT_MUTATION_CASES=200000 cargo test --test tests mutated_ron_long -- --ignored --nocapture"]
fn mutated_ron_long() {
    let var = |name: &str, default: u64| {
        std::env::var(name).ok().map_or(default, |v| {
            v.parse().unwrap_or_else(|_| panic!("{name}={v}"))
        })
    };
    let cases = var("CHOKEPOINT_MUTATION_CASES", 200_000) as u32;
    let seed = var("CHOKEPOINT_MUTATION_SEED", SEED);
    let c = corpus();
    let tally = Tally {
        own_weeks: true,
        ..Tally::default()
    };
    // panic site and kind -> (count, shortest input)
    let found: RefCell<BTreeMap<String, (u64, String)>> = RefCell::default();
    let defects: RefCell<Vec<String>> = RefCell::default();
    let clock = std::time::Instant::now();
    let result = runner(cases, seed, false).run(&input(), |(pick, mutations)| {
        let src = c.source(pick);
        let bytes = mutated_text(src, &mutations, c);
        match try_input(src, &bytes, c, &tally) {
            Ok(()) => {}
            Err(Ok(defect)) => defects
                .borrow_mut()
                .push(format!("{defect}\n{}", describe(src, &bytes))),
            Err(Err(p)) => {
                // one entry per site, caller and kind of message, with its simplest input
                let kind: String = p.message.chars().filter(|c| !c.is_ascii_digit()).collect();
                let key = format!("{} ({}): {kind}", p.location, p.frame);
                let shown = format!("{}\n{mutations:?}\n{}", p.message, describe(src, &bytes));
                let mut f = found.borrow_mut();
                let entry = f.entry(key).or_insert((0, shown.clone()));
                entry.0 += 1;
                if shown.len() < entry.1.len() {
                    entry.1 = shown;
                }
            }
        }
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
    eprintln!(
        "mutated RON, seed {seed}: {} inputs in {:.0} s, {} not UTF-8, {} parsed, {} checked ok, {} built",
        tally.tried.get(),
        clock.elapsed().as_secs_f64(),
        tally.not_utf8.get(),
        tally.parsed.get(),
        tally.checked.get(),
        tally.built.get(),
    );
    for (site, (n, example)) in found.borrow().iter() {
        eprintln!("\n=== {n} panic(s): {site}\n{example}");
    }
    for d in defects.borrow().iter().take(20) {
        eprintln!("\n=== defect: {d}");
    }
    assert!(
        found.borrow().is_empty() && defects.borrow().is_empty(),
        "{} panic site(s), {} other defect(s)",
        found.borrow().len(),
        defects.borrow().len()
    );
}
