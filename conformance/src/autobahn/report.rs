//! Reading the testsuite's results, summarising them per section, and
//! gating on them.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::{fs, io};

/// The verdicts the testsuite gives.
const VERDICTS: [&str; 5] = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"];

/// One case's verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The protocol behaviour verdict.
    pub behavior: String,
    /// The closing behaviour verdict.
    pub behavior_close: String,
}

/// Case id (such as `6.4.3`) to outcome, in natural case order.
pub type Results = BTreeMap<CaseId, Outcome>;

/// A case id that sorts numerically (`1.1.10` after `1.1.9`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseId(Vec<u32>);

impl CaseId {
    /// Parses `a.b.c`.
    pub fn parse(text: &str) -> Option<Self> {
        text.split('.').map(|part| part.parse().ok()).collect::<Option<Vec<u32>>>().map(CaseId)
    }

    /// The top-level section number.
    pub fn section(&self) -> u32 {
        self.0.first().copied().unwrap_or(0)
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// Reads `outdir/index.json` for `agent`.
pub fn read_index(outdir: &Path, agent: &str) -> io::Result<Results> {
    let text = fs::read_to_string(outdir.join("index.json"))?;
    parse_index(&text, agent)
}

/// Parses the text of an `index.json` for `agent`.
pub fn parse_index(text: &str, agent: &str) -> io::Result<Results> {
    let json: Value = serde_json::from_str(text).map_err(io::Error::other)?;
    let cases = json
        .get(agent)
        .and_then(Value::as_object)
        .ok_or_else(|| io::Error::other(format!("no results for agent {agent}")))?;
    let mut results = Results::new();
    for (id, case) in cases {
        let id = CaseId::parse(id).ok_or_else(|| io::Error::other(format!("bad case id {id}")))?;
        let field =
            |name: &str| case.get(name).and_then(Value::as_str).unwrap_or("MISSING").to_owned();
        results.insert(
            id,
            Outcome { behavior: field("behavior"), behavior_close: field("behaviorClose") },
        );
    }
    Ok(results)
}

/// A Markdown table per top-level section: how many cases got each verdict,
/// for `behavior` and for `behaviorClose`.
pub fn summary(title: &str, results: &Results) -> String {
    let mut sections: BTreeMap<u32, ([usize; 5], [usize; 5], usize)> = BTreeMap::new();
    for (id, outcome) in results {
        let entry = sections.entry(id.section()).or_default();
        entry.2 += 1;
        if let Some(i) = VERDICTS.iter().position(|v| *v == outcome.behavior) {
            entry.0[i] += 1;
        }
        if let Some(i) = VERDICTS.iter().position(|v| *v == outcome.behavior_close) {
            entry.1[i] += 1;
        }
    }
    let mut out = format!("### {title}\n\n");
    out.push_str("| section | cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED | close OK | close NON-STRICT | close INFORMATIONAL | close UNIMPLEMENTED | close FAILED |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut totals = ([0usize; 5], [0usize; 5], 0usize);
    for (section, (behavior, close, cases)) in &sections {
        let _ = write!(out, "| {section} | {cases} |");
        for count in behavior.iter().chain(close) {
            let _ = write!(out, " {count} |");
        }
        out.push('\n');
        for i in 0..5 {
            totals.0[i] += behavior[i];
            totals.1[i] += close[i];
        }
        totals.2 += cases;
    }
    let _ = write!(out, "| all | {} |", totals.2);
    for count in totals.0.iter().chain(&totals.1) {
        let _ = write!(out, " {count} |");
    }
    out.push('\n');
    out
}

/// Whether the gate refuses `verdict` for case `id`: FAILED or NON-STRICT
/// anywhere, UNIMPLEMENTED outside the extension sections 12 and 13, and
/// anything the testsuite reports that is not a known verdict.
fn refused(id: &CaseId, verdict: &str) -> bool {
    match verdict {
        "OK" | "INFORMATIONAL" => false,
        "UNIMPLEMENTED" => !matches!(id.section(), 12 | 13),
        _ => true,
    }
}

/// The verdicts the gate refuses (see `refused`), one line per case.
pub fn violations(results: &Results) -> Vec<String> {
    results
        .iter()
        .filter(|(id, o)| refused(id, &o.behavior) || refused(id, &o.behavior_close))
        .map(|(id, o)| format!("{id}: behavior {}, behaviorClose {}", o.behavior, o.behavior_close))
        .collect()
}

/// The cases that ran and would fail the gate: a refused verdict, or
/// verdicts other than the `expected` results' (when those apply).
pub fn suspects(results: &Results, expected: Option<&str>) -> Vec<CaseId> {
    let expected: BTreeMap<&str, &str> =
        expected.unwrap_or_default().lines().filter_map(|line| line.split_once(' ')).collect();
    results
        .iter()
        .filter(|(id, o)| {
            let verdicts = format!("{} {}", o.behavior, o.behavior_close);
            let differs = expected.get(id.to_string().as_str()).is_some_and(|e| *e != verdicts);
            refused(id, &o.behavior) || refused(id, &o.behavior_close) || differs
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// The normalised form checked in as the expected results: one line per
/// case, `id behavior behaviorClose`.
pub fn normalise(results: &Results) -> String {
    let mut out = String::new();
    for (id, o) in results {
        let _ = writeln!(out, "{id} {} {}", o.behavior, o.behavior_close);
    }
    out
}

/// The lines in which `actual` differs from `expected` (cases missing,
/// added or with other verdicts).
pub fn differences(expected: &str, actual: &str) -> Vec<String> {
    let index = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|line| {
                line.split_once(' ').map(|(id, rest)| (id.to_owned(), rest.to_owned()))
            })
            .collect()
    };
    let (expected, actual) = (index(expected), index(actual));
    let mut out = Vec::new();
    for (id, verdicts) in &expected {
        match actual.get(id) {
            None => out.push(format!("{id}: expected `{verdicts}`, but the case did not run")),
            Some(got) if got != verdicts => {
                out.push(format!("{id}: expected `{verdicts}`, got `{got}`"));
            }
            Some(_) => {}
        }
    }
    for (id, verdicts) in &actual {
        if !expected.contains_key(id) {
            out.push(format!("{id}: not in the expected results (`{verdicts}`)"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"{"barews": {
        "1.1.10": {"behavior": "OK", "behaviorClose": "OK"},
        "1.1.9": {"behavior": "OK", "behaviorClose": "OK"},
        "6.4.1": {"behavior": "NON-STRICT", "behaviorClose": "OK"},
        "7.1.1": {"behavior": "OK", "behaviorClose": "FAILED"},
        "9.1.1": {"behavior": "UNIMPLEMENTED", "behaviorClose": "OK"},
        "12.1.1": {"behavior": "UNIMPLEMENTED", "behaviorClose": "UNIMPLEMENTED"},
        "5.1": {"behavior": "INFORMATIONAL", "behaviorClose": "OK"}
    }}"#;

    #[test]
    fn cases_sort_numerically_and_sections_are_counted() {
        let results = parse_index(INDEX, "barews").unwrap();
        let ids: Vec<String> = results.keys().map(ToString::to_string).collect();
        assert_eq!(ids, ["1.1.9", "1.1.10", "5.1", "6.4.1", "7.1.1", "9.1.1", "12.1.1"]);
        let table = summary("server", &results);
        assert!(table.contains("| 1 | 2 | 2 | 0 | 0 | 0 | 0 | 2 | 0 | 0 | 0 | 0 |"), "{table}");
        assert!(table.contains("| all | 7 |"), "{table}");
    }

    #[test]
    fn suspects_are_the_refused_cases_and_those_unlike_the_expected_results() {
        let results = parse_index(INDEX, "barews").unwrap();
        let ids = |expected| -> Vec<String> {
            suspects(&results, expected).iter().map(ToString::to_string).collect()
        };
        assert_eq!(ids(None), ["6.4.1", "7.1.1", "9.1.1"]);
        // 1.1.9 expected otherwise; 5.1 as expected; a case that did not
        // run is not a suspect (the gate reports it missing).
        let expected = "1.1.9 OK FAILED\n5.1 INFORMATIONAL OK\n3.1 OK OK\n";
        assert_eq!(ids(Some(expected)), ["1.1.9", "6.4.1", "7.1.1", "9.1.1"]);
    }

    #[test]
    fn the_gate_refuses_failures_non_strict_and_unimplemented_core_cases() {
        let results = parse_index(INDEX, "barews").unwrap();
        let refused = violations(&results);
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(refused[0].starts_with("6.4.1"));
        assert!(refused[1].starts_with("7.1.1"));
        assert!(refused[2].starts_with("9.1.1"));
    }

    #[test]
    fn differences_name_changed_missing_and_new_cases() {
        let expected = "1.1 OK OK\n1.2 OK OK\n1.3 OK OK\n";
        let actual = "1.1 OK OK\n1.2 NON-STRICT OK\n1.4 OK OK\n";
        let diff = differences(expected, actual);
        assert_eq!(diff.len(), 3, "{diff:?}");
        assert!(diff[0].contains("1.2") && diff[1].contains("1.3") && diff[2].contains("1.4"));
        assert!(differences(expected, expected).is_empty());
    }

    #[test]
    fn an_index_without_the_agent_is_an_error() {
        assert!(parse_index(INDEX, "someone-else").is_err());
    }
}
